#include "watermark/wm_sync.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <utility>
#include <opencv2/imgproc.hpp>

#include "watermark/wm_pattern.hpp"

namespace veritrace::watermark::detail {

namespace {

constexpr double kMinPeriod = 36.0;      // work pixels: a 1080p mark resized to 0.33x still has 43
constexpr double kMaxLagFraction = 0.45;  // lags up to this fraction of the shorter side
constexpr double kMaxWhitenedPower = 12.0;
constexpr double kMaxSearchAngle = 10.0;  // degrees, for known periods
constexpr double kFineSigma = 0.6, kCoarseSigma = 3.0;  // the residual's band-pass (work pixels)
constexpr int kActivityWindow = 7;      // local residual energy window (work pixels)
constexpr double kActivityFloor = 1.0;  // added to the local energy (grey levels^2)
constexpr double kActivityExponent = 0.75;  // weight = 1 / (local energy + floor)^this
constexpr double kResidualScale = 4.0;  // keeps the weighted residual near unit scale
constexpr int kWhitenRadius = 3;        // spectrum smoothed over (2r+1)^2 frequency bins
constexpr double kWhitenExponent = 0.4;  // spectrum divided by its smoothed power^this

// Partial spectral whitening: the picture's own residual is far from white (texture has dominant
// frequencies and orientations), and the tiling hides under it. Dividing every frequency by a
// power of the picture's smoothed power spectrum there (a local mean over a few bins: wider than
// the tiling's lines are apart, so the lines stay) weights each frequency by how little the
// picture interferes there. Exponent 0.4 rather than full whitening (0.5, or 1 for a matched
// detector): bands that compression emptied are not blown up. Measured on the robustness benchmark:
// at 512x512 WebP 75 went from 12 to 22 of 27 photos, JPEG 50 from 16 to 23.
void whiten(cv::Mat& residual) {
  // Few full-size buffers, filled in place: at 1080p each is 2-4 MB, and fresh pages cost more
  // than the arithmetic.
  const int w = residual.cols, h = residual.rows;
  const int fw = cv::getOptimalDFTSize(w), fh = cv::getOptimalDFTSize(h);
  cv::Mat input = residual;
  if (fw != w || fh != h) {
    input = cv::Mat::zeros(fh, fw, CV_32F);
    residual.copyTo(input(cv::Rect(0, 0, w, h)));
  }
  cv::Mat spectrum;
  cv::dft(input, spectrum, cv::DFT_COMPLEX_OUTPUT);
  constexpr int r = kWhitenRadius;
  // The power spectrum with an r-bin periodic border (the spectrum wraps around), smoothed.
  cv::Mat wrapped(fh + 2 * r, fw + 2 * r, CV_32F);
  double total = 0;
  for (int y = 0; y < fh; ++y) {
    const auto* c = spectrum.ptr<cv::Vec2f>(y);
    float* p = wrapped.ptr<float>(y + r) + r;
    for (int x = 0; x < fw; ++x) total += p[x] = c[x][0] * c[x][0] + c[x][1] * c[x][1];
  }
  cv::copyMakeBorder(wrapped(cv::Rect(r, r, fw, fh)), wrapped, r, r, r, r, cv::BORDER_WRAP | cv::BORDER_ISOLATED);
  cv::blur(wrapped, wrapped, cv::Size(2 * r + 1, 2 * r + 1));
  const float floor = static_cast<float>(1e-3 * total / (static_cast<double>(fw) * fh) + 1e-12);
  cv::Mat scale = wrapped(cv::Rect(r, r, fw, fh));
  scale += floor;
  cv::pow(scale, -kWhitenExponent, scale);
  for (int y = 0; y < fh; ++y) {
    auto* c = spectrum.ptr<cv::Vec2f>(y);
    const float* k = scale.ptr<float>(y);
    for (int x = 0; x < fw; ++x) c[x] *= k[x];
  }
  cv::Mat out;
  cv::idft(spectrum, out, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  residual = (fw != w || fh != h) ? out(cv::Rect(0, 0, w, h)).clone() : out;
}

// Autocorrelation lags -maxlag..maxlag in both axes, of the spectrally whitened residual: each
// power value is divided by its neighbourhood's mean, so the tiling's line spectrum (a lattice of
// lines at multiples of 1/period) stands out from the smooth spectrum of the picture, and clipped,
// so that a few strong lines of a periodic picture cannot dominate. Circular (no padding): pairs
// that wrap around only dilute a lattice peak, as the image is not a multiple of the period.
}  // namespace

cv::Mat autocorrelation(const cv::Mat& residual, int maxlag) {
  const int w = residual.cols, h = residual.rows;
  const int fw = cv::getOptimalDFTSize(w), fh = cv::getOptimalDFTSize(h);
  cv::Mat padded = cv::Mat::zeros(fh, fw, CV_32F);
  const cv::Scalar mean = cv::mean(residual);
  cv::subtract(residual, mean, padded(cv::Rect(0, 0, w, h)));
  cv::Mat spectrum, corr;
  cv::dft(padded, spectrum, cv::DFT_COMPLEX_OUTPUT, h);
  // Whitening by the mean power at the same spatial frequency (rings): this flattens the picture's
  // 1/f falloff but keeps the lines, however dense (a local mean would flatten dense lines too).
  // The power replaces the spectrum in place (real part; the transform back is real).
  constexpr int kRings = 512;
  std::vector<double> ring_sum(kRings + 1, 0.0);
  std::vector<int> ring_count(kRings + 1, 0);
  std::vector<double> fu2(static_cast<size_t>(fw));
  for (int u = 0; u < fw; ++u) {
    const double fu = static_cast<double>(u <= fw / 2 ? u : u - fw) / fw;
    fu2[static_cast<size_t>(u)] = fu * fu;
  }
  auto ring_of = [&](int v, int u) {
    const double fv = static_cast<double>(v <= fh / 2 ? v : v - fh) / fh;
    return std::min(kRings, static_cast<int>(std::sqrt(fv * fv + fu2[static_cast<size_t>(u)]) * kRings));
  };
  double total = 0;
  for (int v = 0; v < fh; ++v) {
    auto* c = spectrum.ptr<cv::Vec2f>(v);
    for (int u = 0; u < fw; ++u) {
      const float p = c[u][0] * c[u][0] + c[u][1] * c[u][1];
      c[u] = cv::Vec2f(p, 0.0f);
      const int ring = ring_of(v, u);
      ring_sum[static_cast<size_t>(ring)] += p;
      ++ring_count[static_cast<size_t>(ring)];
      total += p;
    }
  }
  const double floor = 1e-6 * total / (static_cast<double>(fw) * fh) + 1e-12;
  std::vector<float> ring_scale(ring_sum.size());
  // ... times the residual filter's own power response, so the band where the pattern lives keeps
  // its weight and nearly empty bands (close to Nyquist: interpolation and aliasing artefacts) are
  // not blown up.
  for (size_t r = 0; r < ring_sum.size(); ++r) {
    const double f = static_cast<double>(r) / kRings, w2 = 2.0 * M_PI * M_PI * f * f;
    const double response = std::exp(-w2 * kFineSigma * kFineSigma) - std::exp(-w2 * kCoarseSigma * kCoarseSigma);
    ring_scale[r] = static_cast<float>(response * response / (ring_sum[r] / std::max(ring_count[r], 1) + floor));
  }
  for (int v = 0; v < fh; ++v) {
    auto* c = spectrum.ptr<cv::Vec2f>(v);
    for (int u = 0; u < fw; ++u) c[u][0] = std::min(static_cast<float>(kMaxWhitenedPower), c[u][0] * ring_scale[static_cast<size_t>(ring_of(v, u))]);
  }
  cv::idft(spectrum, corr, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  const int side = 2 * maxlag + 1;
  cv::Mat lags(side, side, CV_32F);
  for (int dy = -maxlag; dy <= maxlag; ++dy) {
    const float* src = corr.ptr<float>((dy + fh) % fh);
    float* dst = lags.ptr<float>(dy + maxlag);
    for (int dx = -maxlag; dx <= maxlag; ++dx) dst[dx + maxlag] = src[(dx + fw) % fw];
  }
  return lags;
}

namespace {

struct LagMap {
  cv::Mat prominence;  // autocorrelation minus its local 11x11 mean
  int maxlag = 0;
  double bilinear(double x, double y) const {  // interpolated at lag (x, y), which must lie inside
    const double fx = x + maxlag, fy = y + maxlag;
    const int ix = static_cast<int>(std::floor(fx)), iy = static_cast<int>(std::floor(fy));
    const double ax = fx - ix, ay = fy - iy;
    const cv::Mat& p = prominence;
    return (1 - ay) * ((1 - ax) * p.at<float>(iy, ix) + ax * p.at<float>(iy, ix + 1)) +
           ay * ((1 - ax) * p.at<float>(iy + 1, ix) + ax * p.at<float>(iy + 1, ix + 1));
  }
  float at(double x, double y) const {  // best value within one lag of (x, y); 0 outside
    const int cx = static_cast<int>(std::lround(x)) + maxlag, cy = static_cast<int>(std::lround(y)) + maxlag;
    float best = 0;
    for (int yy = cy - 1; yy <= cy + 1; ++yy)
      for (int xx = cx - 1; xx <= cx + 1; ++xx)
        if (yy >= 0 && xx >= 0 && yy < prominence.rows && xx < prominence.cols)
          best = std::max(best, prominence.at<float>(yy, xx));
    return best;
  }
};

double lattice_support(const LagMap& map, double a, double b) {
  return map.at(a, b) + map.at(-b, a) + 0.5 * (map.at(a - b, b + a) + map.at(a + b, b - a));
}

// Least-squares fit of (a, b) to the sub-pixel peak positions at lattice points m*v1 + n*v2.
void refine_lattice(const LagMap& map, Lattice& lat) {
  const int maxlag = map.maxlag;
  for (int iter = 0; iter < 3; ++iter) {
    double s11 = 0, s12 = 0, s22 = 0, r1 = 0, r2 = 0;
    const double period = lat.period();
    // First the nearest lattice points (a wrong integer guess is at most ~1 lag off there), then all.
    const int reach = iter == 0 ? 2 : static_cast<int>(maxlag / period) + 1;
    const int radius = 1;
    for (int n = 0; n <= reach; ++n)
      for (int m = -reach; m <= reach; ++m) {
        if (n == 0 && m <= 0) continue;
        const double qx = m * lat.a - n * lat.b, qy = m * lat.b + n * lat.a;
        if (std::hypot(qx, qy) > maxlag - 3) continue;
        int bx = static_cast<int>(std::lround(qx)) + maxlag, by = static_cast<int>(std::lround(qy)) + maxlag;
        float best = -1e30f;
        int px = bx, py = by;
        for (int yy = by - radius; yy <= by + radius; ++yy)
          for (int xx = bx - radius; xx <= bx + radius; ++xx) {
            const float v = map.prominence.at<float>(yy, xx);
            if (v > best) best = v, px = xx, py = yy;
          }
        if (best <= 0) continue;
        const cv::Mat& p = map.prominence;
        auto vertex = [](double l, double c, double r) {
          const double d = l - 2 * c + r;
          return d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
        };
        const double fx = px + vertex(p.at<float>(py, px - 1), best, p.at<float>(py, px + 1)) - maxlag;
        const double fy = py + vertex(p.at<float>(py - 1, px), best, p.at<float>(py + 1, px)) - maxlag;
        const double w = best;
        // fx = m a - n b ; fy = n a + m b
        s11 += w * (m * m + n * n);
        s22 += w * (n * n + m * m);
        s12 += w * (-m * n + n * m);
        r1 += w * (m * fx + n * fy);
        r2 += w * (-n * fx + m * fy);
      }
    const double det = s11 * s22 - s12 * s12;
    if (!(det > 0)) return;
    lat.a = (r1 * s22 - r2 * s12) / det;
    lat.b = (s11 * r2 - s12 * r1) / det;
  }
}

// For a period the image may still have (not rescaled, only rotated and/or cropped): the angles in
// [-kMaxSearchAngle, kMaxSearchAngle] whose lattice collects the most autocorrelation, summed over
// every lattice point within reach (a comb: much more sensitive than one peak on small images).
// Up to two local maxima at least 1 degree apart, each at the parabola vertex of its score.
void best_angles_for_period(const LagMap& map, double period, std::vector<Lattice>& out) {
  const int maxlag = map.maxlag;
  if (period > maxlag - 3) return;
  const int reach = static_cast<int>(maxlag / period);
  // Angle steps that move the farthest point by a quarter of a lag.
  const double step = 0.25 / (reach * period);
  const double limit = kMaxSearchAngle * M_PI / 180.0;
  std::vector<double> scores;
  for (double angle = -limit; angle <= limit; angle += step) {
    const double a = period * std::cos(angle), b = period * std::sin(angle);
    double score = 0;
    for (int n = 0; n <= reach; ++n)
      for (int m = -reach; m <= reach; ++m) {
        if (n == 0 && m <= 0) continue;
        const double qx = m * a - n * b, qy = m * b + n * a;
        if (qx * qx + qy * qy > (maxlag - 2.0) * (maxlag - 2.0)) continue;
        score += map.bilinear(qx, qy);
      }
    scores.push_back(score);
  }
  std::vector<size_t> taken;
  for (int k = 0; k < 2; ++k) {
    size_t best = scores.size();
    for (size_t i = 1; i + 1 < scores.size(); ++i) {
      if (scores[i] < scores[i - 1] || scores[i] < scores[i + 1]) continue;
      bool near = false;
      for (size_t t : taken) near |= std::fabs((static_cast<double>(i) - static_cast<double>(t)) * step) < M_PI / 180.0;
      if (!near && (best == scores.size() || scores[i] > scores[best])) best = i;
    }
    if (best == scores.size()) break;
    taken.push_back(best);
    const double l = scores[best - 1], c = scores[best], r = scores[best + 1], d = l - 2 * c + r;
    const double offset = d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
    const double angle = -limit + (static_cast<double>(best) + offset) * step;
    out.push_back(Lattice{period * std::cos(angle), period * std::sin(angle), c});
  }
}

// For an image that was rescaled but not rotated: the periods in [min_period, max_period] whose
// axis-aligned lattice collects the most autocorrelation (the same comb over every lattice point
// within reach), stepped so that the farthest point moves by at most a quarter of a lag. The best
// `count` local maxima at least 3% apart, each at the parabola vertex of its score.
void best_unrotated_periods(const LagMap& map, double min_period, double max_period, int count, std::vector<Lattice>& out) {
  const int maxlag = map.maxlag;
  max_period = std::min(max_period, maxlag - 3.0);
  std::vector<double> periods, scores;
  for (double period = min_period; period <= max_period;) {
    const int reach = static_cast<int>((maxlag - 2.0) / period);
    double score = 0;
    for (int n = 0; n <= reach; ++n)
      for (int m = -reach; m <= reach; ++m) {
        if (n == 0 && m <= 0) continue;
        const double qx = m * period, qy = n * period;
        if (qx * qx + qy * qy > (maxlag - 2.0) * (maxlag - 2.0)) continue;
        score += map.bilinear(qx, qy);
      }
    periods.push_back(period);
    scores.push_back(score);
    period += 0.25 * period / (maxlag - 2.0);
  }
  std::vector<size_t> taken;
  for (int k = 0; k < count; ++k) {
    size_t best = scores.size();
    for (size_t i = 1; i + 1 < scores.size(); ++i) {
      if (scores[i] < scores[i - 1] || scores[i] < scores[i + 1]) continue;
      bool near = false;
      for (size_t t : taken) near |= std::fabs(periods[i] / periods[t] - 1.0) < 0.03;
      if (!near && (best == scores.size() || scores[i] > scores[best])) best = i;
    }
    if (best == scores.size()) break;
    taken.push_back(best);
    const double l = scores[best - 1], c = scores[best], r = scores[best + 1], d = l - 2 * c + r;
    const double offset = d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
    const double step = offset >= 0 ? periods[best + 1] - periods[best] : periods[best] - periods[best - 1];
    out.push_back(Lattice{periods[best] + offset * step, 0.0, c});
  }
}

// The sync template's spectrum for each quarter turn q of the fold: correlating the fold turned
// clockwise by q with the template equals correlating the unturned fold with the template turned
// back (counter-clockwise by q), at a shift turned the same way (see find_sync). One forward
// transform of the fold then serves all four turns.
const std::array<cv::Mat, 4>& sync_template_spectra() {
  static const std::array<cv::Mat, 4> spectra = [] {
    auto tile = render_tile(sync_cells(), kFoldBins);
    const cv::Mat t(kFoldBins, kFoldBins, CV_32F, tile.data());
    std::array<cv::Mat, 4> out;
    static constexpr int kBack[] = {-1, cv::ROTATE_90_COUNTERCLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_CLOCKWISE};
    for (int q = 0; q < 4; ++q) {
      cv::Mat turned;
      if (q == 0) turned = t.clone();
      else cv::rotate(t, turned, kBack[q]);
      cv::dft(turned, out[static_cast<size_t>(q)]);
    }
    return out;
  }();
  return spectra;
}

cv::Mat rotated(const cv::Mat& folded, int quarter_turns) {
  if (quarter_turns == 0) return folded;
  cv::Mat out;
  static constexpr cv::RotateFlags kFlags[] = {cv::ROTATE_90_CLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_COUNTERCLOCKWISE};
  cv::rotate(folded, out, kFlags[quarter_turns - 1]);
  return out;
}

}  // namespace

double Lattice::period() const { return std::hypot(a, b); }

double work_downscale(int width, int height) {
  const int side = std::min(width, height);
  if (side <= kWorkSide * 1.2) return 1.0;
  const double f = static_cast<double>(side) / kWorkSide;
  return static_cast<double>(width) / static_cast<double>(std::lround(width / f));
}

WorkImage make_work_image(const cv::Mat& luma, int original_width, int original_height) {
  WorkImage work;
  if (original_width <= 0) original_width = luma.cols, original_height = luma.rows;
  const int side = std::min(original_width, original_height);
  cv::Mat y = luma;
  int work_w = original_width, work_h = original_height;
  if (side > kWorkSide * 1.2) {
    const double f = static_cast<double>(side) / kWorkSide;
    work_w = static_cast<int>(std::lround(original_width / f)), work_h = static_cast<int>(std::lround(original_height / f));
  }
  if (work_w != luma.cols || work_h != luma.rows) cv::resize(luma, y, cv::Size(work_w, work_h), 0, 0, cv::INTER_AREA);
  work.downscale = static_cast<double>(original_width) / work_w;
  // Band-pass residual: the pattern lives between ~1/32 and ~1/4 cycles per work pixel.
  cv::Mat fine, coarse, residual;
  cv::GaussianBlur(y, fine, cv::Size(0, 0), kFineSigma);
  cv::GaussianBlur(y, coarse, cv::Size(0, 0), kCoarseSigma);
  cv::subtract(fine, coarse, residual);
  // Local weighting: every pixel by 1 / (its neighbourhood's residual energy + a floor)^0.75. The
  // mark's amplitude is nearly constant where the picture is busy, so for an uncompressed copy the
  // matched weighting is a / sigma^2 (exponent 1): textured areas, where the picture itself is the
  // noise, count for little, and no edge can dominate. (1 / sigma, the previous weighting, gave a
  // per-cell signal-to-noise ratio of 0.36 for a 50% crop of a 512x512 photo of moss, 1 / sigma^2
  // 0.63.) But JPEG and WebP erase the mark where the picture is smooth and keep it where it is
  // busy, which calls for less: 0.75 kept every photo at 512x512 and raised JPEG 50 on a set of
  // upscaled GAN images from 89-92% to 97.8%, WebP 75 from 92-93% to 97.2%.
  cv::Mat energy;
  cv::multiply(residual, residual, energy);
  cv::blur(energy, energy, cv::Size(kActivityWindow, kActivityWindow), cv::Point(-1, -1), cv::BORDER_REFLECT);  // O(1) per pixel
  energy += kActivityFloor;
  cv::pow(energy, kActivityExponent, energy);
  cv::divide(residual, energy, residual, kResidualScale);
  // Pure black areas (rotation corners, letterboxing) and their borders carry no mark.
  // (A 5x5 neighbourhood at most 3: crushed but noisy shadows keep their mark.)
  // A soft window instead of a hard cut: the edges of a hard mask (the rotated frame) put ridges
  // into the spectrum and false peaks into the autocorrelation. The frame border ramps down too.
  double darkest = 0;
  cv::minMaxLoc(y, &darkest);
  if (darkest <= 3.0) {
    cv::Mat local_max, black;
    cv::dilate(y, local_max, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5)));
    black = local_max <= 3.0f;
    cv::dilate(black, black, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(19, 19)));
    cv::Mat weight;
    cv::Mat(black == 0).convertTo(weight, CV_32F, 1.0 / 255.0);
    for (int i = 0; i < 2; ++i) cv::blur(weight, weight, cv::Size(17, 17), cv::Point(-1, -1), cv::BORDER_CONSTANT);
    cv::multiply(residual, weight, residual);
  } else {
    // No black pixel: the same window is the product of two one-dimensional ramps.
    auto ramp = [](int n) {
      cv::Mat r = cv::Mat::ones(1, n, CV_32F);
      for (int i = 0; i < 2; ++i) cv::blur(r, r, cv::Size(17, 1), cv::Point(-1, -1), cv::BORDER_CONSTANT);
      return r;
    };
    const cv::Mat rx = ramp(residual.cols), ry = ramp(residual.rows);
    for (int r = 0; r < residual.rows; ++r) {
      float* row = residual.ptr<float>(r);
      const float* wx = rx.ptr<float>(0);
      const float wy = ry.at<float>(0, r);
      for (int x = 0; x < residual.cols; ++x) row[x] *= wx[x] * wy;
    }
  }
  whiten(residual);
  work.residual = residual;
  return work;
}

