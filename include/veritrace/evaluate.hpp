// Veritrace evaluation metrics: the figures `veritrace eval` prints, as pure functions.
//
//   std::vector<double> s = ...; std::vector<int> y = ...;        // 1 = fake/tampered, 0 = real
//   std::optional<double> auc = evaluate::roc_auc(s, y);           // nullopt when one class only
//   std::optional<evaluate::Interval> ci = evaluate::auc_ci(s, y);  // stratified bootstrap, B 2000
//   evaluate::Rates r = evaluate::rates_at(s, y, 0.5);             // score >= 0.5 is positive
//   std::vector<evaluate::RocSeries> curves = {{"all", evaluate::roc_curve(s, y), auc}};
//   std::string svg = evaluate::roc_svg(curves);
//
// Every figure has one fixed definition, written out in docs/evaluation.md. Conventions:
//   - labels: 0 is negative (real, authentic pixel), anything else is positive (fake, tampered);
//   - scores: higher = more suspicious; a sample is called positive when score >= threshold;
//   - a figure that is undefined on the data (AUC with one class only, a rate over zero samples)
//     is std::nullopt, never NaN;
//   - scores must be finite and scores/labels of equal length, else veritrace::Error (Usage).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace veritrace::evaluate {

// ---------------------------------------------------------------------------------------------
// Ranking metrics

// ROC AUC by the Mann-Whitney U statistic: the probability that a random positive scores above a
// random negative, ties counted one half. O(n log n). nullopt without both classes.
std::optional<double> roc_auc(std::span<const double> scores, std::span<const int> labels);

struct RocPoint {
  double threshold = 0.0;  // called positive when score >= threshold (+inf for the first point)
  double fpr = 0.0;
  double tpr = 0.0;
};
// The ROC curve: one point per distinct score, from (0,0) at threshold +inf to (1,1) at the lowest
// score. With drop_intermediate, points on a straight segment between their neighbours are left
// out (the curve drawn through the points is the same). Empty without both classes.
std::vector<RocPoint> roc_curve(std::span<const double> scores, std::span<const int> labels,
                                bool drop_intermediate = true);

// Equal error rate, ASVspoof definition: over the thresholds t in {every distinct score, +inf},
// FNR(t) = share of positives with score < t, FPR(t) = share of negatives with score >= t; the
// threshold where |FNR - FPR| is smallest (the highest such t on a tie) gives EER = (FNR + FPR) / 2.
struct Eer {
  double eer = 0.0;
  double threshold = 0.0;  // may be +inf (call nothing positive)
  double fnr = 0.0, fpr = 0.0;
};
std::optional<Eer> equal_error_rate(std::span<const double> scores, std::span<const int> labels);

struct Rates {
  std::size_t tp = 0, fp = 0, tn = 0, fn = 0;
  std::optional<double> tpr;        // tp / (tp + fn): detection rate, recall; nullopt w/o positives
  std::optional<double> fpr;        // fp / (fp + tn); nullopt without negatives
  std::optional<double> precision;  // tp / (tp + fp); nullopt when nothing is called positive
  std::optional<double> accuracy;   // (tp + tn) / n; nullopt when empty
};
Rates rates_at(std::span<const double> scores, std::span<const int> labels, double threshold);

// ---------------------------------------------------------------------------------------------
// Confidence intervals

struct Interval {
  double lower = 0.0;
  double upper = 0.0;
  double level = 0.95;
  std::size_t replicates = 0;  // bootstrap replicates that gave a value (0 for Wilson)
};

struct BootstrapOptions {
  std::size_t replicates = 2000;  // B
  std::uint64_t seed = 20240612;  // same seed, same data -> same interval, on every platform
  double level = 0.95;            // percentile interval [(1-level)/2, 1-(1-level)/2]
};

// A statistic of a (resampled) set of scores and labels; nullopt when undefined on it.
using Statistic =
    std::function<std::optional<double>(std::span<const double>, std::span<const int>)>;

