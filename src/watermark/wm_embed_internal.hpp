// Internal: the perceptual mask of embed() (exposed for tests and the robustness tool).
#pragma once
#include <opencv2/core.hpp>

#include "veritrace/media.hpp"

namespace veritrace::watermark::detail {

inline constexpr double kTargetRms = 1.8;         // max luma delta RMS at strength 1 (PSNR >= ~42.8 dB)
inline constexpr double kSsimLossBudget = 0.015;  // predicted mean SSIM loss at strength 1 (SSIM ~0.985)
inline constexpr double kFlatFloor = 6.0;         // shape^2 = floor + slope * local variance
inline constexpr double kTextureSlope = 0.005;
inline constexpr double kMaxAmplitude = 8.0;      // shape cap (strongly textured areas)

struct Mask {
  cv::Mat amplitude;  // CV_32F, half resolution ((w+1)/2 x (h+1)/2): the pattern's amplitude
  double predicted_ssim = 1.0;  // at strength 1
};
Mask embed_amplitude(const media::Image& image, double strength);

}  // namespace veritrace::watermark::detail
