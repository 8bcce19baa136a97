// Evaluation metrics (include/veritrace/evaluate.hpp): hand-computed cases, brute-force
// cross-checks on random data, and SVG well-formedness.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "veritrace/core.hpp"
#include "veritrace/evaluate.hpp"

namespace ev = veritrace::evaluate;

namespace {

// O(n^2) Mann-Whitney: the definition itself.
double brute_auc(const std::vector<double>& s, const std::vector<int>& y) {
  double sum = 0;
  double pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (y[i] == 0) continue;
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (y[j] != 0) continue;
      pairs += 1;
      sum += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return sum / pairs;
}

// Positives ~ N(shift, 1), negatives ~ N(0, 1); scores rounded to `step` to create ties.
void synth(std::size_t n_pos, std::size_t n_neg, double shift, std::uint32_t seed, std::vector<double>& s,
           std::vector<int>& y, double step = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  s.clear();
  y.clear();
  auto round = [&](double v) { return step > 0 ? std::round(v / step) * step : v; };
  for (std::size_t i = 0; i < n_pos; ++i) {
    s.push_back(round(nd(rng) + shift));
    y.push_back(1);
  }
  for (std::size_t i = 0; i < n_neg; ++i) {
    s.push_back(round(nd(rng)));
    y.push_back(0);
  }
}

// Area under the piecewise-linear ROC curve (trapezoids).
double trapezoid_area(const std::vector<ev::RocPoint>& pts) {
  double a = 0;
  for (std::size_t i = 1; i < pts.size(); ++i)
    a += (pts[i].fpr - pts[i - 1].fpr) * (pts[i].tpr + pts[i - 1].tpr) / 2.0;
  return a;
}

// A small XML checker: tags balance, attributes are quoted, text has no raw '<' and every '&'
// starts an entity. Returns "" when well-formed, else what is wrong.
std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  auto check_text = [&](std::size_t from, std::size_t to) -> std::string {
    for (std::size_t k = from; k < to; ++k) {
      if (x[k] == '&') {
        const std::size_t semi = x.find(';', k);
        if (semi == std::string::npos || semi > to) return "bare & at " + std::to_string(k);
        const std::string ent = x.substr(k, semi - k + 1);
        if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;")
          return "unknown entity " + ent;
      }
      if (x[k] == '>') return "bare > at " + std::to_string(k);
    }
    return "";
  };
  while (i < x.size()) {
    const std::size_t lt = x.find('<', i);
    if (lt == std::string::npos) {
      if (auto p = check_text(i, x.size()); !p.empty()) return p;
      break;
    }
    if (auto p = check_text(i, lt); !p.empty()) return p;
    // Find the tag's end, skipping quoted attribute values.
    std::size_t k = lt + 1;
    char quote = 0;
    for (; k < x.size(); ++k) {
      if (quote) {
        if (x[k] == quote) quote = 0;
        else if (x[k] == '<') return "raw < in attribute";
      } else if (x[k] == '"' || x[k] == '\'') {
        quote = x[k];
      } else if (x[k] == '>') {
        break;
      }
    }
    if (k >= x.size()) return "unterminated tag";
    std::string tag = x.substr(lt + 1, k - lt - 1);
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
    } else {
      const bool self_closing = tag.back() == '/';
      const std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
      if (!self_closing) stack.push_back(name);
      if (stack.empty() && !self_closing && name != "svg") return "content outside the root";
    }
    i = k + 1;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AUC, ROC, EER, rates

TEST(DetectMetrics, AucHandComputed) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  // Pairs (pos, neg): (0.35, 0.1) yes, (0.35, 0.4) no, (0.8, 0.1) yes, (0.8, 0.4) yes -> 3/4.
  ASSERT_TRUE(ev::roc_auc(s, y).has_value());
  EXPECT_DOUBLE_EQ(*ev::roc_auc(s, y), 0.75);
}