std::vector<Lattice> find_lattices(const cv::Mat& residual, int max_candidates, const std::vector<double>& known_periods,
                                   std::vector<Lattice>* known_period_lattices, int max_known_period_lattices,
                                   std::vector<Lattice>* unrotated_lattices, int max_unrotated_lattices) {
  const int maxlag = static_cast<int>(kMaxLagFraction * std::min(residual.rows, residual.cols));
  std::vector<Lattice> out;
  if (maxlag < kMinPeriod + 4) return out;
  const cv::Mat lags = autocorrelation(residual, maxlag);
  LagMap map;
  map.maxlag = maxlag;
  cv::Mat local;
  cv::blur(lags, local, cv::Size(11, 11), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  map.prominence = lags - local;
  if (known_period_lattices) {
    std::vector<Lattice> turned;
    for (double period : known_periods) best_angles_for_period(map, period, turned);
    std::sort(turned.begin(), turned.end(), [](const Lattice& l, const Lattice& r) { return l.score > r.score; });
    if (static_cast<int>(turned.size()) > max_known_period_lattices) turned.resize(static_cast<size_t>(max_known_period_lattices));
    *known_period_lattices = turned;
  }
  if (unrotated_lattices) {
    unrotated_lattices->clear();
    best_unrotated_periods(map, kMinPeriod, 1.0e9, max_unrotated_lattices, *unrotated_lattices);
  }

  // Local maxima in the upper half plane within the period range.
  struct Peak {
    int x, y;
    float value;
  };
  std::vector<Peak> peaks;
  const cv::Mat& p = map.prominence;
  for (int y = 0; y <= maxlag - 2; ++y)
    for (int x = -maxlag + 2; x <= maxlag - 2; ++x) {
      if (y == 0 && x <= 0) continue;
      const double r2 = static_cast<double>(x) * x + static_cast<double>(y) * y;
      if (r2 < kMinPeriod * kMinPeriod || r2 > (maxlag - 2.0) * (maxlag - 2.0)) continue;
      const float v = p.at<float>(y + maxlag, x + maxlag);
      if (v <= 0) continue;
      bool is_max = true;
      for (int yy = -1; yy <= 1 && is_max; ++yy)
        for (int xx = -1; xx <= 1; ++xx)
          if ((yy || xx) && p.at<float>(y + maxlag + yy, x + maxlag + xx) > v) {
            is_max = false;
            break;
          }
      if (is_max) peaks.push_back({x, y, v});
    }
  std::sort(peaks.begin(), peaks.end(), [](const Peak& l, const Peak& r) { return l.value > r.value; });
  if (peaks.size() > 24) peaks.resize(24);

  auto canonical = [](double a, double b) {  // the representative of {v, rot90 v, -v, rot270 v}
    for (int i = 0; i < 4 && !(a > 0 && std::fabs(b) <= a); ++i) {
      const double na = b, nb = -a;  // rotate by -90 degrees
      a = na, b = nb;
    }
    return std::pair{a, b};
  };
  std::vector<Lattice> candidates;
  for (const auto& pk : peaks) {
    auto [a, b] = canonical(pk.x, pk.y);
    double support = lattice_support(map, a, b);
    // A peak may be a multiple or a diagonal of the tile lattice: move to a shorter generator
    // while that one is (nearly) as well supported.
    for (bool shorter = true; shorter;) {
      shorter = false;
      // v = u * (m + i n) for a generator u and small integers m, n (complex notation).
      static constexpr int kMultipliers[][2] = {{2, 0}, {1, 1}, {1, -1}, {3, 0}, {2, 1}, {2, -1}, {1, 2}, {1, -2}, {2, 2}, {4, 0}, {3, 1}, {3, -1}, {1, 3}, {1, -3}};
      for (const auto& mn : kMultipliers) {
        const double m = mn[0], n = mn[1], d = m * m + n * n;
        const double da = (a * m + b * n) / d, db = (b * m - a * n) / d;
        if (std::hypot(da, db) < kMinPeriod) continue;
        const double s2 = lattice_support(map, da, db);
        if (s2 >= 0.6 * support) {
          std::tie(a, b) = canonical(da, db);
          support = s2;
          shorter = true;
          break;
        }
      }
    }
    bool duplicate = false;
    for (const auto& c : candidates)
      if (std::hypot(c.a - a, c.b - b) < 3.0) duplicate = true;
    if (duplicate) continue;
    candidates.push_back(Lattice{a, b, support});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Lattice& l, const Lattice& r) { return l.score > r.score; });
  if (static_cast<int>(candidates.size()) > max_candidates) candidates.resize(static_cast<size_t>(max_candidates));
  for (auto& c : candidates) refine_lattice(map, c);
  return candidates;
}

