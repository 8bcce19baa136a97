// block_grid: JPEG block-artefact grid analysis (docs/detection.md, "block_grid").
//
// A JPEG leaves a faint discontinuity at every 8th column and row: the step between pixels x and
// x + 1 is larger, on average, where a block boundary falls than where it does not. We measure, per
// column (row) phase 0..7, the excess step |L(x+1) - L(x)| - (|L(x) - L(x-1)| + |L(x+2) - L(x+1)|) / 2
// of the luma, relative to the step itself, summed in sliding windows of 32x32 pixels. The image's
// dominant grid is the phase pair with the largest excess over the whole image. A window whose
// strongest grid sits at another phase (content pasted from another JPEG at a shifted offset) or
// that lacks the grid the rest shows (content never compressed, resampled or smoothed) lights up.
// Not applicable when the image shows no block grid at all (never compressed as JPEG, or resized
// since).
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"

namespace veritrace::detect {
namespace {

constexpr int kMinSide = 64;
constexpr uint64_t kMaxPixels = 40'000'000;

struct Params {
  double step_clip = 12.0;        // grey levels; larger steps are edges, not blocking
  int window_blocks = 4;          // sliding window, in 8-pixel blocks (32 px)
  double min_global = 0.02;       // dominant-phase contrast below which there is no grid
  double misalign_scale = 0.5;    // misalignment (in units of the global contrast) giving 0.5
  double lack_weight = 0.25;      // weight of "grid missing" against "grid shifted"
};
Params& params() {
  static Params p;
  return p;
}

// Per 8x8 block and phase: sum of excess steps and of steps, for columns (dir 0) or rows (dir 1).
struct PhaseSums {
  std::array<cv::Mat, 8> excess, step;  // bh x bw CV_32F each
};

PhaseSums phase_sums(const cv::Mat& L, bool columns) {
  const Params& P = params();
  const int bw = L.cols / 8, bh = L.rows / 8;
  PhaseSums s;
  for (int p = 0; p < 8; ++p) {
    s.excess[static_cast<size_t>(p)] = cv::Mat::zeros(bh, bw, CV_32F);
    s.step[static_cast<size_t>(p)] = cv::Mat::zeros(bh, bw, CV_32F);
  }
  const float clip = static_cast<float>(P.step_clip);
  const int W = bw * 8, H = bh * 8;
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      // The boundary between (x, y) and its successor along the direction.
      float a, b, c, d;  // four consecutive pixels: before, here, next, after
      if (columns) {
        if (x < 1 || x + 2 >= L.cols) continue;
        const float* r = L.ptr<float>(y);
        a = r[x - 1], b = r[x], c = r[x + 1], d = r[x + 2];
      } else {
        if (y < 1 || y + 2 >= L.rows) continue;
        a = L.at<float>(y - 1, x), b = L.at<float>(y, x), c = L.at<float>(y + 1, x), d = L.at<float>(y + 2, x);
      }
      const float across = std::min(std::fabs(c - b), clip);
      const float around = 0.5f * (std::min(std::fabs(b - a), clip) + std::min(std::fabs(d - c), clip));
      const int phase = (columns ? x : y) & 7;
      s.excess[static_cast<size_t>(phase)].at<float>(y / 8, x / 8) += across - around;
      s.step[static_cast<size_t>(phase)].at<float>(y / 8, x / 8) += across + around;
    }
  }
  return s;
}

// Normalised excess per phase, window-summed: r[p] = sum excess / (sum step + small).
std::array<cv::Mat, 8> local_ratios(const PhaseSums& s, int window) {
  std::array<cv::Mat, 8> r;
  for (int p = 0; p < 8; ++p) {
    cv::Mat e, t;
    cv::boxFilter(s.excess[static_cast<size_t>(p)], e, CV_32F, cv::Size(window, window), cv::Point(-1, -1), false,
                  cv::BORDER_REFLECT);
    cv::boxFilter(s.step[static_cast<size_t>(p)], t, CV_32F, cv::Size(window, window), cv::Point(-1, -1), false,
                  cv::BORDER_REFLECT);
    r[static_cast<size_t>(p)] = e / (t + 8.0f * window * window);
  }
  return r;
}

std::array<double, 8> global_ratios(const PhaseSums& s) {
  std::array<double, 8> r{};
  for (int p = 0; p < 8; ++p)
    r[static_cast<size_t>(p)] = cv::sum(s.excess[static_cast<size_t>(p)])[0] / (cv::sum(s.step[static_cast<size_t>(p)])[0] + 1.0);
  return r;
}

// Contrast of phase p: its ratio minus the mean of the other seven.
double contrast(const std::array<double, 8>& r, int p) {
  double others = 0;
  for (int q = 0; q < 8; ++q)
    if (q != p) others += r[static_cast<size_t>(q)];
  return r[static_cast<size_t>(p)] - others / 7.0;
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }


