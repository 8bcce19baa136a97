// Internal: the perceptual mask of embed() (exposed for tests and the robustness tool).
#pragma once
#include <opencv2/core.hpp>
#include <vector>

#include "veritrace/media.hpp"

namespace veritrace::watermark::detail {

inline constexpr double kTargetRms = 1.95;        // max luma delta RMS at strength 1 (PSNR >= ~42.3 dB)
inline constexpr double kSsimLossBudget = 0.017;  // predicted mean SSIM loss at strength 1 (SSIM ~0.983)
inline constexpr double kFlatFloor = 6.0;         // shape^2 = floor + slope * local variance
inline constexpr double kTextureSlope = 0.005;
inline constexpr double kMaxAmplitude = 8.0;      // shape cap (strongly textured areas)
inline constexpr double kFlatAmplitude = 0.7;     // amplitude cap: this + kAmplitudePerSigma * local
inline constexpr double kAmplitudePerSigma = 0.2; //   standard deviation (grey levels), any gain
inline constexpr double kHeadroomSlope = 0.6;     // shape cap near black and white: slope * headroom
inline constexpr double kHeadroomFloor = 0.3;     //   + floor (grey levels to 0 or 255)

inline constexpr int kMaskScale = 4;   // the mask is computed at 1/4 resolution (it varies slowly)
inline constexpr int kMaskWindow = 3;  // local variance over 3x3 mask pixels = 12x12 pixels

struct Mask {
  cv::Mat amplitude;  // CV_32F, 1/kMaskScale resolution (rounded up): the pattern's amplitude
  double predicted_ssim = 1.0;  // at strength 1
};
// The amplitude map for this tile (unit RMS, side x side pixels) at this strength.
Mask embed_amplitude(const media::Image& image, double strength, const std::vector<float>& tile, int side);
// The unit-RMS tile of these cell values.
std::vector<float> unit_tile(const std::vector<float>& cells, int side);

}  // namespace veritrace::watermark::detail
