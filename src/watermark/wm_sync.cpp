#include "watermark/wm_sync.hpp"

#include <algorithm>
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

// Autocorrelation lags -maxlag..maxlag in both axes, of the spectrally whitened residual: each
// power value is divided by its neighbourhood's mean, so the tiling's line spectrum (a lattice of
// lines at multiples of 1/period) stands out from the smooth spectrum of the picture, and clipped,
// so that a few strong lines of a periodic picture cannot dominate. Circular (no padding): pairs
// that wrap around only dilute a lattice peak, as the image is not a multiple of the period.
cv::Mat autocorrelation(const cv::Mat& residual, int maxlag) {
  const int w = residual.cols, h = residual.rows;
  const int fw = cv::getOptimalDFTSize(w), fh = cv::getOptimalDFTSize(h);
  cv::Mat padded = cv::Mat::zeros(fh, fw, CV_32F);
  const cv::Scalar mean = cv::mean(residual);
  cv::subtract(residual, mean, padded(cv::Rect(0, 0, w, h)));
  cv::Mat spectrum, corr;
  cv::dft(padded, spectrum, cv::DFT_COMPLEX_OUTPUT, h);
  cv::Mat planes[2];
  cv::split(spectrum, planes);
  cv::Mat power, local;
  cv::magnitude(planes[0], planes[1], power);
  cv::multiply(power, power, power);
  cv::blur(power, local, cv::Size(9, 9), cv::Point(-1, -1), cv::BORDER_REFLECT);
  local += 1e-6 * cv::mean(power)[0] + 1e-12;
  cv::divide(power, local, power);
  cv::min(power, kMaxWhitenedPower, power);
  planes[0] = power;
  planes[1] = cv::Mat::zeros(power.size(), CV_32F);
  cv::merge(planes, 2, spectrum);
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

struct LagMap {
  cv::Mat prominence;  // autocorrelation minus its local 11x11 mean
  int maxlag = 0;
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

const cv::Mat& sync_template_spectrum() {
  static const cv::Mat spectrum = [] {
    auto tile = render_tile(sync_cells(), kFoldBins);
    cv::Mat t(kFoldBins, kFoldBins, CV_32F, tile.data());
    cv::Mat s;
    cv::dft(t, s);
    return s;
  }();
  return spectrum;
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

WorkImage make_work_image(const cv::Mat& luma) {
  WorkImage work;
  const int side = std::min(luma.rows, luma.cols);
  cv::Mat y;
  if (side > kWorkSide * 1.2) {
    const double f = static_cast<double>(side) / kWorkSide;
    cv::resize(luma, y, cv::Size(static_cast<int>(std::lround(luma.cols / f)), static_cast<int>(std::lround(luma.rows / f))), 0, 0,
               cv::INTER_AREA);
    work.downscale = static_cast<double>(luma.cols) / y.cols;
  } else {
    y = luma;
  }
  // Band-pass residual: the pattern lives between ~1/32 and ~1/4 cycles per work pixel.
  cv::Mat fine, coarse, residual;
  cv::GaussianBlur(y, fine, cv::Size(0, 0), 0.6);
  cv::GaussianBlur(y, coarse, cv::Size(0, 0), 3.0);
  cv::subtract(fine, coarse, residual);
  // Local normalisation: each pixel weighted by 1/(local residual energy), as the mark's
  // amplitude follows texture too; this also keeps edges from dominating.
  cv::Mat energy;
  cv::multiply(residual, residual, energy);
  cv::GaussianBlur(energy, energy, cv::Size(0, 0), 5.0);
  cv::sqrt(energy, energy);
  energy += 1.0;
  cv::divide(residual, energy, residual);
  cv::min(residual, 3.0, residual);
  cv::max(residual, -3.0, residual);
  // Pure black areas (rotation corners, letterboxing) and their borders carry no mark.
  cv::Mat black = y <= 6.0f;
  cv::dilate(black, black, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(19, 19)));
  residual.setTo(0.0f, black);
  work.residual = residual;
  return work;
}

std::vector<Lattice> find_lattices(const cv::Mat& residual, int max_candidates) {
  const int maxlag = static_cast<int>(kMaxLagFraction * std::min(residual.rows, residual.cols));
  std::vector<Lattice> out;
  if (maxlag < kMinPeriod + 4) return out;
  const cv::Mat lags = autocorrelation(residual, maxlag);
  LagMap map;
  map.maxlag = maxlag;
  cv::Mat local;
  cv::blur(lags, local, cv::Size(11, 11), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  map.prominence = lags - local;

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
  std::vector<float> sum(static_cast<size_t>(kFoldBins) * kFoldBins, 0.0f);
  std::vector<int> count(sum.size(), 0);
  const uint32_t du = fixed(lat.a / l2), dv = fixed(-lat.b / l2);
  for (int y = 0; y < residual.rows; ++y) {
    const float* row = residual.ptr<float>(y);
    uint32_t u = fixed(lat.b * y / l2), v = fixed(lat.a * y / l2);
    for (int x = 0; x < residual.cols; ++x, u += du, v += dv) {
      const size_t i = (static_cast<size_t>(v >> 25) << 7) | static_cast<size_t>(u >> 25);
      sum[i] += row[x];
      ++count[i];
    }
  }
  cv::Mat out(kFoldBins, kFoldBins, CV_32F);
  for (int i = 0; i < kFoldBins * kFoldBins; ++i)
    out.at<float>(i / kFoldBins, i % kFoldBins) = count[static_cast<size_t>(i)] ? sum[static_cast<size_t>(i)] / static_cast<float>(count[static_cast<size_t>(i)]) : 0.0f;
  return out;
}

std::vector<SyncHit> find_sync(const cv::Mat& folded, int max_hits) {
  std::vector<SyncHit> hits;
  for (int q = 0; q < 4; ++q) {
    cv::Mat f = rotated(folded, q), spectrum, product, corr;
    cv::dft(f, spectrum);
    cv::mulSpectrums(spectrum, sync_template_spectrum(), product, 0, true);
    cv::idft(product, corr, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
    cv::Scalar mean, stddev;
    cv::meanStdDev(corr, mean, stddev);
    if (stddev[0] <= 0) continue;
    // The two highest peaks that are at least 3 bins apart.
    std::vector<SyncHit> local;
    for (int k = 0; k < 2; ++k) {
      double best = -1e30;
      SyncHit hit{q, 0, 0, 0};
      for (int y = 0; y < kFoldBins; ++y)
        for (int x = 0; x < kFoldBins; ++x) {
          const double v = corr.at<float>(y, x);
          if (v <= best) continue;
          bool near = false;
          for (const auto& h : local) {
            const int ddx = std::min(std::abs(h.dx - x), kFoldBins - std::abs(h.dx - x));
            const int ddy = std::min(std::abs(h.dy - y), kFoldBins - std::abs(h.dy - y));
            if (ddx < 3 && ddy < 3) near = true;
          }
          if (!near) best = v, hit.dx = x, hit.dy = y;
        }
      hit.z = (best - mean[0]) / stddev[0];
      local.push_back(hit);
    }
    hits.insert(hits.end(), local.begin(), local.end());
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
