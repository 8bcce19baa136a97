// Image-quality measures for the watermark's imperceptibility goals (PSNR >= 42 dB, SSIM >= 0.98);
// used by the tests and the robustness benchmark. Internal to the library.
#pragma once
#include "veritrace/media.hpp"

namespace veritrace::watermark::detail {

// Over every sample of two images of the same size and channel count; 99 dB for identical images.
double psnr(const media::Image& a, const media::Image& b);
// SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, 8-bit constants), averaged over channels.
double ssim(const media::Image& a, const media::Image& b);

}  // namespace veritrace::watermark::detail