cv::Mat fold(const cv::Mat& residual, const Lattice& lat) {
  // Tile coordinates in 32-bit fixed point: unsigned wrap-around is the modulo, the top 7 bits the bin.
  static_assert(kFoldBins == 128);
  const double l2 = lat.a * lat.a + lat.b * lat.b;
  constexpr double kOne = 4294967296.0;
  auto fixed = [&](double v) { return static_cast<uint32_t>(static_cast<int64_t>(std::llround((v - std::floor(v)) * kOne)) & 0xffffffffLL); };
  cv::Mat out = cv::Mat::zeros(kFoldBins, kFoldBins, CV_32F);
  float* sum = out.ptr<float>(0);
  const uint32_t du = fixed(lat.a / l2), dv = fixed(-lat.b / l2);
  for (int y = 0; y < residual.rows; ++y) {
    const float* row = residual.ptr<float>(y);
    uint32_t u = fixed(lat.b * y / l2), v = fixed(lat.a * y / l2);
    for (int x = 0; x < residual.cols; ++x, u += du, v += dv) {
      const size_t i = (static_cast<size_t>(v >> 25) << 7) | static_cast<size_t>(u >> 25);
      sum[i] += row[x];
    }
  }
  // Sums, not means: every pixel counts alike (a bin with fewer pixels is not amplified), and the
  // scale is the mean number of pixels per bin.
  out *= static_cast<double>(kFoldBins) * kFoldBins / (static_cast<double>(residual.rows) * residual.cols);
  return out;
}

