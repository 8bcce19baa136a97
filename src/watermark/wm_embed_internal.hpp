// Internal: the perceptual mask of embed() (exposed for tests and the robustness tool).
#pragma once
#include <opencv2/core.hpp>

#include "veritrace/media.hpp"

namespace veritrace::watermark::detail {

inline constexpr double kTargetRms = 1.8;     // max luma delta RMS at strength 1 (PSNR >= ~42.8 dB)
inline constexpr double kFlatFloor = 0.3;     // shape^2 = floor + slope * local variance
inline constexpr double kTextureSlope = 0.02;
inline constexpr double kMaxGain = 1.25;      // caps the local SSIM loss on smooth images
inline constexpr double kMaxAmplitude = 8.0;  // shape cap (strongly textured areas)
inline constexpr double kHostCancel = 0.5;    // share of the picture's own cell values cancelled
inline constexpr double kMaxCellValue = 3.0;  // cell values after cancellation stay within +-3

struct Mask {
  cv::Mat amplitude;  // CV_32F, half resolution ((w+1)/2 x (h+1)/2): the pattern's amplitude
  cv::Mat luma_half;  // CV_32F, the picture's luma at the same resolution
};
Mask embed_amplitude(const media::Image& image, double strength);

}  // namespace veritrace::watermark::detail