// Stratified percentile bootstrap: each replicate draws, with replacement, as many positives from
// the positives and as many negatives from the negatives as the data holds, and evaluates the
// statistic; the interval is the (1-level)/2 and 1-(1-level)/2 quantiles (linear interpolation
// between order statistics, numpy's default) of the replicates that gave a value. nullopt when the
// data is empty or no replicate gave a value.
std::optional<Interval> bootstrap_ci(std::span<const double> scores, std::span<const int> labels,
                                     const Statistic& statistic, const BootstrapOptions& options = {});
// The same for AUC (an O(n) pass per replicate over the data sorted once); nullopt with one class.
std::optional<Interval> auc_ci(std::span<const double> scores, std::span<const int> labels,
                               const BootstrapOptions& options = {});
// TPR and FPR at a threshold, bootstrapped (only the class concerned matters).
std::optional<Interval> tpr_ci(std::span<const double> scores, std::span<const int> labels,
                               double threshold, const BootstrapOptions& options = {});
std::optional<Interval> fpr_ci(std::span<const double> scores, std::span<const int> labels,
                               double threshold, const BootstrapOptions& options = {});

// Wilson score interval for a binomial proportion successes / trials at `level` (two-sided).
// nullopt when trials is 0.
std::optional<Interval> wilson_interval(std::size_t successes, std::size_t trials, double level = 0.95);

// ---------------------------------------------------------------------------------------------
// Calibration (probabilities in [0, 1]; a value outside it is a Usage error)

struct ReliabilityBin {
  double lower = 0.0, upper = 0.0;  // [lower, upper); the last bin includes 1.0
  std::size_t count = 0;
  double mean_predicted = 0.0;      // 0 when count is 0
  double observed_frequency = 0.0;  // share of positives; 0 when count is 0
};
// Equal-width bins over [0, 1]: probability p falls in bin min(floor(p * bins), bins - 1).
std::vector<ReliabilityBin> reliability_bins(std::span<const double> probabilities,
                                             std::span<const int> labels, int bins = 10);
// Expected calibration error: sum over bins of count/n * |observed_frequency - mean_predicted|.
std::optional<double> expected_calibration_error(std::span<const double> probabilities,
                                                 std::span<const int> labels, int bins = 10);
// Brier score: mean of (p - y)^2 with y in {0, 1}.
std::optional<double> brier_score(std::span<const double> probabilities, std::span<const int> labels);

// ---------------------------------------------------------------------------------------------
// Pixel-level localisation, streamed image by image

struct PixelOptions {
  int bins = 1024;         // histogram bins over [0, 1] for the AUC (2 .. 1 << 20)
  double threshold = 0.5;  // a pixel is called tampered when heatmap value >= threshold
};

struct PixelCounts {
  std::uint64_t tp = 0, fp = 0, tn = 0, fn = 0;
  std::optional<double> precision() const;  // tp / (tp + fp)
  std::optional<double> recall() const;     // tp / (tp + fn)
  std::optional<double> f1() const;         // 2 tp / (2 tp + fp + fn); nullopt when that is 0/0
  std::optional<double> iou() const;        // tp / (tp + fp + fn); nullopt when that is 0/0
};

struct PixelImageResult {
  PixelCounts counts;           // at the fixed threshold
  std::optional<double> f1;     // nullopt when the mask has no tampered pixel (see docs)
  std::optional<double> auc;    // histogram AUC; nullopt without both classes in the image
  double auc_error_bound = 0.0; // |auc - exact pixel AUC| <= this (0 when auc is nullopt)
};

struct PixelSummary {
  std::size_t images = 0;
  PixelCounts pooled;                    // summed over all pixels of all images
  std::optional<double> pooled_auc;      // histogram AUC over all pixels of all images
  double pooled_auc_error_bound = 0.0;
  std::optional<double> mean_image_f1;   // mean over images whose F1 is defined
  std::size_t images_with_f1 = 0;
  std::optional<double> mean_image_auc;  // mean over images whose AUC is defined
  std::size_t images_with_auc = 0;
};

// Memory is O(bins) whatever the number of pixels: 100 images of 1 MP need no pixel kept.
// Heatmap values are clamped to [0, 1] (NaN counts as 0). A mask whose size differs from the
// heatmap is resized by nearest neighbour with pixel centres aligned: heatmap pixel (x, y) reads
// mask pixel (floor((x + 0.5) * mask_w / w), floor((y + 0.5) * mask_h / h)).
// Not thread-safe: use one accumulator per thread and merge() them, or add under a lock.
class PixelAccumulator {
 public:
  explicit PixelAccumulator(PixelOptions options = {});

