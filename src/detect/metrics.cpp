// Evaluation metrics (include/veritrace/evaluate.hpp); definitions in docs/evaluation.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/evaluate.hpp"

namespace veritrace::evaluate {
namespace {

[[noreturn]] void usage(const std::string& message) {
  throw Error(ErrorKind::Usage, "evaluate: " + message);
}

void check_inputs(std::span<const double> scores, std::span<const int> labels) {
  if (scores.size() != labels.size())
    usage(std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) + " labels");
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!std::isfinite(scores[i])) usage("score " + std::to_string(i) + " is not a finite number");
}

void check_probabilities(std::span<const double> p, std::span<const int> labels) {
  check_inputs(p, labels);
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] < 0.0 || p[i] > 1.0)
      usage("probability " + std::to_string(i) + " is outside [0, 1]");
}

// Samples of equal score, in ascending score order, with their class counts.
struct TieGroup {
  double score = 0.0;
  std::size_t pos = 0, neg = 0;
};

struct Sorted {
  std::vector<TieGroup> groups;
  std::vector<std::uint32_t> group_of_pos, group_of_neg;  // group index of each positive/negative
  std::size_t pos = 0, neg = 0;
};

Sorted sort_into_groups(std::span<const double> scores, std::span<const int> labels,
                        bool keep_members = false) {
  Sorted out;
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    if (out.groups.empty() || scores[i] != out.groups.back().score) out.groups.push_back({scores[i], 0, 0});
    const bool positive = labels[i] != 0;
    auto& g = out.groups.back();
    if (positive) ++g.pos; else ++g.neg;
    if (positive) ++out.pos; else ++out.neg;
    if (keep_members) {
      const auto gi = static_cast<std::uint32_t>(out.groups.size() - 1);
      (positive ? out.group_of_pos : out.group_of_neg).push_back(gi);
    }
  }
  return out;
}

// Mann-Whitney over ordered groups: sum over groups of pos_g * (neg below + neg_g / 2), / (P N).
template <typename PosAt, typename NegAt>
double sweep_auc(std::size_t count, PosAt pos_at, NegAt neg_at, double total_pos, double total_neg) {
  long double acc = 0.0L, neg_below = 0.0L;
  for (std::size_t g = 0; g < count; ++g) {
    const long double p = static_cast<long double>(pos_at(g));
    const long double n = static_cast<long double>(neg_at(g));
    acc += p * (neg_below + 0.5L * n);
    neg_below += n;
  }
  return static_cast<double>(acc / (static_cast<long double>(total_pos) * total_neg));
}

