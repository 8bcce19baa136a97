// `frequency`: spectral traces of up-sampling in generated images (docs/detection-frequency.md).
//
// Generators build images by up-sampling feature maps (nearest, bilinear, transposed convolutions);
// that leaves periodic patterns in the fine-grain noise and a high-frequency spectrum that does not
// fall off like a camera's. We take fixed-size luma tiles (at most 3 x 3 tiles of 256 x 256, so
// cost and frequency resolution do not depend on the image size), remove the picture content with a
// 3 x 3 median (noise residual = tile - median), window the residual (Hann) and average the tiles'
// power spectra (FFTW, single precision). Features:
//   hf_ratio     log10 mean power at 0.75-1.0 of Nyquist / at 0.25-0.5 (radial bands)
//   vhf_ratio    log10 mean power at 0.9-1.0 / at 0.75-0.9 (what interpolation cuts)
//   slope        slope of log power against log frequency over 0.1-1.0 of Nyquist
//   grid2/4/8    peak contrast (log10 power minus its 9 x 9 ring background) at the frequencies
//                a period of 2, 4 and 8 pixels leaves (N/2, N/4, N/8 ... on both axes and the
//                diagonals); JPEG's 8 x 8 grid also lands on the period-8 and period-4 positions
//   offgrid_peak mean of the 8 strongest peak contrasts away from the JPEG grid frequencies
//                (periodic traces of a generator resized by a non-integer factor land there)
//   resid_rms    log10 RMS of the residual (grey levels): generated images carry less fine grain
//   content_std  log10 standard deviation of the luma tiles (picture contrast, to put the residual
//                level in proportion)
//   sat_mean, sat_std  mean and spread of the colour saturation (max - min) / max of the pixels, and
//   clip_share   share of pixels with a channel at 0-1 or 254-255: generators rarely produce
//                saturated or clipped pixels (McCloskey & Albright 2019); not spectral, but cheap
// A logistic model over the standardised features (frequency_model.hpp, fitted by
// tools/train/fit_frequency.py with leave-one-generator-group-out checks) gives the score (a logit).
#include <fftw3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "audio/fft.hpp"
#include "detect/detectors/detectors.hpp"
#include "detect/detectors/frequency_model.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

constexpr int kMinSide = 64;
constexpr int kMaxTilesPerAxis = 3;
constexpr double kFlatRms = 0.05;  // residual RMS (grey levels) below which there is nothing to see

const char* const kFeatureNames[frequency_model::kFeatureCount] = {
    "hf_ratio", "vhf_ratio", "slope",     "grid2",    "grid4",    "grid8",
    "offgrid_peak", "resid_rms", "content_std", "sat_mean", "sat_std", "clip_share"};

struct FftwDeleter {
  void operator()(void* p) const { fftwf_free(p); }
};
using FloatBuf = std::unique_ptr<float, FftwDeleter>;
using ComplexBuf = std::unique_ptr<fftwf_complex, FftwDeleter>;

FloatBuf alloc_floats(size_t n) {
  auto* p = static_cast<float*>(fftwf_malloc(sizeof(float) * n));
  if (!p) throw std::bad_alloc();
  return FloatBuf(p);
}
ComplexBuf alloc_complex(size_t n) {
  auto* p = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * n));
  if (!p) throw std::bad_alloc();
  return ComplexBuf(p);
}

// FFTW planning is not thread-safe: plans are made once per size under a mutex and kept until the
// process exits (destroyed then, so leak checkers stay quiet); executing a plan on new arrays
// (fftwf_execute_dft_r2c) is thread-safe.
struct PlanCache {
  std::mutex mutex;
  std::map<int, fftwf_plan> plans;
  ~PlanCache() {
    for (auto& [n, p] : plans) fftwf_destroy_plan(p);
  }
};

fftwf_plan r2c_plan(int n) {
  static PlanCache cache;
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto it = cache.plans.find(n);
  if (it != cache.plans.end()) return it->second;
  FloatBuf in = alloc_floats(static_cast<size_t>(n) * n);
  ComplexBuf out = alloc_complex(static_cast<size_t>(n) * (n / 2 + 1));
  fftwf_plan p;
  {
    std::lock_guard<std::mutex> planner(audio::fftw_planner_mutex());  // FFTW's planner is global
    p = fftwf_plan_dft_r2c_2d(n, n, in.get(), out.get(), FFTW_ESTIMATE);
  }
  if (!p) throw Error(ErrorKind::Internal, "frequency: FFTW could not plan a transform");
  cache.plans.emplace(n, p);
  return p;
}

int tile_size_for(int short_side) {
  if (short_side >= 256) return 256;
  if (short_side >= 128) return 128;
  return 64;
}

