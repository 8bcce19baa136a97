// embed(): the tile for the payload, scaled per pixel by a perceptual mask, added to luma (the same
// delta in R, G and B, so colour is kept; alpha untouched).
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/watermark.hpp"
#include "watermark/wm_common.hpp"
#include "watermark/wm_embed_internal.hpp"
#include "watermark/wm_pattern.hpp"

namespace veritrace::watermark {

namespace detail {

namespace {

// Local variance of every channel at half resolution over square windows of `side` pixels.
cv::Mat local_variance(const cv::Mat& half, int side) {
  cv::Mat mean, mean_sq;
  cv::boxFilter(half, mean, CV_32F, cv::Size(side, side), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(half.mul(half), mean_sq, CV_32F, cv::Size(side, side), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::Mat variance = mean_sq - mean.mul(mean);
  return cv::max(variance, 0.0);
}

// SSIM predicted for the pattern at this gain: adding a pattern of local variance p to a channel
// of local variance v leaves the means alone and turns SSIM's contrast-structure term into
// (2v + C2) / (2v + p + C2). p is the mask's amplitude squared plus the rounding noise (1/12).
// Sampled every 8 pixels, over every colour channel (SSIM is their mean).
class SsimModel {
 public:
  SsimModel(const cv::Mat& half, const cv::Mat& shape) {
    const cv::Mat variance = local_variance(half, 3);  // 6x6 pixels, about SSIM's Gaussian window
    const int ch = std::min(half.channels(), 3);
    for (int r = 1; r < half.rows; r += 4) {
      const float* a = shape.ptr<float>(r);
      const float* v = variance.ptr<float>(r);
      for (int x = 1; x < half.cols; x += 4)
        for (int c = 0; c < ch; ++c) {
          pattern_.push_back(a[x] * a[x]);
          denominator_.push_back(2.0f * v[x * half.channels() + c] + 58.5225f);  // C2 = (0.03 * 255)^2
        }
    }
  }
  double ssim(double gain) const {
    double loss = 0;
    for (size_t i = 0; i < pattern_.size(); ++i) {
      const double p = gain * gain * pattern_[i] + 1.0 / 12;
      loss += p / (denominator_[i] + p);
    }
    return 1.0 - loss / static_cast<double>(std::max<size_t>(pattern_.size(), 1));
  }
  // The largest gain up to `limit` whose predicted SSIM loss stays within `budget`.
  double gain_for(double budget, double limit) const {
    if (1.0 - ssim(limit) <= budget) return limit;
    double lo = 0, hi = limit;
    for (int it = 0; it < 14; ++it) {
      const double mid = 0.5 * (lo + hi);
      (1.0 - ssim(mid) > budget ? hi : lo) = mid;
    }
    return lo;
  }

 private:
  std::vector<float> pattern_, denominator_;
};

}  // namespace

Mask embed_amplitude(const media::Image& image, double strength) {
  // Local variance per channel at half resolution (area means, then 5x5 windows = 10x10 pixels):
  // the mask varies slowly, and this halves embed time. The same delta goes into R, G and B, so the
  // channel with the least texture decides (a saturated colour has one nearly flat channel).
  const int hw = (image.width + 1) / 2, hh = (image.height + 1) / 2, ch = image.channels;
  const cv::Mat src(image.height, image.width, CV_8UC(ch), const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat half8, half;
  cv::resize(src, half8, cv::Size(hw, hh), 0, 0, cv::INTER_AREA);
  half8.convertTo(half, CV_32F);
  std::vector<cv::Mat> variances;
  cv::split(local_variance(half, 5), variances);
  cv::Mat variance = variances[0];
  for (int c = 1; c < std::min(ch, 3); ++c) cv::min(variance, variances[static_cast<size_t>(c)], variance);
  // The shape: a^2 = floor + slope * v. Detection gains most where the picture is smooth (its own
  // residual interferes least), SSIM loses most there: the floor is the compromise, measured on
  // the robustness benchmark (docs/watermark.md); texture then raises the amplitude slowly.
  cv::Mat shape;
  cv::sqrt(variance * kTextureSlope + kFlatFloor, shape);
  cv::min(shape, kMaxAmplitude, shape);
  // One gain for the image: the RMS of the change at most kTargetRms (PSNR), and the predicted
  // SSIM loss at most kSsimLossBudget.
  double sum = 0;
  size_t n = 0;
  for (int r = 0; r < hh; r += 2) {
    const float* a = shape.ptr<float>(r);
    for (int x = 0; x < hw; x += 2, ++n) sum += static_cast<double>(a[x]) * a[x];
  }
  const double rms = std::sqrt(sum / static_cast<double>(std::max<size_t>(n, 1)));
  const SsimModel model(half, shape);
  const double gain = model.gain_for(kSsimLossBudget, kTargetRms / rms);
  Mask mask;
  mask.predicted_ssim = model.ssim(gain);
  mask.amplitude = shape * static_cast<float>(strength * gain);
  return mask;
}

// Unit-RMS tile of the given cell values.
std::vector<float> unit_tile(const std::vector<float>& cells, int side) {
  auto tile = render_tile(cells, side);
  double energy = 0;
  for (float v : tile) energy += static_cast<double>(v) * v;
  const auto norm = static_cast<float>(1.0 / std::sqrt(energy / static_cast<double>(tile.size())));
  for (float& v : tile) v *= norm;
  return tile;
}

}  // namespace detail

media::Image embed(const media::Image& image, uint64_t payload, const EmbedOptions& options) {
  if (!(options.strength > 0.0 && options.strength <= 4.0))
    throw Error(ErrorKind::Usage, "watermark: strength must be in (0, 4]");
  detail::check_image(image);
  const int cell = detail::cell_size_for(image.width, image.height);
  const int side = cell * detail::kCells;
  const detail::Mask mask = detail::embed_amplitude(image, options.strength);
  const auto cells = detail::message_cells({payload, cell});
  // Unit RMS, so the amplitude map alone sets the strength (and the PSNR).
  const auto tile = detail::unit_tile(cells, side);

  media::Image out = image;
  const int ch = image.channels;
  // The rounded change of each pixel as two saturating 8-bit planes (up, down), replicated to R, G
  // and B (0 for alpha): OpenCV's saturating add and subtract are vectorised.
  cv::Mat up(image.height, image.width, CV_8U), down(image.height, image.width, CV_8U);
  for (int r = 0; r < image.height; ++r) {
    const float* amp = mask.amplitude.ptr<float>(r / 2);
    const float* tile_row = tile.data() + static_cast<size_t>(r % side) * static_cast<size_t>(side);
    uint8_t* u = up.ptr<uint8_t>(r);
    uint8_t* d = down.ptr<uint8_t>(r);
    for (int x = 0, tx = 0; x < image.width; ++x) {
      // Truncation of a positive number is floor: + 256.5 rounds to nearest.
      const int change = std::clamp(static_cast<int>(amp[x / 2] * tile_row[tx] + 256.5f) - 256, -255, 255);
      u[x] = static_cast<uint8_t>(std::max(change, 0));
      d[x] = static_cast<uint8_t>(std::max(-change, 0));
      if (++tx == side) tx = 0;
    }
  }
  if (ch > 1) {
    const cv::Mat zero = cv::Mat::zeros(image.height, image.width, CV_8U);
    std::vector<cv::Mat> ups(static_cast<size_t>(ch), up), downs(static_cast<size_t>(ch), down);
    if (ch == 4) ups[3] = zero, downs[3] = zero;
    cv::merge(ups, up);
    cv::merge(downs, down);
  }
  cv::Mat pixels(image.height, image.width, CV_8UC(ch), out.pixels.data());
  cv::add(pixels, up, pixels);
  cv::subtract(pixels, down, pixels);
  return out;
}

}  // namespace veritrace::watermark