// Unbiased, platform-independent random numbers: xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), n > 0: reject the low values that would bias the modulo.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t floor = (0 - n) % n;
    for (;;) {
      const std::uint64_t x = next();
      if (x >= floor) return x % n;
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Quantile q of sorted values, linear interpolation between order statistics (numpy default).
double quantile_sorted(const std::vector<double>& v, double q) {
  const double h = static_cast<double>(v.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

void check_bootstrap(const BootstrapOptions& o) {
  if (o.replicates == 0 || o.replicates > 1'000'000) usage("bootstrap replicates must be 1 .. 1000000");
  if (!(o.level > 0.0 && o.level < 1.0)) usage("confidence level must be in (0, 1)");
}

std::optional<Interval> percentile_interval(std::vector<double> values, double level) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double alpha = (1.0 - level) / 2.0;
  return Interval{quantile_sorted(values, alpha), quantile_sorted(values, 1.0 - alpha), level, values.size()};
}

// Two-sided standard normal quantile z with P(|Z| <= z) = level (Acklam's rational approximation
// refined by one Newton step on erfc; relative error below 1e-12).
double normal_two_sided_z(double level) {
  const double p = 1.0 - (1.0 - level) / 2.0;  // upper quantile
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p > 1.0 - 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}

std::optional<double> ratio(double num, double den) {
  if (den <= 0.0) return std::nullopt;
  return num / den;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::optional<double> roc_auc(std::span<const double> scores, std::span<const int> labels) {
  check_inputs(scores, labels);
  const Sorted s = sort_into_groups(scores, labels);
  if (s.pos == 0 || s.neg == 0) return std::nullopt;
  return sweep_auc(
      s.groups.size(), [&](std::size_t g) { return s.groups[g].pos; },
      [&](std::size_t g) { return s.groups[g].neg; }, static_cast<double>(s.pos), static_cast<double>(s.neg));
}

std::vector<RocPoint> roc_curve(std::span<const double> scores, std::span<const int> labels,
                                bool drop_intermediate) {
  check_inputs(scores, labels);
  const Sorted s = sort_into_groups(scores, labels);
  if (s.pos == 0 || s.neg == 0) return {};
  // Cumulative counts from the highest score down; index 0 is threshold +inf.
  std::vector<std::pair<std::size_t, std::size_t>> cum;  // (fp, tp)
  std::vector<double> thr;
  cum.reserve(s.groups.size() + 1);
  cum.emplace_back(0, 0);
  thr.push_back(std::numeric_limits<double>::infinity());
  std::size_t fp = 0, tp = 0;
  for (auto g = s.groups.rbegin(); g != s.groups.rend(); ++g) {
    fp += g->neg;
    tp += g->pos;
    cum.emplace_back(fp, tp);
    thr.push_back(g->score);
  }
  std::vector<RocPoint> out;
  const double P = static_cast<double>(s.pos), N = static_cast<double>(s.neg);
  for (std::size_t k = 0; k < cum.size(); ++k) {
    if (drop_intermediate && k > 0 && k + 1 < cum.size()) {
      // Collinear with both neighbours (exact in integer counts up to 2^32): drop.
      const long double dx1 = static_cast<long double>(cum[k].first) - cum[k - 1].first;
      const long double dy1 = static_cast<long double>(cum[k].second) - cum[k - 1].second;
      const long double dx2 = static_cast<long double>(cum[k + 1].first) - cum[k].first;
      const long double dy2 = static_cast<long double>(cum[k + 1].second) - cum[k].second;
      if (dx1 * dy2 == dy1 * dx2) continue;
    }
    out.push_back({thr[k], static_cast<double>(cum[k].first) / N, static_cast<double>(cum[k].second) / P});
  }
  return out;
}

std::optional<Eer> equal_error_rate(std::span<const double> scores, std::span<const int> labels) {
  check_inputs(scores, labels);
  const Sorted s = sort_into_groups(scores, labels);
  if (s.pos == 0 || s.neg == 0) return std::nullopt;
  const double P = static_cast<double>(s.pos), N = static_cast<double>(s.neg);
  // Ascending thresholds: at the lowest score everything is called positive.
  std::size_t pos_below = 0, neg_below = 0;
  Eer best;
  double best_gap = std::numeric_limits<double>::infinity();
  auto consider = [&](double threshold) {
    const double fnr = static_cast<double>(pos_below) / P;
    const double fpr = (N - static_cast<double>(neg_below)) / N;
    const double gap = std::fabs(fnr - fpr);
    if (gap <= best_gap) {  // <=: the highest threshold among equal gaps
      best_gap = gap;
      best = {(fnr + fpr) / 2.0, threshold, fnr, fpr};
    }
  };
  for (const auto& g : s.groups) {
    consider(g.score);
    pos_below += g.pos;
    neg_below += g.neg;
  }
  consider(std::numeric_limits<double>::infinity());
  return best;
}

Rates rates_at(std::span<const double> scores, std::span<const int> labels, double threshold) {
  check_inputs(scores, labels);
  Rates r;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool called = scores[i] >= threshold;
    if (labels[i] != 0) (called ? r.tp : r.fn)++;
    else (called ? r.fp : r.tn)++;
  }
  const auto d = [](std::size_t v) { return static_cast<double>(v); };
  r.tpr = ratio(d(r.tp), d(r.tp + r.fn));
  r.fpr = ratio(d(r.fp), d(r.fp + r.tn));
  r.precision = ratio(d(r.tp), d(r.tp + r.fp));
  r.accuracy = ratio(d(r.tp + r.tn), d(scores.size()));
  return r;
}

// ---------------------------------------------------------------------------------------------

std::optional<Interval> bootstrap_ci(std::span<const double> scores, std::span<const int> labels,
                                     const Statistic& statistic, const BootstrapOptions& options) {
  check_inputs(scores, labels);
  check_bootstrap(options);
  if (scores.empty() || !statistic) return std::nullopt;
  std::vector<std::size_t> pos, neg;
  for (std::size_t i = 0; i < labels.size(); ++i) (labels[i] != 0 ? pos : neg).push_back(i);
  Rng rng(options.seed);
  std::vector<double> rs(scores.size());
  std::vector<int> rl(scores.size());
  std::vector<double> values;
  values.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    std::size_t k = 0;
    for (std::size_t j = 0; j < pos.size(); ++j, ++k) {
      const std::size_t i = pos[rng.below(pos.size())];
      rs[k] = scores[i];
      rl[k] = labels[i];
    }
    for (std::size_t j = 0; j < neg.size(); ++j, ++k) {
      const std::size_t i = neg[rng.below(neg.size())];
      rs[k] = scores[i];
      rl[k] = 0;
    }
    if (auto v = statistic(rs, rl); v && std::isfinite(*v)) values.push_back(*v);
  }
  return percentile_interval(std::move(values), options.level);
}

std::optional<Interval> auc_ci(std::span<const double> scores, std::span<const int> labels,
                               const BootstrapOptions& options) {
  check_inputs(scores, labels);
  check_bootstrap(options);
  const Sorted s = sort_into_groups(scores, labels, /*keep_members=*/true);
  if (s.pos == 0 || s.neg == 0) return std::nullopt;
  Rng rng(options.seed);
  const std::size_t G = s.groups.size();
  std::vector<std::uint32_t> wpos(G), wneg(G);
  std::vector<double> values;
  values.reserve(options.replicates);
  for (std::size_t b = 0; b < options.replicates; ++b) {
    std::fill(wpos.begin(), wpos.end(), 0u);
    std::fill(wneg.begin(), wneg.end(), 0u);
    for (std::size_t j = 0; j < s.pos; ++j) ++wpos[s.group_of_pos[rng.below(s.pos)]];
    for (std::size_t j = 0; j < s.neg; ++j) ++wneg[s.group_of_neg[rng.below(s.neg)]];
    values.push_back(sweep_auc(
        G, [&](std::size_t g) { return wpos[g]; }, [&](std::size_t g) { return wneg[g]; },
        static_cast<double>(s.pos), static_cast<double>(s.neg)));
  }
  return percentile_interval(std::move(values), options.level);
}

std::optional<Interval> tpr_ci(std::span<const double> scores, std::span<const int> labels,
                               double threshold, const BootstrapOptions& options) {
  return bootstrap_ci(
      scores, labels,
      [threshold](std::span<const double> s, std::span<const int> l) { return rates_at(s, l, threshold).tpr; },
      options);
}

std::optional<Interval> fpr_ci(std::span<const double> scores, std::span<const int> labels,
                               double threshold, const BootstrapOptions& options) {
  return bootstrap_ci(
      scores, labels,
      [threshold](std::span<const double> s, std::span<const int> l) { return rates_at(s, l, threshold).fpr; },
      options);
}

std::optional<Interval> wilson_interval(std::size_t successes, std::size_t trials, double level) {
  if (!(level > 0.0 && level < 1.0)) usage("confidence level must be in (0, 1)");
  if (successes > trials) usage("more successes than trials");
  if (trials == 0) return std::nullopt;
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z = normal_two_sided_z(level);
  const double z2 = z * z;
  const double centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
  const double half = z / (1.0 + z2 / n) * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  // The bounds are exactly 0 at 0 successes and 1 at all successes (rounding aside).
  const double lower = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  const double upper = successes == trials ? 1.0 : std::min(1.0, centre + half);
  return Interval{lower, upper, level, 0};
}

// ---------------------------------------------------------------------------------------------

std::vector<ReliabilityBin> reliability_bins(std::span<const double> probabilities,
                                             std::span<const int> labels, int bins) {
  check_probabilities(probabilities, labels);
  if (bins < 1 || bins > 10000) usage("calibration bins must be 1 .. 10000");
  std::vector<ReliabilityBin> out(static_cast<std::size_t>(bins));
  std::vector<double> sum_p(out.size(), 0.0), sum_y(out.size(), 0.0);
  for (std::size_t b = 0; b < out.size(); ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const auto b = std::min(static_cast<std::size_t>(probabilities[i] * bins), out.size() - 1);
    ++out[b].count;
    sum_p[b] += probabilities[i];
    sum_y[b] += labels[i] != 0 ? 1.0 : 0.0;
  }
  for (std::size_t b = 0; b < out.size(); ++b) {
    if (out[b].count == 0) continue;
    const double c = static_cast<double>(out[b].count);
    out[b].mean_predicted = sum_p[b] / c;
    out[b].observed_frequency = sum_y[b] / c;
  }
  return out;
}

std::optional<double> expected_calibration_error(std::span<const double> probabilities,
                                                 std::span<const int> labels, int bins) {
  const auto rb = reliability_bins(probabilities, labels, bins);
  if (probabilities.empty()) return std::nullopt;
  double ece = 0.0;
  for (const auto& b : rb)
    ece += static_cast<double>(b.count) * std::fabs(b.observed_frequency - b.mean_predicted);
  return ece / static_cast<double>(probabilities.size());
}

std::optional<double> brier_score(std::span<const double> probabilities, std::span<const int> labels) {
  check_probabilities(probabilities, labels);
  if (probabilities.empty()) return std::nullopt;
  double sum = 0.0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double e = probabilities[i] - (labels[i] != 0 ? 1.0 : 0.0);
    sum += e * e;
  }
  return sum / static_cast<double>(probabilities.size());
}