std::vector<int> tile_starts(int dim, int t) {
  const int n = std::clamp((dim + t - 1) / t, 1, kMaxTilesPerAxis);
  std::vector<int> s;
  if (n == 1) {
    s.push_back(((dim - t) / 2) & ~7);
  } else {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<int>(static_cast<long>(dim - t) * i / (n - 1)) & ~7);
  }
  return s;
}

// Wrapped distance of a frequency index to 0 (indices are periodic in n).
inline int wrap_abs(int k, int n) {
  k %= n;
  if (k < 0) k += n;
  return std::min(k, n - k);
}

struct Spectrum {
  int n = 0;
  std::vector<double> power;  // n x n, unshifted (index 0 = DC), mean over tiles
  double resid_rms = 0.0;
  double content_std = 0.0;  // mean over tiles of the luma standard deviation
  double sat_mean = 0.0, sat_std = 0.0;  // colour saturation (max - min) / max over the tiles' pixels
  double clip_share = 0.0;               // share of pixels with a channel at 0-1 or 254-255
  int tiles = 0;
};

Spectrum residual_spectrum(const media::Image& image) {
  Spectrum s;
  const int t = tile_size_for(std::min(image.width, image.height));
  s.n = t;
  const cv::Mat view = view_of(image);
  std::vector<float> hann(t);
  for (int i = 0; i < t; ++i) hann[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * CV_PI * (i + 0.5) / t));

  const size_t half = static_cast<size_t>(t / 2 + 1);
  FloatBuf in = alloc_floats(static_cast<size_t>(t) * t);
  ComplexBuf out = alloc_complex(static_cast<size_t>(t) * half);
  const fftwf_plan plan = r2c_plan(t);
  std::vector<double> half_power(static_cast<size_t>(t) * half, 0.0);
  double sq_sum = 0.0;
  double sat_sum = 0.0, sat_sq = 0.0;
  long clipped = 0;
  cv::Mat gray, grayf, med;
  for (int y0 : tile_starts(image.height, t)) {
    for (int x0 : tile_starts(image.width, t)) {
      const cv::Mat roi = view(cv::Rect(x0, y0, t, t));
      const int ch = roi.channels();
      for (int y = 0; y < t; ++y) {
        const uint8_t* p = roi.ptr<uint8_t>(y);
        for (int x = 0; x < t; ++x, p += ch) {
          int mx = p[0], mn = p[0];
          if (ch >= 3) {
            mx = std::max({static_cast<int>(p[0]), static_cast<int>(p[1]), static_cast<int>(p[2])});
            mn = std::min({static_cast<int>(p[0]), static_cast<int>(p[1]), static_cast<int>(p[2])});
          }
          const double sat = (mx - mn) / (mx + 1e-3);
          sat_sum += sat;
          sat_sq += sat * sat;
          clipped += (mx >= 254 || mn <= 1) ? 1 : 0;
        }
      }
      if (roi.channels() == 1) {
        gray = roi;
      } else {
        cv::cvtColor(roi, gray, roi.channels() == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
      }
      gray.convertTo(grayf, CV_32F);
      cv::Scalar mean, stddev;
      cv::meanStdDev(grayf, mean, stddev);
      s.content_std += stddev[0];
      cv::medianBlur(grayf, med, 3);
      for (int y = 0; y < t; ++y) {
        const float* g = grayf.ptr<float>(y);
        const float* m = med.ptr<float>(y);
        float* dst = in.get() + static_cast<size_t>(y) * t;
        for (int x = 0; x < t; ++x) {
          const float r = g[x] - m[x];
          sq_sum += static_cast<double>(r) * r;
          dst[x] = r * hann[y] * hann[x];
        }
      }
      fftwf_execute_dft_r2c(plan, in.get(), out.get());
      for (size_t i = 0; i < half_power.size(); ++i) {
        const double re = out.get()[i][0], im = out.get()[i][1];
        half_power[i] += re * re + im * im;
      }
      ++s.tiles;
    }
  }
  s.resid_rms = std::sqrt(sq_sum / (static_cast<double>(s.tiles) * t * t));
  s.content_std /= s.tiles;
  {
    const double npx = static_cast<double>(s.tiles) * t * t;
    s.sat_mean = sat_sum / npx;
    s.sat_std = std::sqrt(std::max(0.0, sat_sq / npx - s.sat_mean * s.sat_mean));
    s.clip_share = static_cast<double>(clipped) / npx;
  }
  // Full n x n spectrum from the half (Hermitian symmetry), normalised per tile and per pixel.
  s.power.assign(static_cast<size_t>(t) * t, 0.0);
  const double norm = 1.0 / (static_cast<double>(s.tiles) * t * t);
  for (int ky = 0; ky < t; ++ky) {
    for (int kx = 0; kx < t; ++kx) {
      double v;
      if (kx < static_cast<int>(half)) {
        v = half_power[static_cast<size_t>(ky) * half + kx];
      } else {
        v = half_power[static_cast<size_t>((t - ky) % t) * half + (t - kx)];
      }
      s.power[static_cast<size_t>(ky) * t + kx] = v * norm;
    }
  }
  return s;
}

