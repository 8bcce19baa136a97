// `noise`: local noise-level inconsistency (docs/detection-noise.md).
//
// A photo's sensor noise has one level for a given brightness and texture; a region pasted from
// another photo, resized, denoised or retouched usually has another. For every 40 x 40 px window
// (stride 8 px) we measure the energy of the 15 AC bands of a 4 x 4 DCT taken every 2 px and keep
// the quietest band's variance: noise adds the same variance to every band while picture content
// concentrates in some, so the quietest band is the closest blind estimate of the noise variance
// (the kurtosis-concentration estimate of Lyu, Pan and Zhang 2014 was tried first: it collapses to
// zero on JPEG files, whose quantisation removes the noise from whole bands). What is left of
// texture and the signal dependence of noise (dark areas, JPEG removing noise from flat areas) is
// explained away by a robust (Huber IRLS) quadratic regression of log sigma on the window's
// brightness and low-frequency (texture) energy over the whole image; what the regression cannot
// explain is the inconsistency. Its robust z-score (residual / 1.4826 MAD) makes the heatmap
// (|z| 1.5 -> 0, 5 -> 1); windows with clipped (near 0 or 255) pixels are not judged. The image
// score is the mean |z| of the 5% most deviant windows.
#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

constexpr int kMinSide = 64;
constexpr int kCell = 8;                 // pixels per cell side; the map's resolution
constexpr int kWinHalf = 2;              // window = (2 * kWinHalf + 1) cells = 40 px
constexpr int kBands = 15;               // AC bases of the 4 x 4 DCT
constexpr int kQ = kBands + 3;       // per cell: s2[15], samples, luma sum, texture
constexpr double kMaxWorkPixels = 1.3e6; // larger images are box-downscaled by an integer factor
constexpr double kFlatStd = 0.5;         // luma std (grey levels) below which the image is flat
constexpr double kClipFraction = 0.2;    // windows with more clipped pixels are not judged
constexpr double kHeatZ0 = 1.5;          // |z| where the heatmap starts to rise
constexpr double kMinSpread = 0.15;     // floor of the robust spread of log sigma (15% noise level)
constexpr double kHeatZ1 = 5.0;          // |z| where it saturates

// Orthonormal 4-point DCT-II basis.
struct Dct4 {
  float c[4][4];
  Dct4() {
    for (int k = 0; k < 4; ++k)
      for (int n = 0; n < 4; ++n)
        c[k][n] = static_cast<float>((k == 0 ? 0.5 : std::sqrt(0.5)) * std::cos(M_PI * (2 * n + 1) * k / 8.0));
  }
};

struct CellGrid {
  int cw = 0, ch = 0;
  std::vector<double> q;        // ch * cw * kQ sums
  std::vector<double> clipped;  // clipped pixels per cell
  std::vector<double> pixels;   // pixels per cell
  double* at(int y, int x) { return q.data() + (static_cast<size_t>(y) * cw + x) * kQ; }
};

