// embed(): the tile for the payload, scaled per pixel by a perceptual mask, added to luma (the same
// delta in R, G and B, so colour is kept; alpha untouched).
#include <algorithm>
#include <utility>
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

// Unit-RMS tile of the given cell values.
std::vector<float> unit_tile(const std::vector<float>& cells, int side) {
  auto tile = render_tile(cells, side);
  double energy = 0;
  for (float v : tile) energy += static_cast<double>(v) * v;
  const auto norm = static_cast<float>(1.0 / std::sqrt(energy / static_cast<double>(tile.size())));
  for (float& v : tile) v *= norm;
  return tile;
}

namespace {

// Local variance of every channel of the reduced image over square windows of `side` pixels.
cv::Mat local_variance(const cv::Mat& half, int side) {
  cv::Mat mean, mean_sq;
  cv::boxFilter(half, mean, CV_32F, cv::Size(side, side), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(half.mul(half), mean_sq, CV_32F, cv::Size(side, side), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::Mat variance = mean_sq - mean.mul(mean);
  return cv::max(variance, 0.0);
}

// The mask's amplitude at a gain g: min(g * shape, cap), both at 1/kMaskScale resolution.
struct Amplitude {
  cv::Mat shape, cap;
  cv::Mat at_gain(double gain) const {
    cv::Mat out = shape * gain;
    return cv::min(out, cap);
  }
  double rms(double gain) const {
    double sum = 0;
    for (int r = 0; r < shape.rows; ++r) {
      const float* s = shape.ptr<float>(r);
      const float* c = cap.ptr<float>(r);
      for (int x = 0; x < shape.cols; ++x) {
        const double a = std::min(static_cast<double>(gain) * s[x], static_cast<double>(c[x]));
        sum += a * a;
      }
    }
    return std::sqrt(sum / static_cast<double>(std::max(1, shape.rows * shape.cols)));
  }
  // The gain whose RMS is `target` (the largest useful gain if the caps keep it below).
  double gain_for_rms(double target) const {
    double hi = 1.0;
    double at_hi = rms(hi);
    while (at_hi < target && hi < 64) at_hi = rms(hi *= 2);
    if (at_hi < target) return hi;
    double lo = 0;
    for (int it = 0; it < 20; ++it) {
      const double mid = 0.5 * (lo + hi);
      (rms(mid) > target ? hi : lo) = mid;
    }
    return lo;
  }
};

// SSIM predicted for the mark at a given gain, at about kSamples points of the image. SSIM (per
// colour channel, Gaussian window sigma 1.5, 11x11) of x against x + d, d the same change in every
// channel, is l * cs with cs = (2 v + C2) / (2 v + p + C2) and l = (2 mu^2 + C1) / (2 mu^2 + C1 + q),
// where v and mu are the picture's local variance and mean, and p and q the local variance and
// squared local mean of d (taking d as uncorrelated with the picture). d is the rounded pattern:
// rounding a smooth pattern of one or two grey levels makes a staircase whose local variance is far
// from the pattern's own (more at about one level, less below half a level), so p and q are
// computed from the rounded values in each window, for every gain tried.
class SsimModel {
 public:
  SsimModel(const media::Image& image, const Amplitude& amplitude, const std::vector<float>& tile, int side) : side_(side) {
    // The tile with its first 2r rows and columns repeated after it: any window lies inside.
    const int wide = side + 2 * kRadius;
    tile_.resize(static_cast<size_t>(wide) * static_cast<size_t>(wide));
    for (int y = 0; y < wide; ++y)
      for (int x = 0; x < wide; ++x) tile_[static_cast<size_t>(y) * static_cast<size_t>(wide) + static_cast<size_t>(x)] = tile[static_cast<size_t>(y % side) * static_cast<size_t>(side) + static_cast<size_t>(x % side)];
    float total = 0;
    for (int k = -kRadius; k <= kRadius; ++k) total += weights_[k + kRadius] = std::exp(-0.5f * static_cast<float>(k * k) / (1.5f * 1.5f));
    for (float& w : weights_) w /= total;
    const int ch = image.channels, colours = std::min(ch, 3);
    const int stride = std::max(4, static_cast<int>(std::lround(std::sqrt(static_cast<double>(image.width) * image.height / kSamples))));
    const uint8_t* px = image.pixels.data();
    for (int y = kRadius; y < image.height - kRadius; y += stride)
      for (int x = kRadius; x < image.width - kRadius; x += stride) {
        Sample sample{amplitude.shape.at<float>(y / kMaskScale, x / kMaskScale), amplitude.cap.at<float>(y / kMaskScale, x / kMaskScale), (y - kRadius) % side, (x - kRadius) % side, {}, {}};
        for (int c = 0; c < colours; ++c) {
          const auto [mean, variance] = window_moments([&](int j, int i) {
            return static_cast<float>(px[(static_cast<size_t>(y + j) * static_cast<size_t>(image.width) + static_cast<size_t>(x + i)) * static_cast<size_t>(ch) + static_cast<size_t>(c)]);
          });
          sample.structure[c] = 2.0f * variance + 58.5225f;   // 2 v + C2, C2 = (0.03 * 255)^2
          sample.luminance[c] = 2.0f * mean * mean + 6.5025f;  // 2 mu^2 + C1, C1 = (0.01 * 255)^2
        }
        for (int c = colours; c < 3; ++c) sample.structure[c] = sample.luminance[c] = 0;  // unused
        samples_.push_back(sample);
      }
    colours_ = colours;
  }

  double ssim(double gain) const {
    double total = 0;
    for (const Sample& s : samples_) {
      const float amplitude = std::min(static_cast<float>(gain) * s.amplitude, s.cap);
      const float* window = tile_.data() + static_cast<size_t>(s.tile_y + kRadius) * static_cast<size_t>(side_ + 2 * kRadius) + static_cast<size_t>(s.tile_x + kRadius);
      const auto [mean, variance] = window_moments([&](int j, int i) {
        const float v = amplitude * window[j * (side_ + 2 * kRadius) + i];
        return static_cast<float>(static_cast<int>(v + 256.5f) - 256);  // rounded as embed rounds
      });
      const double p = variance, q = static_cast<double>(mean) * mean;
      for (int c = 0; c < colours_; ++c) total += (s.structure[c] / (s.structure[c] + p)) * (s.luminance[c] / (s.luminance[c] + q));
    }
    return total / static_cast<double>(std::max<size_t>(samples_.size() * static_cast<size_t>(colours_), 1));
  }

  // The largest gain up to `limit` whose predicted SSIM loss stays within `budget`.
  double gain_for(double budget, double limit) const {
    if (1.0 - ssim(limit) <= budget) return limit;
    double lo = 0, hi = limit;
    for (int it = 0; it < 10; ++it) {
      const double mid = 0.5 * (lo + hi);
      (1.0 - ssim(mid) > budget ? hi : lo) = mid;
    }
    return lo;
  }

 private:
  static constexpr int kRadius = 5;
  static constexpr double kSamples = 3000;
  struct Sample {
    float amplitude;      // the mask's amplitude at gain 1
    float cap;            // and its cap
    int tile_y, tile_x;   // the window's top-left corner in the tile
    float structure[3];   // 2 v + C2 per colour channel
    float luminance[3];   // 2 mu^2 + C1 per colour channel
  };
  // Gaussian-weighted mean and variance over the window, value(j, i) for j, i in [-r, r].
  template <typename Value>
  std::pair<float, float> window_moments(Value value) const {
    float m = 0, m2 = 0;
    for (int j = -kRadius; j <= kRadius; ++j) {
      float rm = 0, rm2 = 0;
      for (int i = -kRadius; i <= kRadius; ++i) {
        const float v = value(j, i);
        rm += weights_[i + kRadius] * v;
        rm2 += weights_[i + kRadius] * v * v;
      }
      m += weights_[j + kRadius] * rm;
      m2 += weights_[j + kRadius] * rm2;
    }
    return {m, std::max(0.0f, m2 - m * m)};
  }

  std::vector<float> tile_;  // (side + 2r)^2, wrapped
  int side_;
  int colours_ = 1;
  float weights_[2 * kRadius + 1] = {};
  std::vector<Sample> samples_;
};

}  // namespace

Mask embed_amplitude(const media::Image& image, double strength, const std::vector<float>& tile, int side) {
  // Local variance per channel at 1/4 resolution (area means, then 3x3 windows = 12x12 pixels):
  // the mask varies slowly, and this halves embed time. The same delta goes into R, G and B, so the
  // channel with the least texture decides (a saturated colour has one nearly flat channel).
  const int hw = (image.width + kMaskScale - 1) / kMaskScale, hh = (image.height + kMaskScale - 1) / kMaskScale, ch = image.channels;
  const cv::Mat src(image.height, image.width, CV_8UC(ch), const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat half8, half;
  cv::resize(src, half8, cv::Size(hw, hh), 0, 0, cv::INTER_AREA);
  half8.convertTo(half, CV_32F);
  std::vector<cv::Mat> variances;
  cv::split(local_variance(half, kMaskWindow), variances);
  cv::Mat variance = variances[0];
  for (int c = 1; c < std::min(ch, 3); ++c) cv::min(variance, variances[static_cast<size_t>(c)], variance);
  // The shape: a^2 = floor + slope * v. Detection gains most where the picture is smooth (its own
  // residual interferes least), SSIM loses most there: the floor is the compromise, measured on
  // the robustness benchmark (docs/watermark.md); texture then raises the amplitude slowly.
  cv::Mat shape;
  cv::sqrt(variance * kTextureSlope + kFlatFloor, shape);
  cv::min(shape, kMaxAmplitude, shape);
  // Near black or white a channel cannot move both ways: the change would be clipped into a
  // brightness shift (visible in shadows, and SSIM's luminance term punishes it in a dark channel).
  // The amplitude follows the headroom of the tightest colour channel there.
  std::vector<cv::Mat> channels;
  cv::split(half, channels);
  cv::Mat headroom = cv::min(channels[0], 255.0f - channels[0]);
  for (int c = 1; c < std::min(ch, 3); ++c) headroom = cv::min(headroom, cv::min(channels[static_cast<size_t>(c)], 255.0f - channels[static_cast<size_t>(c)]));
  cv::min(shape, headroom * kHeadroomSlope + kHeadroomFloor, shape);
  // Whatever the gain, flat areas keep a small absolute amplitude (a pattern of a grey level or two
  // shows in a clear sky even where SSIM barely moves): at most kFlatAmplitude plus
  // kAmplitudePerSigma times the local standard deviation.
  cv::Mat cap;
  cv::sqrt(variance, cap);
  cap = cap * kAmplitudePerSigma + kFlatAmplitude;
  const Amplitude amplitude{shape, cap};
  // One gain for the image: the RMS of the change at most kTargetRms (PSNR), and the predicted
  // SSIM loss at most kSsimLossBudget.
  const double psnr_gain = amplitude.gain_for_rms(kTargetRms);
  const SsimModel model(image, amplitude, tile, side);
  const double gain = model.gain_for(kSsimLossBudget, psnr_gain);
  Mask mask;
  mask.predicted_ssim = model.ssim(gain);
  mask.amplitude = amplitude.at_gain(gain) * strength;
  return mask;
}

}  // namespace detail

media::Image embed(const media::Image& image, uint64_t payload, const EmbedOptions& options) {
  if (!(options.strength > 0.0 && options.strength <= 4.0))
    throw Error(ErrorKind::Usage, "watermark: strength must be in (0, 4]");
  detail::check_image(image);
  const int cell = detail::cell_size_for(image.width, image.height);
  const int side = cell * detail::kCells;
  // Unit RMS, so the amplitude map alone sets the strength (and the PSNR).
  const auto tile = detail::unit_tile(detail::message_cells({payload, cell}), side);
  const detail::Mask mask = detail::embed_amplitude(image, options.strength, tile, side);

  media::Image out = image;
  const int ch = image.channels, colours = std::min(ch, 3);
  // The rounded change of every pixel, added with saturation to R, G and B alike (alpha untouched).
  std::vector<int> change(static_cast<size_t>(image.width));
  for (int r = 0; r < image.height; ++r) {
    const float* amp = mask.amplitude.ptr<float>(r / detail::kMaskScale);
    const float* tile_row = tile.data() + static_cast<size_t>(r % side) * static_cast<size_t>(side);
    for (int x = 0, tx = 0; x < image.width; ++x) {
      // Truncation of a positive number is floor: + 256.5 rounds to nearest.
      change[static_cast<size_t>(x)] = static_cast<int>(amp[x / detail::kMaskScale] * tile_row[tx] + 256.5f) - 256;
      if (++tx == side) tx = 0;
    }
    uint8_t* px = out.pixels.data() + static_cast<size_t>(r) * static_cast<size_t>(image.width) * static_cast<size_t>(ch);
    for (int x = 0; x < image.width; ++x, px += ch)
      for (int c = 0; c < colours; ++c) px[c] = static_cast<uint8_t>(std::clamp(px[c] + change[static_cast<size_t>(x)], 0, 255));
  }
  return out;
}

}  // namespace veritrace::watermark