TEST(DetectMetrics, AucTiesCountHalf) {
  const std::vector<int> y = {0, 0, 1, 1};
  // (0.5 vs 0.2) 1, (0.5 vs 0.5) 1/2, (0.9 vs both) 2 -> 3.5 / 4.
  EXPECT_DOUBLE_EQ(*ev::roc_auc(std::vector<double>{0.2, 0.5, 0.5, 0.9}, y), 0.875);
  EXPECT_DOUBLE_EQ(*ev::roc_auc(std::vector<double>{0.5, 0.5, 0.5, 0.5}, y), 0.5);
  // Labels other than 0/1: any non-zero is positive.
  EXPECT_DOUBLE_EQ(*ev::roc_auc(std::vector<double>{0.1, 0.4, 0.35, 0.8}, std::vector<int>{0, 0, 7, -1}), 0.75);
}

TEST(DetectMetrics, AucPerfectAndInverted) {
  const std::vector<int> y = {0, 0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(*ev::roc_auc(std::vector<double>{1, 2, 3, 4, 5}, y), 1.0);
  EXPECT_DOUBLE_EQ(*ev::roc_auc(std::vector<double>{5, 4, 3, 2, 1}, y), 0.0);
  const auto eer = ev::equal_error_rate(std::vector<double>{1, 2, 3, 4, 5}, y);
  ASSERT_TRUE(eer);
  EXPECT_DOUBLE_EQ(eer->eer, 0.0);
  EXPECT_GT(eer->threshold, 3.0);
  EXPECT_LE(eer->threshold, 4.0);
}

TEST(DetectMetrics, OneClassIsUndefinedNotNaN) {
  const std::vector<double> s = {0.1, 0.9, 0.5};
  const std::vector<int> fakes = {1, 1, 1};
  const std::vector<int> reals = {0, 0, 0};
  EXPECT_FALSE(ev::roc_auc(s, fakes).has_value());
  EXPECT_FALSE(ev::roc_auc(s, reals).has_value());
  EXPECT_FALSE(ev::roc_auc(std::vector<double>{}, std::vector<int>{}).has_value());
  EXPECT_TRUE(ev::roc_curve(s, fakes).empty());
  EXPECT_FALSE(ev::equal_error_rate(s, reals).has_value());
  EXPECT_FALSE(ev::auc_ci(s, fakes).has_value());
  const auto r = ev::rates_at(s, fakes, 0.5);
  ASSERT_TRUE(r.tpr);
  EXPECT_DOUBLE_EQ(*r.tpr, 2.0 / 3.0);
  EXPECT_FALSE(r.fpr.has_value());
}

TEST(DetectMetrics, BadInputIsAUsageError) {
  const std::vector<double> s = {0.1, 0.2};
  EXPECT_THROW(ev::roc_auc(s, std::vector<int>{1}), veritrace::Error);
  EXPECT_THROW(ev::roc_auc(std::vector<double>{0.1, NAN}, std::vector<int>{0, 1}), veritrace::Error);
  EXPECT_THROW(ev::rates_at(std::vector<double>{INFINITY}, std::vector<int>{1}, 0.5), veritrace::Error);
  EXPECT_THROW(ev::brier_score(std::vector<double>{1.5}, std::vector<int>{1}), veritrace::Error);
}

TEST(DetectMetrics, AucMatchesBruteForceWithTies) {
  std::vector<double> s;
  std::vector<int> y;
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    synth(150 + seed * 7, 200 - seed * 11, 0.8, seed, s, y, /*step=*/0.25);  // many ties
    const double want = brute_auc(s, y);
    EXPECT_NEAR(*ev::roc_auc(s, y), want, 1e-12) << "seed " << seed;
    // The ROC curve's trapezoid area is the same number (ties are diagonal segments), with and
    // without the intermediate points.
    EXPECT_NEAR(trapezoid_area(ev::roc_curve(s, y, true)), want, 1e-12);
    EXPECT_NEAR(trapezoid_area(ev::roc_curve(s, y, false)), want, 1e-12);
  }
}

TEST(DetectMetrics, RocCurveHandComputed) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  const auto pts = ev::roc_curve(s, y, false);
  ASSERT_EQ(pts.size(), 5u);
  EXPECT_TRUE(std::isinf(pts[0].threshold));
  const double want[5][3] = {{0, 0, 0}, {0.8, 0, 0.5}, {0.4, 0.5, 0.5}, {0.35, 0.5, 1}, {0.1, 1, 1}};
  for (int i = 1; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(pts[i].threshold, want[i][0]) << i;
    EXPECT_DOUBLE_EQ(pts[i].fpr, want[i][1]) << i;
    EXPECT_DOUBLE_EQ(pts[i].tpr, want[i][2]) << i;
  }
  // Collinear points go: scores 1..4 with labels 1,1,0,0 -> (0,0) (0,.5) (0,1) (.5,1) (1,1).
  const auto thin = ev::roc_curve(std::vector<double>{4, 3, 2, 1}, std::vector<int>{1, 1, 0, 0}, true);
  ASSERT_EQ(thin.size(), 3u);
  EXPECT_DOUBLE_EQ(thin[1].fpr, 0.0);
  EXPECT_DOUBLE_EQ(thin[1].tpr, 1.0);
  EXPECT_DOUBLE_EQ(thin[1].threshold, 3.0);
}