// Per cell: sums of the squared 15 DCT band responses over 4 x 4 blocks taken
// every 2 px, the mean luma and the low-frequency (texture) energy.
CellGrid cell_statistics(const cv::Mat& luma) {
  static const Dct4 dct;
  const int W = luma.cols, H = luma.rows;
  CellGrid g;
  g.cw = (W + kCell - 1) / kCell;
  g.ch = (H + kCell - 1) / kCell;
  g.q.assign(static_cast<size_t>(g.cw) * g.ch * kQ, 0.0);
  g.clipped.assign(static_cast<size_t>(g.cw) * g.ch, 0.0);
  g.pixels.assign(static_cast<size_t>(g.cw) * g.ch, 0.0);
  for (int y = 0; y < H; ++y) {
    const float* p = luma.ptr<float>(y);
    for (int x = 0; x < W; ++x) {
      const size_t c = static_cast<size_t>(y / kCell) * g.cw + x / kCell;
      g.pixels[c] += 1;
      if (p[x] <= 2.5f || p[x] >= 252.5f) g.clipped[c] += 1;
    }
  }
  const int nx = (W - 4) / 2 + 1, ny = (H - 4) / 2 + 1;
  // Horizontal 1-D transforms of every row at every even column: hrow[v][y * nx + j].
  std::array<std::vector<float>, 4> hrow;
  for (auto& v : hrow) v.resize(static_cast<size_t>(H) * nx);
  for (int y = 0; y < H; ++y) {
    const float* p = luma.ptr<float>(y);
    for (int j = 0; j < nx; ++j) {
      const float* s = p + 2 * j;
      for (int v = 0; v < 4; ++v)
        hrow[v][static_cast<size_t>(y) * nx + j] =
            dct.c[v][0] * s[0] + dct.c[v][1] * s[1] + dct.c[v][2] * s[2] + dct.c[v][3] * s[3];
    }
  }
  std::vector<float> row_acc(static_cast<size_t>(g.cw) * kQ);
  for (int i = 0; i < ny; ++i) {
    const int y = 2 * i;
    const int cy = y / kCell;
    double* cell_row = g.at(cy, 0);
    for (int j = 0; j < nx; ++j) {
      float coef[16];
      for (int v = 0; v < 4; ++v) {
        const float* col = hrow[v].data() + static_cast<size_t>(y) * nx + j;
        const float a0 = col[0], a1 = col[nx], a2 = col[2 * static_cast<size_t>(nx)], a3 = col[3 * static_cast<size_t>(nx)];
        for (int u = 0; u < 4; ++u) coef[u * 4 + v] = dct.c[u][0] * a0 + dct.c[u][1] * a1 + dct.c[u][2] * a2 + dct.c[u][3] * a3;
      }
      double* q = cell_row + static_cast<size_t>(2 * j / kCell) * kQ;
      for (int k = 0; k < kBands; ++k) {
        const double c2 = static_cast<double>(coef[k + 1]) * coef[k + 1];
        q[k] += c2;
      }
      q[kBands] += 1;
      q[kBands + 1] += coef[0] / 4.0;  // block mean
      q[kBands + 2] += static_cast<double>(coef[1]) * coef[1] + static_cast<double>(coef[4]) * coef[4];
    }
  }
  return g;
}

// 2-D prefix sums over the cell grid, one plane per quantity, so window sums cost O(1).
struct Prefix {
  int w = 0, h = 0, planes = 0;
  std::vector<double> s;  // (h + 1) * (w + 1) * planes
  void build(const std::vector<double>& src, int cw, int ch, int np) {
    w = cw, h = ch, planes = np;
    s.assign(static_cast<size_t>(h + 1) * (w + 1) * planes, 0.0);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int p = 0; p < planes; ++p)
          s[idx(y + 1, x + 1, p)] = src[(static_cast<size_t>(y) * w + x) * planes + p] + s[idx(y, x + 1, p)] +
                                    s[idx(y + 1, x, p)] - s[idx(y, x, p)];
  }
  size_t idx(int y, int x, int p) const { return (static_cast<size_t>(y) * (w + 1) + x) * planes + p; }
  double sum(int y0, int x0, int y1, int x1, int p) const {  // cells [y0, y1) x [x0, x1)
    return s[idx(y1, x1, p)] - s[idx(y0, x1, p)] - s[idx(y1, x0, p)] + s[idx(y0, x0, p)];
  }
};

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  return v[m];
}

struct Window {
  double log_sigma = 0, brightness = 0, texture = 0;
  bool reliable = false;
};