// ---------------------------------------------------------------------------------------------

std::optional<double> PixelCounts::precision() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
}
std::optional<double> PixelCounts::recall() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fn));
}
std::optional<double> PixelCounts::f1() const {
  return ratio(2.0 * static_cast<double>(tp), 2.0 * static_cast<double>(tp) + static_cast<double>(fp + fn));
}
std::optional<double> PixelCounts::iou() const {
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fp + fn));
}

std::optional<HistogramAuc> histogram_auc(std::span<const std::uint64_t> positives,
                                          std::span<const std::uint64_t> negatives) {
  if (positives.size() != negatives.size()) usage("histograms of different lengths");
  long double P = 0.0L, N = 0.0L, same_bin = 0.0L;
  for (std::size_t b = 0; b < positives.size(); ++b) {
    P += static_cast<long double>(positives[b]);
    N += static_cast<long double>(negatives[b]);
    same_bin += static_cast<long double>(positives[b]) * static_cast<long double>(negatives[b]);
  }
  if (P == 0.0L || N == 0.0L) return std::nullopt;
  HistogramAuc h;
  h.auc = sweep_auc(
      positives.size(), [&](std::size_t b) { return positives[b]; }, [&](std::size_t b) { return negatives[b]; },
      static_cast<double>(P), static_cast<double>(N));
  h.error_bound = static_cast<double>(0.5L * same_bin / (P * N));
  return h;
}