struct Features {
  std::array<double, frequency_model::kFeatureCount> x{};
  std::vector<double> radial;  // log10 mean power per radius 1..n/2
  double strongest_period = 0.0;  // pixels, of the strongest off-grid peak
};

Features compute_features(const Spectrum& s) {
  const int n = s.n, h = n / 2;
  Features f;
  // Log power, padded by 4 with wrap-around (the spectrum is periodic) for the ring backgrounds.
  cv::Mat logp(n, n, CV_64F);
  double floor_v = 1e-12;
  for (double v : s.power) floor_v = std::max(floor_v, v * 1e-9);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) logp.at<double>(y, x) = std::log10(s.power[static_cast<size_t>(y) * n + x] + floor_v);
  cv::Mat padded, integral;
  cv::copyMakeBorder(logp, padded, 4, 4, 4, 4, cv::BORDER_WRAP);
  cv::integral(padded, integral, CV_64F);
  auto box = [&](int y, int x, int r) {  // sum over [y-r, y+r] x [x-r, x+r] in logp coordinates
    const int y0 = y + 4 - r, y1 = y + 4 + r + 1, x0 = x + 4 - r, x1 = x + 4 + r + 1;
    return integral.at<double>(y1, x1) - integral.at<double>(y0, x1) - integral.at<double>(y1, x0) +
           integral.at<double>(y0, x0);
  };
  auto contrast = [&](int ky, int kx) {
    ky = ((ky % n) + n) % n;
    kx = ((kx % n) + n) % n;
    const double ring = (box(ky, kx, 4) - box(ky, kx, 1)) / 72.0;
    return logp.at<double>(ky, kx) - ring;
  };

  // Radial mean power per integer radius.
  std::vector<double> sum(h + 2, 0.0);
  std::vector<int> cnt(h + 2, 0);
  for (int y = 0; y < n; ++y) {
    const int fy = wrap_abs(y, n);
    for (int x = 0; x < n; ++x) {
      const int fx = wrap_abs(x, n);
      const int r = static_cast<int>(std::lround(std::sqrt(static_cast<double>(fy) * fy + static_cast<double>(fx) * fx)));
      if (r > h) continue;
      sum[r] += s.power[static_cast<size_t>(y) * n + x];
      ++cnt[r];
    }
  }
  auto band = [&](double lo, double hi) {  // mean power for lo < r/h <= hi
    double acc = 0.0;
    long c = 0;
    for (int r = 1; r <= h; ++r) {
      const double fr = static_cast<double>(r) / h;
      if (fr > lo && fr <= hi) acc += sum[r], c += cnt[r];
    }
    return c ? acc / c : 0.0;
  };
  const double tiny = floor_v;
  f.x[0] = std::log10((band(0.75, 1.0) + tiny) / (band(0.25, 0.5) + tiny));
  f.x[1] = std::log10((band(0.9, 1.0) + tiny) / (band(0.75, 0.9) + tiny));
  {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (int r = 1; r <= h; ++r) {
      const double fr = static_cast<double>(r) / h;
      const double ly = std::log10(sum[r] / std::max(1, cnt[r]) + tiny);
      f.radial.push_back(ly);
      if (fr < 0.1) continue;
      const double lx = std::log10(fr);
      sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, ++m;
    }
    const double den = m * sxx - sx * sx;
    f.x[2] = den > 0 ? (m * sxy - sx * sy) / den : 0.0;
  }
  // Peaks at the periods up-sampling leaves: period p -> frequency n/p (and its multiples below
  // Nyquist), on both axes and both diagonals.
  auto grid_mean = [&](int period, int skip_period) {
    const int step = n / period;
    double acc = 0.0;
    int c = 0;
    for (int a = 0; a <= period / 2; ++a)
      for (int b = -period / 2 + 1; b <= period / 2; ++b) {
        if (a == 0 && b <= 0) continue;  // half plane, no DC
        const int ky = a * step, kx = b * step;
        // Positions that a shorter period already covers are left to it.
        if (skip_period > 0 && (ky % (n / skip_period)) == 0 && (((kx % (n / skip_period)) + n) % (n / skip_period)) == 0) continue;
        acc += contrast(ky, kx);
        ++c;
      }
    return c ? acc / c : 0.0;
  };
  f.x[3] = grid_mean(2, 0);
  f.x[4] = grid_mean(4, 2);
  f.x[5] = n >= 128 ? grid_mean(8, 4) : 0.0;
  // Strongest peaks away from the JPEG 8 x 8 grid frequencies (multiples of n/8 on both axes)
  // and away from the lowest frequencies (picture content).
  {
    const int g = n / 8;
    std::vector<std::pair<double, int>> c;
    c.reserve(static_cast<size_t>(n) * n / 2);
    for (int y = 0; y < n; ++y) {
      const int fy = wrap_abs(y, n);
      for (int x = 0; x <= h; ++x) {
        const int fx = x;
        if (std::sqrt(static_cast<double>(fy) * fy + static_cast<double>(fx) * fx) < 0.15 * h) continue;
        if (wrap_abs(fy, g) <= 2 && wrap_abs(fx, g) <= 2) continue;
        c.emplace_back(contrast(y, x), y * n + x);
      }
    }
    const size_t k = std::min<size_t>(8, c.size());
    if (k > 0) {
      std::partial_sort(c.begin(), c.begin() + static_cast<long>(k), c.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      double acc = 0.0;
      for (size_t i = 0; i < k; ++i) acc += c[i].first;
      f.x[6] = acc / static_cast<double>(k);
      const int fy = wrap_abs(c[0].second / n, n), fx = wrap_abs(c[0].second % n, n);
      const double fr = std::sqrt(static_cast<double>(fy) * fy + static_cast<double>(fx) * fx);
      f.strongest_period = fr > 0 ? n / fr : 0.0;
    }
  }
  f.x[7] = std::log10(s.resid_rms + 1e-3);
  f.x[8] = std::log10(s.content_std + 1e-3);
  f.x[9] = s.sat_mean;
  f.x[10] = s.sat_std;
  f.x[11] = s.clip_share;
  return f;
}