TEST(DetectMetrics, EerHandComputed) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  // t = 0.4: FNR = 1/2 (0.35 < 0.4), FPR = 1/2 (0.4 >= 0.4).
  const auto e = ev::equal_error_rate(s, y);
  ASSERT_TRUE(e);
  EXPECT_DOUBLE_EQ(e->eer, 0.5);
  EXPECT_DOUBLE_EQ(e->threshold, 0.4);
  // Separable but for one negative above every positive: 1 of 4 negatives wrong.
  const auto e2 = ev::equal_error_rate(std::vector<double>{0.1, 0.2, 0.3, 0.95, 0.6, 0.7, 0.8, 0.9},
                                       std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1});
  ASSERT_TRUE(e2);
  EXPECT_DOUBLE_EQ(e2->eer, 0.25);  // t = 0.7: FNR 1/4 (0.6), FPR 1/4 (0.95)
  EXPECT_DOUBLE_EQ(e2->threshold, 0.7);
}

TEST(DetectMetrics, RatesThresholdIsInclusive) {
  const std::vector<double> s = {0.5, 0.49, 0.5, 0.2, 0.9};
  const std::vector<int> y = {1, 1, 0, 0, 1};
  const auto r = ev::rates_at(s, y, 0.5);
  EXPECT_EQ(r.tp, 2u);
  EXPECT_EQ(r.fn, 1u);
  EXPECT_EQ(r.fp, 1u);
  EXPECT_EQ(r.tn, 1u);
  EXPECT_DOUBLE_EQ(*r.tpr, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*r.fpr, 0.5);
  EXPECT_DOUBLE_EQ(*r.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*r.accuracy, 3.0 / 5.0);
  EXPECT_FALSE(ev::rates_at(s, y, 2.0).precision.has_value());  // nothing called positive
}

// ---------------------------------------------------------------------------------------------
// Intervals

TEST(DetectMetrics, BootstrapAucContainsEstimateAndNarrows) {
  std::vector<double> s;
  std::vector<int> y;
  synth(60, 60, 1.0, 7, s, y);
  const double small_auc = *ev::roc_auc(s, y);
  const auto small = ev::auc_ci(s, y);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->replicates, 2000u);
  EXPECT_LE(small->lower, small_auc);
  EXPECT_GE(small->upper, small_auc);
  EXPECT_GT(small->upper - small->lower, 0.05);  // 60 + 60 samples cannot pin AUC to +-0.025

  synth(1500, 1500, 1.0, 8, s, y);
  const double big_auc = *ev::roc_auc(s, y);
  const auto big = ev::auc_ci(s, y);
  ASSERT_TRUE(big);
  EXPECT_LE(big->lower, big_auc);
  EXPECT_GE(big->upper, big_auc);
  EXPECT_LT(big->upper - big->lower, 0.5 * (small->upper - small->lower));
  // Binormal with d' = 1: AUC = Phi(1/sqrt(2)) = 0.760; the big interval covers it.
  EXPECT_LT(big->lower, 0.7602);
  EXPECT_GT(big->upper, 0.7602);

  // Deterministic for a seed.
  const auto again = ev::auc_ci(s, y);
  EXPECT_EQ(again->lower, big->lower);
  EXPECT_EQ(again->upper, big->upper);
}

TEST(DetectMetrics, FastAucBootstrapAgreesWithGenericBootstrap) {
  std::vector<double> s;
  std::vector<int> y;
  synth(80, 120, 0.9, 11, s, y, 0.1);
  const auto fast = ev::auc_ci(s, y);
  const auto slow = ev::bootstrap_ci(
      s, y, [](std::span<const double> a, std::span<const int> b) { return ev::roc_auc(a, b); });
  ASSERT_TRUE(fast && slow);
  // Different draws (the fast path visits samples in score order), same distribution.
  EXPECT_NEAR(fast->lower, slow->lower, 0.015);
  EXPECT_NEAR(fast->upper, slow->upper, 0.015);
}