PixelAccumulator::PixelAccumulator(PixelOptions options) : options_(options) {
  if (options_.bins < 2 || options_.bins > (1 << 20)) usage("pixel histogram bins must be 2 .. 1048576");
  if (!std::isfinite(options_.threshold)) usage("pixel threshold must be a finite number");
  const auto n = static_cast<std::size_t>(options_.bins);
  pos_.assign(n, 0);
  neg_.assign(n, 0);
  img_pos_.assign(n, 0);
  img_neg_.assign(n, 0);
}

namespace {

void check_dims(std::size_t values, int w, int h, const char* what) {
  if (w <= 0 || h <= 0) usage(std::string(what) + " has no pixels");
  if (values != static_cast<std::size_t>(w) * static_cast<std::size_t>(h))
    usage(std::string(what) + " holds " + std::to_string(values) + " values, not " + std::to_string(w) +
          " x " + std::to_string(h));
}

// Source index for each destination index, nearest neighbour with pixel centres aligned.
std::vector<std::size_t> nearest_map(int dst, int src) {
  std::vector<std::size_t> m(static_cast<std::size_t>(dst));
  const auto d = static_cast<std::uint64_t>(dst), s = static_cast<std::uint64_t>(src);
  for (std::uint64_t i = 0; i < d; ++i) m[i] = static_cast<std::size_t>(std::min((2 * i + 1) * s / (2 * d), s - 1));
  return m;
}

}  // namespace