class FrequencyDetector final : public Detector {
 public:
  std::string name() const override { return "frequency"; }
  std::string version() const override { return "2"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }

  DetectorResult run(const Sample& sample) const override {
    if (!sample.image) return not_applicable(*this, "no decoded image");
    const media::Image& img = *sample.image;
    if (img.width <= 0 || img.height <= 0 || img.pixels.size() < static_cast<size_t>(img.width) * img.height * img.channels)
      return not_applicable(*this, "no decoded image");
    if (std::min(img.width, img.height) < kMinSide) return not_applicable(*this, "image smaller than 64 px");
    if (img.channels != 1 && img.channels != 3 && img.channels != 4)
      return not_applicable(*this, "unsupported channel count");

    const Spectrum spec = residual_spectrum(img);
    if (spec.resid_rms < kFlatRms)
      return not_applicable(*this, "image is flat: no fine-grain noise to analyse");
    const Features f = compute_features(spec);

    namespace fm = frequency_model;
    double logit = fm::kIntercept;
    for (int i = 0; i < fm::kFeatureCount; ++i) logit += fm::kWeight[i] * (f.x[i] - fm::kMean[i]) / fm::kScale[i];
    if (!std::isfinite(logit)) return not_applicable(*this, "spectrum could not be measured");

    DetectorResult r = applied(*this, Finding::Synthetic);
    r.score = logit;
    auto& ev = r.evidence;
    char buf[320];
    if (logit >= fm::kFlagLogit) {
      std::snprintf(buf, sizeof buf,
                    "The image's fine-grain noise and colour statistics (%.1f%% clipped pixels) resemble those of "
                    "generated images more than those of camera pictures (score %.2f; a weak cue on its own).",
                    f.x[11] * 100.0, logit);
    } else {
      std::snprintf(buf, sizeof buf,
                    "The image's fine-grain noise and colour statistics look like those of camera pictures "
                    "(score %.2f).",
                    logit);
    }
    ev.summary = buf;
    for (int i = 0; i < fm::kFeatureCount; ++i) ev.numbers.emplace_back(kFeatureNames[i], f.x[i]);
    ev.numbers.emplace_back("strongest_period_px", f.strongest_period);
    ev.numbers.emplace_back("tile_size", spec.n);
    ev.numbers.emplace_back("tiles", spec.tiles);
    // A coarse radial profile (16 points, log10 power, 0 = highest) for reports and plots.
    std::vector<double> profile;
    const size_t m = f.radial.size();
    const double top = m ? *std::max_element(f.radial.begin(), f.radial.end()) : 0.0;
    for (size_t i = 0; i < 16 && m; ++i) profile.push_back(std::round((f.radial[(i * m) / 16 + m / 32] - top) * 1000.0) / 1000.0);
    ev.details["radial_log_power"] = profile;
    ev.details["radial_log_power_note"] = "log10 mean residual power per ring, 16 rings from low to Nyquist";
    ev.details["flag_logit"] = fm::kFlagLogit;
    return r;
  }
};

}  // namespace
std::unique_ptr<Detector> make_frequency_detector() { return std::make_unique<FrequencyDetector>(); }
}  // namespace veritrace::detect