TEST(DetectMetrics, RateIntervals) {
  std::vector<double> s;
  std::vector<int> y;
  synth(200, 300, 1.5, 3, s, y);
  const auto r = ev::rates_at(s, y, 0.75);
  const auto t = ev::tpr_ci(s, y, 0.75);
  const auto f = ev::fpr_ci(s, y, 0.75);
  ASSERT_TRUE(t && f);
  EXPECT_LE(t->lower, *r.tpr);
  EXPECT_GE(t->upper, *r.tpr);
  EXPECT_LE(f->lower, *r.fpr);
  EXPECT_GE(f->upper, *r.fpr);
  // The bootstrap and Wilson intervals of a proportion are close at n = 200.
  const auto w = ev::wilson_interval(r.tp, r.tp + r.fn);
  EXPECT_NEAR(t->lower, w->lower, 0.02);
  EXPECT_NEAR(t->upper, w->upper, 0.02);
}

TEST(DetectMetrics, WilsonHandComputed) {
  const auto w = ev::wilson_interval(8, 10);
  ASSERT_TRUE(w);
  EXPECT_NEAR(w->lower, 0.4902, 1e-4);
  EXPECT_NEAR(w->upper, 0.9433, 1e-4);
  const auto zero = ev::wilson_interval(0, 10);
  EXPECT_DOUBLE_EQ(zero->lower, 0.0);
  EXPECT_NEAR(zero->upper, 0.2775, 1e-4);
  EXPECT_FALSE(ev::wilson_interval(0, 0).has_value());
  EXPECT_NEAR(ev::wilson_interval(50, 100, 0.99)->upper, 0.6247, 1e-4);  // z = 2.5758
}

// ---------------------------------------------------------------------------------------------
// Calibration

TEST(DetectMetrics, CalibrationOfACalibratedSetIsNearZero) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> p;
  std::vector<int> y;
  for (int i = 0; i < 20000; ++i) {
    p.push_back(u(rng));
    y.push_back(u(rng) < p.back() ? 1 : 0);
  }
  const auto ece = ev::expected_calibration_error(p, y);
  ASSERT_TRUE(ece);
  EXPECT_LT(*ece, 0.02);
  // Brier of a calibrated uniform forecast: E[p(1-p)] = 1/6.
  EXPECT_NEAR(*ev::brier_score(p, y), 1.0 / 6.0, 0.01);

  // Overconfident: says 0.9 while half are positive -> ECE 0.4.
  std::vector<double> over(1000, 0.9);
  std::vector<int> half(1000);
  for (std::size_t i = 0; i < half.size(); ++i) half[i] = i % 2;
  EXPECT_NEAR(*ev::expected_calibration_error(over, half), 0.4, 1e-12);
}

TEST(DetectMetrics, ReliabilityBinsAndBrierHandComputed) {
  const std::vector<double> p = {0.0, 0.05, 0.1, 0.55, 0.95, 1.0};
  const std::vector<int> y = {0, 1, 0, 1, 1, 1};
  const auto bins = ev::reliability_bins(p, y, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].count, 2u);  // 0.0, 0.05
  EXPECT_DOUBLE_EQ(bins[0].mean_predicted, 0.025);
  EXPECT_DOUBLE_EQ(bins[0].observed_frequency, 0.5);
  EXPECT_EQ(bins[1].count, 1u);  // 0.1 opens bin 1
  EXPECT_EQ(bins[5].count, 1u);
  EXPECT_EQ(bins[9].count, 2u);  // 1.0 closes the last bin
  EXPECT_DOUBLE_EQ(bins[9].observed_frequency, 1.0);
  EXPECT_EQ(bins[3].count, 0u);
  // ECE = (2 * |0.5 - 0.025| + 1 * 0.1 + 1 * 0.45 + 2 * 0.025) / 6.
  EXPECT_NEAR(*ev::expected_calibration_error(p, y), (0.95 + 0.1 + 0.45 + 0.05) / 6.0, 1e-12);
  EXPECT_NEAR(*ev::brier_score(std::vector<double>{0.2, 0.8}, std::vector<int>{0, 1}), 0.04, 1e-12);
  EXPECT_FALSE(ev::brier_score(std::vector<double>{}, std::vector<int>{}).has_value());
  EXPECT_FALSE(ev::expected_calibration_error(std::vector<double>{}, std::vector<int>{}).has_value());
}