PixelImageResult PixelAccumulator::add(std::span<const float> heatmap, int width, int height,
                                       std::span<const std::uint8_t> mask, int mask_width,
                                       int mask_height) {
  check_dims(heatmap.size(), width, height, "heatmap");
  check_dims(mask.size(), mask_width, mask_height, "mask");
  std::fill(img_pos_.begin(), img_pos_.end(), 0);
  std::fill(img_neg_.begin(), img_neg_.end(), 0);
  const int bins = options_.bins;
  const auto last = static_cast<std::size_t>(bins - 1);
  const float threshold = static_cast<float>(options_.threshold);
  PixelCounts c;
  const bool same = width == mask_width && height == mask_height;
  const std::vector<std::size_t> xs = same ? std::vector<std::size_t>{} : nearest_map(width, mask_width);
  const std::vector<std::size_t> ys = same ? std::vector<std::size_t>{} : nearest_map(height, mask_height);
  for (int y = 0; y < height; ++y) {
    const float* hrow = heatmap.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
    const std::uint8_t* mrow =
        mask.data() + (same ? static_cast<std::size_t>(y) : ys[static_cast<std::size_t>(y)]) *
                          static_cast<std::size_t>(mask_width);
    for (int x = 0; x < width; ++x) {
      float v = hrow[x];
      if (!(v >= 0.0f)) v = 0.0f;  // NaN and negatives
      if (v > 1.0f) v = 1.0f;
      const auto b = std::min(static_cast<std::size_t>(v * static_cast<float>(bins)), last);
      const bool tampered = mrow[same ? static_cast<std::size_t>(x) : xs[static_cast<std::size_t>(x)]] != 0;
      const bool called = v >= threshold;
      if (tampered) {
        ++img_pos_[b];
        (called ? c.tp : c.fn)++;
      } else {
        ++img_neg_[b];
        (called ? c.fp : c.tn)++;
      }
    }
  }
  PixelImageResult r;
  r.counts = c;
  if (c.tp + c.fn > 0) r.f1 = c.f1();
  if (auto h = histogram_auc(img_pos_, img_neg_)) {
    r.auc = h->auc;
    r.auc_error_bound = h->error_bound;
  }
  for (std::size_t b = 0; b < pos_.size(); ++b) {
    pos_[b] += img_pos_[b];
    neg_[b] += img_neg_[b];
  }
  pooled_.tp += c.tp;
  pooled_.fp += c.fp;
  pooled_.tn += c.tn;
  pooled_.fn += c.fn;
  ++images_;
  if (r.f1) {
    f1_sum_ += *r.f1;
    ++f1_n_;
  }
  if (r.auc) {
    auc_sum_ += *r.auc;
    ++auc_n_;
  }
  return r;
}

PixelImageResult PixelAccumulator::add_uniform(float value, std::span<const std::uint8_t> mask,
                                               int mask_width, int mask_height) {
  check_dims(mask.size(), mask_width, mask_height, "mask");
  // The same pixels through the common path would cost a heatmap allocation; count directly.
  float v = value;
  if (!(v >= 0.0f)) v = 0.0f;
  if (v > 1.0f) v = 1.0f;
  const auto b = std::min(static_cast<std::size_t>(v * static_cast<float>(options_.bins)),
                          static_cast<std::size_t>(options_.bins - 1));
  const std::uint64_t tampered =
      static_cast<std::uint64_t>(std::count_if(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; }));
  const std::uint64_t authentic = mask.size() - tampered;
  const bool called = v >= static_cast<float>(options_.threshold);
  PixelCounts c;
  (called ? c.tp : c.fn) = tampered;
  (called ? c.fp : c.tn) = authentic;
  PixelImageResult r;
  r.counts = c;
  if (tampered > 0) r.f1 = c.f1();
  if (tampered > 0 && authentic > 0) {
    r.auc = 0.5;  // every pair tied
    r.auc_error_bound = 0.0;
  }
  pos_[b] += tampered;
  neg_[b] += authentic;
  pooled_.tp += c.tp;
  pooled_.fp += c.fp;
  pooled_.tn += c.tn;
  pooled_.fn += c.fn;
  ++images_;
  if (r.f1) {
    f1_sum_ += *r.f1;
    ++f1_n_;
  }
  if (r.auc) {
    auc_sum_ += *r.auc;
    ++auc_n_;
  }
  return r;
}