  // heatmap: width*height values, row-major; mask: mask_width*mask_height bytes, 0 = authentic.
  // Throws veritrace::Error (Usage) when a buffer's size does not match its dimensions.
  PixelImageResult add(std::span<const float> heatmap, int width, int height,
                       std::span<const std::uint8_t> mask, int mask_width, int mask_height);
  // An image for which the detector gave no heatmap: every pixel scores `value` (usually 0).
  PixelImageResult add_uniform(float value, std::span<const std::uint8_t> mask, int mask_width,
                               int mask_height);

  // Adds another accumulator's images (same bins and threshold, else a Usage error).
  void merge(const PixelAccumulator& other);

  PixelSummary summary() const;
  const PixelOptions& options() const { return options_; }

 private:
  PixelOptions options_;
  std::vector<std::uint64_t> pos_, neg_;  // pooled histograms
  std::vector<std::uint64_t> img_pos_, img_neg_;  // scratch for one image
  PixelCounts pooled_;
  std::size_t images_ = 0;
  double f1_sum_ = 0.0, auc_sum_ = 0.0;
  std::size_t f1_n_ = 0, auc_n_ = 0;
};

// AUC of two histograms over the same ordered bins (pairs in one bin count one half), and the
// largest possible difference from the AUC of the unbinned values: 0.5 * sum_b pos_b * neg_b / (P N).
struct HistogramAuc {
  double auc = 0.0;
  double error_bound = 0.0;
};
std::optional<HistogramAuc> histogram_auc(std::span<const std::uint64_t> positives,
                                          std::span<const std::uint64_t> negatives);

// ---------------------------------------------------------------------------------------------
// Grouped results

struct Row {
  double score = 0.0;
  int label = 0;
  std::string group;
};

struct GroupMetrics {
  std::string group;  // "" for the overall figures
  std::size_t n = 0, positives = 0, negatives = 0;
  std::optional<double> auc;  // with both classes only
  std::optional<Interval> auc_ci;
  Rates rates;                       // at the threshold
  std::optional<Interval> tpr_ci;    // Wilson, when the group has positives
  std::optional<Interval> fpr_ci;    // Wilson, when the group has negatives
  std::optional<Eer> eer;            // with both classes only
  // A group of one class only (one attack's fakes, or one source's real files): auc, auc_ci and
  // eer are then measured against every file of the other class in the whole set (the ASVspoof
  // per-attack convention), and this is true.
  bool against_all_other_class = false;
  std::optional<double> ece;         // when every score is in [0, 1]
  std::optional<double> brier;       // when every score is in [0, 1]
};

struct GroupedOptions {
  double threshold = 0.5;
  BootstrapOptions bootstrap;
  int calibration_bins = 10;
};

struct GroupedResult {
  std::vector<GroupMetrics> groups;  // sorted by group name (byte order)
  GroupMetrics overall;
};

GroupedResult grouped_metrics(std::span<const Row> rows, const GroupedOptions& options = {});
// The same figures for one set of scores and labels.
GroupMetrics metrics_of(std::span<const double> scores, std::span<const int> labels,
                        const GroupedOptions& options = {});

// ---------------------------------------------------------------------------------------------
// SVG plots: self-contained strings (no scripts, no external fonts or links; generic sans-serif)

struct RocSeries {
  std::string label;
  std::vector<RocPoint> points;
  std::optional<double> auc;  // shown in the legend when set
};

struct PlotOptions {
  std::string title;
  int width = 480;
  int height = 480;
};

std::string roc_svg(std::span<const RocSeries> curves, const PlotOptions& options = {});
// Bars: observed frequency per bin (bin width); points: (mean predicted, observed frequency);
// the diagonal is perfect calibration; each bin's count is written above it. `ece` goes in the
// legend when set.
std::string reliability_svg(std::span<const ReliabilityBin> bins, const PlotOptions& options = {},
                            std::optional<double> ece = std::nullopt);

// Text escaped for XML character data and attribute values (& < > " ').
std::string xml_escape(std::string_view text);

}  // namespace veritrace::evaluate