// ---------------------------------------------------------------------------------------------
// Pixels

TEST(DetectMetrics, PixelHistogramAucWithinItsBoundOfExactAuc) {
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 0.15f);
  ev::PixelAccumulator acc;  // 1024 bins
  std::vector<double> all_values;
  std::vector<int> all_labels;
  double mean_exact = 0;
  for (int img = 0; img < 4; ++img) {
    const int w = 160 + 20 * img, h = 120;
    std::vector<float> heat(static_cast<std::size_t>(w) * h);
    std::vector<std::uint8_t> mask(heat.size(), 0);
    std::vector<double> values;
    std::vector<int> labels;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool tampered = x > w / 3 + 10 * img && x < w / 2 + 10 * img && y > 30 && y < 90;
        const std::size_t i = static_cast<std::size_t>(y) * w + x;
        mask[i] = tampered ? 255 : 0;
        heat[i] = std::clamp((tampered ? 0.55f : 0.4f) + nd(rng), 0.0f, 1.0f);
        values.push_back(heat[i]);
        labels.push_back(tampered ? 1 : 0);
      }
    const auto r = acc.add(heat, w, h, mask, w, h);
    const double exact = *ev::roc_auc(values, labels);
    mean_exact += exact / 4;
    ASSERT_TRUE(r.auc);
    EXPECT_LE(std::fabs(*r.auc - exact), r.auc_error_bound + 1e-12);
    EXPECT_LT(r.auc_error_bound, 0.005);  // 1024 bins: the bound is small here
    all_values.insert(all_values.end(), values.begin(), values.end());
    all_labels.insert(all_labels.end(), labels.begin(), labels.end());
  }
  const auto sum = acc.summary();
  EXPECT_EQ(sum.images, 4u);
  const double exact = *ev::roc_auc(all_values, all_labels);
  ASSERT_TRUE(sum.pooled_auc);
  EXPECT_GT(exact, 0.6);
  EXPECT_LE(std::fabs(*sum.pooled_auc - exact), sum.pooled_auc_error_bound + 1e-12);
  EXPECT_LT(sum.pooled_auc_error_bound, 0.005);
  EXPECT_EQ(sum.images_with_auc, 4u);
  EXPECT_NEAR(*sum.mean_image_auc, mean_exact, 0.005);

  // Pooled counts at 0.5 equal the counts over all pixels.
  const auto r = ev::rates_at(all_values, all_labels, 0.5);
  EXPECT_EQ(sum.pooled.tp, r.tp);
  EXPECT_EQ(sum.pooled.fp, r.fp);
  EXPECT_EQ(sum.pooled.tn, r.tn);
  EXPECT_EQ(sum.pooled.fn, r.fn);

  // With only 4 bins the bound is loose but still holds.
  ev::PixelAccumulator coarse(ev::PixelOptions{4, 0.5});
  std::vector<float> heat(all_values.begin(), all_values.begin() + 160 * 120);
  std::vector<std::uint8_t> mask(160 * 120);
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = all_labels[i] ? 1 : 0;
  const auto c = coarse.add(heat, 160, 120, mask, 160, 120);
  const double e0 = *ev::roc_auc(std::vector<double>(all_values.begin(), all_values.begin() + 160 * 120),
                                 std::vector<int>(all_labels.begin(), all_labels.begin() + 160 * 120));
  EXPECT_GT(c.auc_error_bound, 0.05);
  EXPECT_LE(std::fabs(*c.auc - e0), c.auc_error_bound + 1e-12);
}