void PixelAccumulator::merge(const PixelAccumulator& other) {
  if (other.options_.bins != options_.bins || other.options_.threshold != options_.threshold)
    usage("cannot merge pixel accumulators with different bins or thresholds");
  for (std::size_t b = 0; b < pos_.size(); ++b) {
    pos_[b] += other.pos_[b];
    neg_[b] += other.neg_[b];
  }
  pooled_.tp += other.pooled_.tp;
  pooled_.fp += other.pooled_.fp;
  pooled_.tn += other.pooled_.tn;
  pooled_.fn += other.pooled_.fn;
  images_ += other.images_;
  f1_sum_ += other.f1_sum_;
  f1_n_ += other.f1_n_;
  auc_sum_ += other.auc_sum_;
  auc_n_ += other.auc_n_;
}

PixelSummary PixelAccumulator::summary() const {
  PixelSummary s;
  s.images = images_;
  s.pooled = pooled_;
  if (auto h = histogram_auc(pos_, neg_)) {
    s.pooled_auc = h->auc;
    s.pooled_auc_error_bound = h->error_bound;
  }
  s.images_with_f1 = f1_n_;
  s.images_with_auc = auc_n_;
  if (f1_n_ > 0) s.mean_image_f1 = f1_sum_ / static_cast<double>(f1_n_);
  if (auc_n_ > 0) s.mean_image_auc = auc_sum_ / static_cast<double>(auc_n_);
  return s;
}

// ---------------------------------------------------------------------------------------------

GroupMetrics metrics_of(std::span<const double> scores, std::span<const int> labels,
                        const GroupedOptions& options) {
  check_inputs(scores, labels);
  GroupMetrics m;
  m.n = scores.size();
  m.positives = static_cast<std::size_t>(std::count_if(labels.begin(), labels.end(), [](int l) { return l != 0; }));
  m.negatives = m.n - m.positives;
  m.rates = rates_at(scores, labels, options.threshold);
  m.tpr_ci = wilson_interval(m.rates.tp, m.rates.tp + m.rates.fn, options.bootstrap.level);
  m.fpr_ci = wilson_interval(m.rates.fp, m.rates.fp + m.rates.tn, options.bootstrap.level);
  if (m.positives > 0 && m.negatives > 0) {
    m.auc = roc_auc(scores, labels);
    m.auc_ci = auc_ci(scores, labels, options.bootstrap);
    m.eer = equal_error_rate(scores, labels);
  }
  const bool probabilities =
      !scores.empty() && std::all_of(scores.begin(), scores.end(), [](double s) { return s >= 0.0 && s <= 1.0; });
  if (probabilities) {
    m.ece = expected_calibration_error(scores, labels, options.calibration_bins);
    m.brier = brier_score(scores, labels);
  }
  return m;
}

GroupedResult grouped_metrics(std::span<const Row> rows, const GroupedOptions& options) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<int>>> by_group;
  std::vector<double> all_s;
  std::vector<int> all_l;
  all_s.reserve(rows.size());
  all_l.reserve(rows.size());
  for (const auto& r : rows) {
    auto& g = by_group[r.group];
    g.first.push_back(r.score);
    g.second.push_back(r.label != 0 ? 1 : 0);
    all_s.push_back(r.score);
    all_l.push_back(r.label != 0 ? 1 : 0);
  }
  GroupedResult out;
  out.overall = metrics_of(all_s, all_l, options);
  for (const auto& [name, data] : by_group) {
    GroupMetrics m = metrics_of(data.first, data.second, options);
    m.group = name;
    if (!m.auc && out.overall.positives > 0 && out.overall.negatives > 0) {
      // One class only: measure it against every file of the other class.
      const int own = m.positives > 0 ? 1 : 0;
      std::vector<double> s = data.first;
      std::vector<int> l = data.second;
      for (size_t i = 0; i < all_s.size(); ++i)
        if (all_l[i] != own) {
          s.push_back(all_s[i]);
          l.push_back(all_l[i]);
        }
      m.auc = roc_auc(s, l);
      m.auc_ci = auc_ci(s, l, options.bootstrap);
      m.eer = equal_error_rate(s, l);
      m.against_all_other_class = true;
    }
    out.groups.push_back(std::move(m));
  }
  return out;
}

}  // namespace veritrace::evaluate