class BlockGridDetector final : public Detector {
 public:
  std::string name() const override { return "block_grid"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Image; }
  bool localizes() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    const media::Image* img = sample.image;
    if (img == nullptr || img->empty()) return not_applicable(*this, "no decoded image");
    if (img->width < kMinSide || img->height < kMinSide) return not_applicable(*this, "image smaller than 64 px");
    if (static_cast<uint64_t>(img->width) * img->height > kMaxPixels)
      return not_applicable(*this, "image larger than 40 MP");
    const Params& P = params();
    const cv::Mat L = luma_f32(*img);
    const PhaseSums cols = phase_sums(L, true), rows = phase_sums(L, false);
    const auto gx = global_ratios(cols), gy = global_ratios(rows);
    int px = 0, py = 0;
    for (int p = 1; p < 8; ++p) {
      if (contrast(gx, p) > contrast(gx, px)) px = p;
      if (contrast(gy, p) > contrast(gy, py)) py = p;
    }
    const double cx = contrast(gx, px), cy = contrast(gy, py);
    const double global = std::min(cx, cy);
    if (global < P.min_global) return not_applicable(*this, "no JPEG block grid");

    // Local contrasts: at the dominant phase, and the best other phase.
    const int win = std::max(1, std::min({P.window_blocks, L.cols / 8, L.rows / 8}));
    const auto lx = local_ratios(cols, win), ly = local_ratios(rows, win);
    const int bw = L.cols / 8, bh = L.rows / 8;
    cv::Mat map(bh, bw, CV_32F), misalign(bh, bw, CV_32F), lack(bh, bw, CV_32F);
    for (int by = 0; by < bh; ++by)
      for (int bx = 0; bx < bw; ++bx) {
        std::array<double, 8> rx{}, ry{};
        for (int p = 0; p < 8; ++p) {
          rx[static_cast<size_t>(p)] = lx[static_cast<size_t>(p)].at<float>(by, bx);
          ry[static_cast<size_t>(p)] = ly[static_cast<size_t>(p)].at<float>(by, bx);
        }
        double ax = contrast(rx, px), ay = contrast(ry, py), ox = -1e9, oy = -1e9;
        for (int p = 0; p < 8; ++p) {
          if (p != px) ox = std::max(ox, contrast(rx, p));
          if (p != py) oy = std::max(oy, contrast(ry, p));
        }
        // Shifted grid: another phase beats the dominant one (in units of the global contrast).
        const double mis = (std::max(0.0, (ox - ax) / cx) + std::max(0.0, (oy - ay) / cy)) / 2.0;
        // Missing grid: the dominant phase is weaker here than in the image as a whole.
        const double lk = (std::clamp(1.0 - ax / cx, 0.0, 1.0) + std::clamp(1.0 - ay / cy, 0.0, 1.0)) / 2.0;
        misalign.at<float>(by, bx) = static_cast<float>(mis);
        lack.at<float>(by, bx) = static_cast<float>(lk);
        const float m = sigmoid(static_cast<float>((mis - P.misalign_scale) / (0.25 * P.misalign_scale)));
        map.at<float>(by, bx) = std::max(m, static_cast<float>(P.lack_weight * lk * lk));
      }
    cv::Mat up;
    cv::resize(map, up, cv::Size(bw * 8, bh * 8), 0, 0, cv::INTER_LINEAR);
    cv::Mat full = cv::Mat::zeros(img->height, img->width, CV_32F);
    up.copyTo(full(cv::Rect(0, 0, up.cols, up.rows)));
    // Edge strips narrower than a block take their neighbours' values.
    if (up.cols < full.cols)
      for (int x = up.cols; x < full.cols; ++x) full.col(up.cols - 1).copyTo(full.col(x));
    if (up.rows < full.rows)
      for (int y = up.rows; y < full.rows; ++y) full.row(up.rows - 1).copyTo(full.row(y));

    DetectorResult r = applied(*this, Finding::Manipulated);
    r.evidence.heatmap = heatmap_from(full, img->width, img->height);
    const double score = region_contrast(map);
    r.score = score;
    cv::Mat mis_bin = misalign > P.misalign_scale;
    const double shifted_share = static_cast<double>(cv::countNonZero(mis_bin)) / std::max(1, bw * bh);
    r.evidence.summary =
        shifted_share > 0.05
            ? "The image has a JPEG block grid, and some areas carry a grid shifted from it, as content pasted from another JPEG would."
            : score > 0.3 ? "The image has a JPEG block grid that some areas lack, as pasted or retouched areas would."
                          : "The image has a JPEG block grid that covers it evenly.";
    r.evidence.numbers = {{"region_contrast", score},
                          {"grid_contrast_x", cx},
                          {"grid_contrast_y", cy},
                          {"shifted_grid_share", shifted_share}};
    // Phase p measures the boundary between pixels p and p + 1: the grid starts at p + 1 (mod 8).
    r.evidence.details = {{"grid_phase", {{"x", (px + 1) % 8}, {"y", (py + 1) % 8}}}};
    return r;
  }
};

}  // namespace
std::unique_ptr<Detector> make_block_grid_detector() { return std::make_unique<BlockGridDetector>(); }
}  // namespace veritrace::detect