PolishedLattice polish_angle(const cv::Mat& residual, const Lattice& lattice, double step_degrees) {
  PolishedLattice best{lattice, {}};
  double best_z = -1;
  for (int k = -1; k <= 1; ++k) {
    const double turn = k * step_degrees * M_PI / 180.0;
    const Lattice l{lattice.a * std::cos(turn) - lattice.b * std::sin(turn), lattice.a * std::sin(turn) + lattice.b * std::cos(turn), lattice.score};
    cv::Mat folded = fold(residual, l);
    const auto hits = find_sync(folded, 1);
    if (!hits.empty() && hits.front().z > best_z) best_z = hits.front().z, best = {l, folded};
  }
  return best;
}

std::vector<SyncHit> find_sync(const cv::Mat& folded, int max_hits) {
  std::vector<SyncHit> hits;
  cv::Mat spectrum, product, corr;
  cv::dft(folded, spectrum);
  for (int q = 0; q < 4; ++q) {
    cv::mulSpectrums(spectrum, sync_template_spectra()[static_cast<size_t>(q)], product, 0, true);
    cv::idft(product, corr, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
    cv::Scalar mean, stddev;
    cv::meanStdDev(corr, mean, stddev);
    if (stddev[0] <= 0) continue;
    // The two highest peaks that are at least 3 bins apart, found at shift (ey, ex) of the unturned
    // fold and mapped to the shift (dy, dx) of the fold turned clockwise by q.
    std::vector<std::pair<int, int>> peaks;
    for (int k = 0; k < 2; ++k) {
      double best = -1e30;
      int by = 0, bx = 0;
      for (int y = 0; y < kFoldBins; ++y) {
        const float* row = corr.ptr<float>(y);
        for (int x = 0; x < kFoldBins; ++x) {
          const double v = row[x];
          if (v <= best) continue;
          bool near = false;
          for (const auto& [py, px] : peaks) {
            const int ddx = std::min(std::abs(px - x), kFoldBins - std::abs(px - x));
            const int ddy = std::min(std::abs(py - y), kFoldBins - std::abs(py - y));
            if (ddx < 3 && ddy < 3) near = true;
          }
          if (!near) best = v, by = y, bx = x;
        }
      }
      peaks.emplace_back(by, bx);
      auto wrap = [](int v) { return ((v % kFoldBins) + kFoldBins) % kFoldBins; };
      SyncHit hit{q, 0, 0, (best - mean[0]) / stddev[0]};
      switch (q) {
        case 0: hit.dy = by, hit.dx = bx; break;
        case 1: hit.dy = bx, hit.dx = wrap(-by); break;
        case 2: hit.dy = wrap(-by), hit.dx = wrap(-bx); break;
        default: hit.dy = wrap(-bx), hit.dx = by; break;
      }
      hits.push_back(hit);
    }
  }
  std::sort(hits.begin(), hits.end(), [](const SyncHit& l, const SyncHit& r) { return l.z > r.z; });
  if (static_cast<int>(hits.size()) > max_hits) hits.resize(static_cast<size_t>(max_hits));
  return hits;
}

std::vector<double> read_soft_bits(const cv::Mat& folded, const SyncHit& hit) {
  const cv::Mat f = rotated(folded, hit.quarter_turns);
  constexpr int kBinsPerCell = kFoldBins / kCells;
  const auto& layout = tile_layout();
  std::vector<double> soft(kCodedBits, 0.0);
  for (int row = 0; row < kCells; ++row)
    for (int col = 0; col < kCells; ++col) {
      const auto cell = static_cast<size_t>(row * kCells + col);
      const int bit = layout.coded_bit[cell];
      if (bit < 0) continue;
      double value = 0;
      for (int j = 0; j < kBinsPerCell; ++j)
        for (int i = 0; i < kBinsPerCell; ++i) {
          const int y = (row * kBinsPerCell + j + hit.dy) % kFoldBins;
          const int x = (col * kBinsPerCell + i + hit.dx) % kFoldBins;
          value += f.at<float>(y, x);
        }
      soft[static_cast<size_t>(bit)] += value * layout.sign[cell];
    }
  double energy = 0;
  for (double s : soft) energy += s * s;
  const double scale = energy > 0 ? std::sqrt(static_cast<double>(soft.size()) / energy) : 0.0;
  for (double& s : soft) s *= scale;
  return soft;
}

}  // namespace veritrace::watermark::detail
