// embed(): the tile for the payload, scaled per pixel by a perceptual mask, added to luma (the same
// delta in R, G and B, so colour is kept; alpha untouched).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_embed_internal.hpp"
#include "watermark/wm_pattern.hpp"

namespace veritrace::watermark {

namespace detail {

cv::Mat embed_amplitude(const media::Image& image, double strength) {
  // Per-channel local variance at half resolution (2x2 means, then 5x5 windows = 10x10 pixels):
  // the mask varies slowly, and this halves embed time. The same delta goes into R, G and B, so the
  // channel with the least texture decides (a saturated colour has one nearly flat channel).
  const int hw = (image.width + 1) / 2, hh = (image.height + 1) / 2, ch = std::min(image.channels, 3);
  cv::Mat variance(hh, hw, CV_32F, cv::Scalar(1e30f));
  cv::Mat plane(hh, hw, CV_32F), mean, mean_sq, plane_sq;
  for (int c = 0; c < ch; ++c) {
    for (int r = 0; r < hh; ++r) {
      const uint8_t* row0 = image.row(2 * r);
      const uint8_t* row1 = image.row(std::min(2 * r + 1, image.height - 1));
      float* dst = plane.ptr<float>(r);
      for (int x = 0; x < hw; ++x) {
        const int x0 = 2 * x * image.channels + c, x1 = std::min(2 * x + 1, image.width - 1) * image.channels + c;
        dst[x] = 0.25f * static_cast<float>(row0[x0] + row0[x1] + row1[x0] + row1[x1]);
      }
    }
    cv::boxFilter(plane, mean, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    cv::multiply(plane, plane, plane_sq);
    cv::boxFilter(plane_sq, mean_sq, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    for (int r = 0; r < hh; ++r) {
      const float* m = mean.ptr<float>(r);
      const float* m2 = mean_sq.ptr<float>(r);
      float* v = variance.ptr<float>(r);
      for (int x = 0; x < hw; ++x) v[x] = std::min(v[x], std::max(0.0f, m2[x] - m[x] * m[x]));
    }
  }
  // SSIM-shaped mask: SSIM's structure term for an added pattern of variance a^2 over a local
  // variance v is about (2v + C2) / (2v + a^2 + C2), so a^2 proportional to (C2 + 2v) keeps the
  // local SSIM constant: a small floor in flat areas, growing with texture.
  cv::Mat shape(hh, hw, CV_32F);
  for (int r = 0; r < hh; ++r) {
    const float* v = variance.ptr<float>(r);
    float* a = shape.ptr<float>(r);
    for (int x = 0; x < hw; ++x)
      a[x] = std::min(static_cast<float>(kMaxAmplitude), std::sqrt(static_cast<float>(kFlatFloor) + static_cast<float>(kTextureSlope) * v[x]));
  }
  // One gain for the image: the RMS of the change is at most kTargetRms (PSNR), and the local SSIM
  // loss at most what kMaxGain allows.
  double sum = 0;
  size_t n = 0;
  for (int r = 0; r < hh; r += 2) {
    const float* a = shape.ptr<float>(r);
    for (int x = 0; x < hw; x += 2, ++n) sum += static_cast<double>(a[x]) * a[x];
  }
  const double rms = std::sqrt(sum / static_cast<double>(std::max<size_t>(n, 1)));
  const auto gain = static_cast<float>(strength * std::min(kMaxGain, kTargetRms / rms));
  cv::Mat amplitude = shape * gain;
  return amplitude;
}

}  // namespace detail

media::Image embed(const media::Image& image, uint64_t payload, const EmbedOptions& options) {
  if (!(options.strength > 0.0 && options.strength <= 4.0))
    throw Error(ErrorKind::Usage, "watermark: strength must be in (0, 4]");
  detail::check_image(image);
  const int cell = detail::cell_size_for(image.width, image.height);
  const int side = cell * detail::kCells;
  auto tile = detail::render_tile(detail::message_cells({payload, cell}), side);
  // Unit RMS, so the amplitude map alone sets the strength.
  double energy = 0;
  for (float v : tile) energy += static_cast<double>(v) * v;
  const auto norm = static_cast<float>(1.0 / std::sqrt(energy / static_cast<double>(tile.size())));
  for (float& v : tile) v *= norm;

  const cv::Mat amplitude = detail::embed_amplitude(image, options.strength);
  media::Image out = image;
  const int ch = image.channels;
  const int colour = std::min(ch, 3);
  for (int r = 0; r < image.height; ++r) {
    uint8_t* px = out.row(r);
    const float* amp = amplitude.ptr<float>(r / 2);
    const float* tile_row = tile.data() + static_cast<size_t>(r % side) * static_cast<size_t>(side);
    int tx = 0;
    for (int x = 0; x < image.width; ++x, px += ch) {
      // + 0.5 and truncation round to nearest; negative sums truncate towards 0, clamped anyway.
      const float delta = amp[x / 2] * tile_row[tx] + 0.5f;
      if (++tx == side) tx = 0;
      for (int c = 0; c < colour; ++c) {
        const int v = static_cast<int>(static_cast<float>(px[c]) + delta);
        px[c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return out;
}

}  // namespace veritrace::watermark