TEST(DetectMetrics, PixelCountsF1IouHandComputed) {
  // 4 x 2 heatmap; mask marks the left half.
  const std::vector<float> heat = {0.9f, 0.6f, 0.7f, 0.1f,   //
                                   0.2f, 0.5f, 0.3f, 0.0f};
  const std::vector<std::uint8_t> mask = {255, 255, 0, 0,  //
                                          255, 255, 0, 0};
  ev::PixelAccumulator acc(ev::PixelOptions{1024, 0.5});
  const auto r = acc.add(heat, 4, 2, mask, 4, 2);
  // Called (>= 0.5): 0.9 0.6 0.7 0.5 -> tp 3 (0.9, 0.6, 0.5), fp 1 (0.7), fn 1 (0.2), tn 3.
  EXPECT_EQ(r.counts.tp, 3u);
  EXPECT_EQ(r.counts.fp, 1u);
  EXPECT_EQ(r.counts.fn, 1u);
  EXPECT_EQ(r.counts.tn, 3u);
  EXPECT_DOUBLE_EQ(*r.f1, 0.75);
  EXPECT_DOUBLE_EQ(*r.counts.precision(), 0.75);
  EXPECT_DOUBLE_EQ(*r.counts.recall(), 0.75);
  EXPECT_DOUBLE_EQ(*r.counts.iou(), 0.6);
  // Pixel AUC: positives {0.9,0.6,0.2,0.5}, negatives {0.7,0.1,0.3,0.0}: 3+2+2+3... count:
  // 0.9 > all 4; 0.6 > 0.1,0.3,0.0 (3); 0.2 > 0.1,0.0 (2); 0.5 > 0.1,0.3,0.0 (3) -> 12/16.
  EXPECT_NEAR(*r.auc, 0.75, 1e-12);
  EXPECT_DOUBLE_EQ(r.auc_error_bound, 0.0);  // no pair shares a bin

  // An authentic image (empty mask): F1 undefined, AUC undefined; its false alarms pool.
  const std::vector<std::uint8_t> empty(8, 0);
  const auto a = acc.add(heat, 4, 2, empty, 4, 2);
  EXPECT_FALSE(a.f1.has_value());
  EXPECT_FALSE(a.auc.has_value());
  EXPECT_EQ(a.counts.fp, 4u);
  // A tampered image the detector missed entirely: F1 0.
  const auto m = acc.add_uniform(0.0f, mask, 4, 2);
  ASSERT_TRUE(m.f1);
  EXPECT_DOUBLE_EQ(*m.f1, 0.0);
  EXPECT_DOUBLE_EQ(*m.auc, 0.5);

  const auto sum = acc.summary();
  EXPECT_EQ(sum.images, 3u);
  EXPECT_EQ(sum.images_with_f1, 2u);
  EXPECT_DOUBLE_EQ(*sum.mean_image_f1, 0.375);
  EXPECT_EQ(sum.pooled.tp, 3u);
  EXPECT_EQ(sum.pooled.fp, 5u);
  EXPECT_EQ(sum.pooled.fn, 5u);
  EXPECT_EQ(sum.pooled.tn, 11u);
  EXPECT_DOUBLE_EQ(*sum.pooled.f1(), 6.0 / 16.0);

  // Two accumulators merged give the same summary as one that saw every image.
  ev::PixelAccumulator first(ev::PixelOptions{1024, 0.5}), second(ev::PixelOptions{1024, 0.5});
  first.add(heat, 4, 2, mask, 4, 2);
  second.add(heat, 4, 2, empty, 4, 2);
  second.add_uniform(0.0f, mask, 4, 2);
  first.merge(second);
  const auto merged = first.summary();
  EXPECT_EQ(merged.images, 3u);
  EXPECT_EQ(merged.pooled.tn, 11u);
  EXPECT_EQ(*merged.pooled_auc, *sum.pooled_auc);
  EXPECT_EQ(*merged.mean_image_f1, *sum.mean_image_f1);
  EXPECT_THROW(first.merge(ev::PixelAccumulator(ev::PixelOptions{512, 0.5})), veritrace::Error);
}