class NoiseDetector final : public Detector {
 public:
  std::string name() const override { return "noise"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  bool localizes() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    if (!sample.image || sample.image->empty()) return not_applicable(*this, "no decoded image");
    const media::Image& img = *sample.image;
    if (img.width < kMinSide || img.height < kMinSide) return not_applicable(*this, "image smaller than 64 px");
    cv::Mat luma = luma_f32(img);
    const double px = static_cast<double>(img.width) * img.height;
    int factor = 1;
    if (px > kMaxWorkPixels) factor = static_cast<int>(std::ceil(std::sqrt(px / kMaxWorkPixels)));
    if (factor > 1) {
      cv::Mat small;
      cv::resize(luma, small, cv::Size(std::max(kMinSide, img.width / factor), std::max(kMinSide, img.height / factor)), 0, 0,
                 cv::INTER_AREA);
      luma = small;
    }
    cv::Scalar mean, stddev;
    cv::meanStdDev(luma, mean, stddev);
    if (stddev[0] < kFlatStd) return not_applicable(*this, "the image is flat: no noise or texture to compare");

    CellGrid g = cell_statistics(luma);
    Prefix pre;
    pre.build(g.q, g.cw, g.ch, kQ);
    std::vector<double> aux(static_cast<size_t>(g.cw) * g.ch * 2);
    for (size_t i = 0; i < g.clipped.size(); ++i) aux[2 * i] = g.clipped[i], aux[2 * i + 1] = g.pixels[i];
    Prefix pre_aux;
    pre_aux.build(aux, g.cw, g.ch, 2);

    std::vector<Window> win(static_cast<size_t>(g.cw) * g.ch);
    for (int cy = 0; cy < g.ch; ++cy)
      for (int cx = 0; cx < g.cw; ++cx) {
        const int y0 = std::max(0, cy - kWinHalf), y1 = std::min(g.ch, cy + kWinHalf + 1);
        const int x0 = std::max(0, cx - kWinHalf), x1 = std::min(g.cw, cx + kWinHalf + 1);
        Window& w = win[static_cast<size_t>(cy) * g.cw + cx];
        const double n = pre.sum(y0, x0, y1, x1, kBands);
        const double npx = pre_aux.sum(y0, x0, y1, x1, 1);
        if (n < 16 || npx <= 0) continue;
        double m2[kBands];
        for (int k = 0; k < kBands; ++k) m2[k] = pre.sum(y0, x0, y1, x1, k) / n;
        double var = 1e30;  // the quietest band: noise plus the least signal
        for (int k = 0; k < kBands; ++k) var = std::min(var, m2[k]);
        w.log_sigma = 0.5 * std::log(var + 0.25);  // floor: a quarter grey level of variance
        w.brightness = pre.sum(y0, x0, y1, x1, kBands + 1) / n / 255.0;
        w.texture = std::log1p(pre.sum(y0, x0, y1, x1, kBands + 2) / n) / 10.0;
        w.reliable = pre_aux.sum(y0, x0, y1, x1, 0) / npx <= kClipFraction;
      }

    // Robust regression of log sigma on brightness and texture (Huber IRLS).
    constexpr int kF = 6;
    auto features = [](const Window& w, double* f) {
      f[0] = 1, f[1] = w.brightness, f[2] = w.brightness * w.brightness, f[3] = w.texture, f[4] = w.texture * w.texture,
      f[5] = w.brightness * w.texture;
    };
    std::vector<size_t> rel;
    for (size_t i = 0; i < win.size(); ++i)
      if (win[i].reliable) rel.push_back(i);
    if (rel.size() < 16) return not_applicable(*this, "too few unclipped areas to compare noise levels");
    std::vector<double> weight(rel.size(), 1.0), resid(rel.size(), 0.0);
    cv::Mat beta = cv::Mat::zeros(kF, 1, CV_64F);
    double scale = kMinSpread;
    for (int it = 0; it < 5; ++it) {
      cv::Mat A = cv::Mat::zeros(kF, kF, CV_64F), B = cv::Mat::zeros(kF, 1, CV_64F);
      for (size_t r = 0; r < rel.size(); ++r) {
        double f[kF];
        features(win[rel[r]], f);
        for (int a = 0; a < kF; ++a) {
          B.at<double>(a) += weight[r] * f[a] * win[rel[r]].log_sigma;
          for (int b = 0; b < kF; ++b) A.at<double>(a, b) += weight[r] * f[a] * f[b];
        }
      }
      for (int a = 0; a < kF; ++a) A.at<double>(a, a) += 1e-6;  // ridge: flat or uniform images
      if (!cv::solve(A, B, beta, cv::DECOMP_CHOLESKY)) cv::solve(A, B, beta, cv::DECOMP_SVD);
      std::vector<double> absr(rel.size());
      for (size_t r = 0; r < rel.size(); ++r) {
        double f[kF];
        features(win[rel[r]], f);
        double pred = 0;
        for (int a = 0; a < kF; ++a) pred += beta.at<double>(a) * f[a];
        resid[r] = win[rel[r]].log_sigma - pred;
        absr[r] = std::abs(resid[r]);
      }
      scale = std::max(kMinSpread, 1.4826 * median_of(absr));
      for (size_t r = 0; r < rel.size(); ++r) {
        const double u = std::abs(resid[r]) / (1.345 * scale);
        weight[r] = u <= 1 ? 1.0 : 1.0 / u;
      }
    }

    cv::Mat zmap = cv::Mat::zeros(g.ch, g.cw, CV_32F);
    std::vector<double> absz(rel.size());
    for (size_t r = 0; r < rel.size(); ++r) {
      const double z = resid[r] / scale;
      absz[r] = std::abs(z);
      zmap.at<float>(static_cast<int>(rel[r] / g.cw), static_cast<int>(rel[r] % g.cw)) = static_cast<float>(std::abs(z));
    }
    std::vector<double> sorted = absz;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const size_t top = std::max<size_t>(1, sorted.size() / 20);
    double top_mean = 0;
    for (size_t i = 0; i < top; ++i) top_mean += sorted[i];
    top_mean /= static_cast<double>(top);
    size_t over3 = 0;
    for (double z : absz) over3 += z > 3.0;
    const double frac3 = static_cast<double>(over3) / static_cast<double>(absz.size());

    // The cell map covers (cw * kCell) x (ch * kCell) work pixels; crop to the work image and
    // scale to the original size.
    cv::Mat heat = (zmap - kHeatZ0) / (kHeatZ1 - kHeatZ0);
    cv::Mat heat_px;
    cv::resize(heat, heat_px, cv::Size(g.cw * kCell, g.ch * kCell), 0, 0, cv::INTER_LINEAR);
    heat_px = heat_px(cv::Rect(0, 0, luma.cols, luma.rows));

    DetectorResult res = applied(*this, Finding::Manipulated);
    res.score = top_mean;
    res.evidence.heatmap = heatmap_from(heat_px, img.width, img.height);
    double median_sigma;
    {
      std::vector<double> ls(rel.size());
      for (size_t r = 0; r < rel.size(); ++r) ls[r] = win[rel[r]].log_sigma;
      median_sigma = std::sqrt(std::max(0.0, std::exp(2 * median_of(ls)) - 0.25)) * factor;
    }
    res.evidence.numbers = {{"top5_abs_z", top_mean},
                            {"area_z_over_3", frac3},
                            {"log_sigma_spread", scale},
                            {"median_noise_sigma", median_sigma},
                            {"downscale", factor}};
    char buf[240];
    if (frac3 >= 0.03)
      std::snprintf(buf, sizeof buf,
                    "%.0f%% of the image has a noise level that does not match the rest of the picture "
                    "for its brightness and texture, as pasted or retouched areas often do.",
                    100.0 * frac3);
    else
      std::snprintf(buf, sizeof buf, "The noise level is consistent across the image (no area stands out).");
    res.evidence.summary = buf;
    return res;
  }
};

}  // namespace
std::unique_ptr<Detector> make_noise_detector() { return std::make_unique<NoiseDetector>(); }
}  // namespace veritrace::detect