TEST(DetectMetrics, PixelMaskOfAnotherSizeIsResizedByNearestNeighbour) {
  // A 2 x 2 mask on a 4 x 4 heatmap: each mask pixel covers a 2 x 2 block.
  const std::vector<std::uint8_t> small = {0, 1,  //
                                           0, 0};
  std::vector<float> heat(16, 0.0f);
  for (int y = 0; y < 2; ++y)
    for (int x = 2; x < 4; ++x) heat[static_cast<std::size_t>(y) * 4 + x] = 1.0f;  // top right block
  ev::PixelAccumulator acc;
  const auto r = acc.add(heat, 4, 4, small, 2, 2);
  EXPECT_EQ(r.counts.tp, 4u);
  EXPECT_EQ(r.counts.fp, 0u);
  EXPECT_EQ(r.counts.fn, 0u);
  EXPECT_EQ(r.counts.tn, 12u);
  EXPECT_DOUBLE_EQ(*r.auc, 1.0);

  // An 8 x 8 mask on a 4 x 4 heatmap: heatmap pixel x reads mask column 2x + 1 (centres aligned).
  std::vector<std::uint8_t> big(64, 0);
  for (int y = 0; y < 8; ++y) big[static_cast<std::size_t>(y) * 8 + 1] = 255;  // column 1 only
  const std::vector<float> flat(16, 1.0f);
  const auto d = acc.add(flat, 4, 4, big, 8, 8);
  EXPECT_EQ(d.counts.tp, 4u);   // heatmap column 0 reads mask column 1
  EXPECT_EQ(d.counts.fp, 12u);

  EXPECT_THROW(acc.add(heat, 4, 3, small, 2, 2), veritrace::Error);
  EXPECT_THROW(acc.add(heat, 4, 4, small, 2, 3), veritrace::Error);
  EXPECT_THROW(acc.add(heat, 0, 0, small, 2, 2), veritrace::Error);
}

TEST(DetectMetrics, PixelValuesOutsideTheRangeAreClamped) {
  const std::vector<float> heat = {-3.0f, NAN, 7.0f, 1.0f};
  const std::vector<std::uint8_t> mask = {0, 0, 1, 1};
  ev::PixelAccumulator acc;
  const auto r = acc.add(heat, 2, 2, mask, 2, 2);
  EXPECT_DOUBLE_EQ(*r.auc, 1.0);
  EXPECT_EQ(r.counts.tp, 2u);
  EXPECT_EQ(r.counts.tn, 2u);
}

// ---------------------------------------------------------------------------------------------
// Groups

TEST(DetectMetrics, GroupedResults) {
  std::vector<ev::Row> rows;
  // Group "both": separable fakes and reals; "fake_only": 7 of 10 detected; "real_only": 1 of 20 flagged.
  for (int i = 0; i < 10; ++i) rows.push_back({0.6 + 0.03 * i, 1, "both"});
  for (int i = 0; i < 10; ++i) rows.push_back({0.1 + 0.03 * i, 0, "both"});
  for (int i = 0; i < 10; ++i) rows.push_back({i < 7 ? 0.8 : 0.2, 1, "fake_only"});
  for (int i = 0; i < 20; ++i) rows.push_back({i == 0 ? 0.7 : 0.3, 0, "real_only"});
  ev::GroupedOptions opt;
  opt.threshold = 0.5;
  opt.bootstrap.replicates = 500;
  const auto g = ev::grouped_metrics(rows, opt);
  ASSERT_EQ(g.groups.size(), 3u);
  EXPECT_EQ(g.groups[0].group, "both");
  EXPECT_EQ(g.groups[1].group, "fake_only");
  EXPECT_EQ(g.groups[2].group, "real_only");

  const auto& both = g.groups[0];
  EXPECT_DOUBLE_EQ(*both.auc, 1.0);
  ASSERT_TRUE(both.auc_ci);
  EXPECT_DOUBLE_EQ(both.auc_ci->lower, 1.0);
  ASSERT_TRUE(both.eer);
  EXPECT_DOUBLE_EQ(both.eer->eer, 0.0);

  EXPECT_FALSE(both.against_all_other_class);
  // One-class groups are measured against every file of the other class (ASVspoof per attack):
  // fake_only's 7 fakes at 0.8 beat all 30 reals, its 3 at 0.2 beat the 4 reals below 0.2.
  const auto& fake = g.groups[1];
  EXPECT_TRUE(fake.against_all_other_class);
  ASSERT_TRUE(fake.auc);
  EXPECT_NEAR(*fake.auc, (7.0 * 30 + 3.0 * 4) / (10 * 30), 1e-12);
  EXPECT_TRUE(fake.auc_ci.has_value());
  ASSERT_TRUE(fake.eer);
  EXPECT_FALSE(fake.fpr_ci.has_value());
  EXPECT_DOUBLE_EQ(*fake.rates.tpr, 0.7);
  ASSERT_TRUE(fake.tpr_ci);
  EXPECT_NEAR(fake.tpr_ci->lower, 0.3968, 1e-4);  // Wilson 7/10
  EXPECT_NEAR(fake.tpr_ci->upper, 0.8922, 1e-4);

  const auto& real = g.groups[2];
  // real_only's 0.7 is beaten by 13 of the 20 fakes, its nineteen 0.3s by 17 each.
  EXPECT_TRUE(real.against_all_other_class);
  ASSERT_TRUE(real.auc);
  EXPECT_NEAR(*real.auc, (13.0 + 19.0 * 17) / (20 * 20), 1e-12);
  EXPECT_FALSE(real.tpr_ci.has_value());
  EXPECT_DOUBLE_EQ(*real.rates.fpr, 0.05);
  ASSERT_TRUE(real.fpr_ci);
  EXPECT_LT(real.fpr_ci->lower, 0.05);
  EXPECT_GT(real.fpr_ci->upper, 0.05);

  EXPECT_EQ(g.overall.n, 50u);
  EXPECT_EQ(g.overall.positives, 20u);
  ASSERT_TRUE(g.overall.auc);
  EXPECT_LT(*g.overall.auc, 1.0);
  ASSERT_TRUE(g.overall.ece);  // every score in [0, 1]
  ASSERT_TRUE(g.overall.brier);

  // Scores that are not probabilities: no calibration figures, the rest still computed.
  const auto raw = ev::metrics_of(std::vector<double>{-2, 5, 3, 9}, std::vector<int>{0, 0, 1, 1}, opt);
  EXPECT_FALSE(raw.ece.has_value());
  EXPECT_FALSE(raw.brier.has_value());
  EXPECT_DOUBLE_EQ(*raw.auc, 0.75);
}

// ---------------------------------------------------------------------------------------------
// SVG

TEST(DetectMetrics, RocSvgIsWellFormedAndEscapesText) {
  std::vector<double> s;
  std::vector<int> y;
  synth(300, 300, 1.2, 21, s, y);
  std::vector<ev::RocSeries> curves;
  curves.push_back({"gan <dev> & \"friends\"", ev::roc_curve(s, y), ev::roc_auc(s, y)});
  curves.push_back({"one class", {}, std::nullopt});
  ev::PlotOptions opt;
  opt.title = "ROC: A&B <test>";
  const std::string svg = ev::roc_svg(curves, opt);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("<path d=\"M"), std::string::npos);
  EXPECT_NE(svg.find("gan &lt;dev&gt; &amp; &quot;friends&quot;"), std::string::npos);
  EXPECT_NE(svg.find("ROC: A&amp;B &lt;test&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<dev>"), std::string::npos);
  char auc_text[32];
  std::snprintf(auc_text, sizeof auc_text, "(AUC %.3f)", *ev::roc_auc(s, y));
  EXPECT_NE(svg.find(auc_text), std::string::npos) << auc_text;
  EXPECT_NE(svg.find("AUC n/a"), std::string::npos);
  EXPECT_EQ(svg.find("http", svg.find("xmlns") + 40), std::string::npos);  // no external resource
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(xml_problem("<svg><g></svg>"), "mismatched </svg>");  // the checker itself works
  EXPECT_EQ(xml_problem("<svg><text>a & b</text></svg>"), "bare & at 13");
}

TEST(DetectMetrics, ReliabilitySvgIsWellFormed) {
  const std::vector<double> p = {0.05, 0.15, 0.5, 0.52, 0.9, 0.95, 1.0};
  const std::vector<int> y = {0, 0, 1, 0, 1, 1, 1};
  const auto bins = ev::reliability_bins(p, y);
  const std::string svg = ev::reliability_svg(bins, {}, ev::expected_calibration_error(p, y));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<path"), std::string::npos);
  EXPECT_NE(svg.find("<rect"), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_NE(svg.find("expected calibration error"), std::string::npos);
  EXPECT_EQ(xml_problem(svg), "");
  // Empty input still gives a valid (empty) diagram.
  EXPECT_EQ(xml_problem(ev::reliability_svg(ev::reliability_bins({}, {}), {})), "");
  EXPECT_EQ(ev::xml_escape("a<b>&'\"\x01"), "a&lt;b&gt;&amp;&apos;&quot;");
}
