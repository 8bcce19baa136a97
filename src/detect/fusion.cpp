#include "detect/fusion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "detect/image_util.hpp"

namespace veritrace::detect {

extern const char* const kFusionModelJson;  // generated from models/fusion.json

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double logit(double p) {
  p = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}

FusionModel FusionModel::from_json(const nlohmann::json& j) {
  try {
    FusionModel m;
    m.version = j.at("version").get<std::string>();
    m.thresholds.threshold = j.at("threshold").get<double>();
    m.thresholds.unsure_band = j.at("unsure_band").get<double>();
    m.thresholds.pixel_threshold = j.value("pixel_threshold", 0.5);
    const nlohmann::json heads = j.value("heads", nlohmann::json::object());
    const std::string combine = j.value("combine", std::string("max"));
    if (combine != "max" && combine != "joint") throw Error(ErrorKind::Internal, "fusion model: unknown combine '" + combine + "'");
    m.joint = combine == "joint";
    m.joint_intercept = heads.value("joint", nlohmann::json::object()).value("intercept", 0.0);
    m.synthetic_intercept = heads.value("synthetic", nlohmann::json::object()).value("intercept", 0.0);
    m.manipulated_intercept = heads.value("manipulated", nlohmann::json::object()).value("intercept", 0.0);
    const nlohmann::json detectors = j.value("detectors", nlohmann::json::object());
    for (const auto& [name, d] : detectors.items()) {
      DetectorCalibration c;
      if (d.contains("calibration")) {
        c.a = d["calibration"].at("a").get<double>();
        c.b = d["calibration"].at("b").get<double>();
      }
      c.weight = d.value("weight", 0.0);
      c.impute = d.value("impute", 0.0);
      c.heatmap_weight = d.value("heatmap_weight", 1.0);
      c.reliability = d.value("reliability", std::string());
      m.detectors[name] = c;
    }
    if (j.contains("video")) m.video = std::make_shared<const FusionModel>(from_json(j["video"]));
  if (j.contains("audio")) m.audio = std::make_shared<const FusionModel>(from_json(j["audio"]));
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Internal, std::string("fusion model: ") + e.what());
  }
}

const FusionModel& FusionModel::shipped() {
  static const FusionModel model = from_json(nlohmann::json::parse(kFusionModelJson));
  return model;
}

namespace {

// A weighted mean of the localising detectors' maps. Maps may be coarser than the image (memory:
// a full-size float map per detector would cost 4 bytes per pixel each); the fused map is at most
// kMaxFusedSide on its long side and is scaled to the image's size only when written.
constexpr int kMaxFusedSide = 1024;

void fuse_heatmaps(const FusionModel& model, FileReport& report) {
  std::vector<std::pair<const Heatmap*, double>> maps;
  for (const auto& d : report.detectors) {
    if (d.status != Status::Applied || d.evidence.heatmap.empty()) continue;
    auto it = model.detectors.find(d.name);
    const double w = it == model.detectors.end() ? 1.0 : it->second.heatmap_weight;
    if (w > 0) maps.emplace_back(&d.evidence.heatmap, w);
  }
  if (maps.empty() || report.width <= 0 || report.height <= 0) return;
  const int long_side = std::max(report.width, report.height);
  const double k = long_side > kMaxFusedSide ? static_cast<double>(kMaxFusedSide) / long_side : 1.0;
  const int w = std::max(1, static_cast<int>(std::lround(report.width * k)));
  const int h = std::max(1, static_cast<int>(std::lround(report.height * k)));
  double total = 0;
  for (const auto& m : maps) total += m.second;
  cv::Mat acc = cv::Mat::zeros(h, w, CV_32F), scaled;
  for (const auto& [map, weight] : maps) {
    const cv::Mat m = mat_of(*map);
    if (m.cols == w && m.rows == h) {
      scaled = m;
    } else {
      cv::resize(m, scaled, cv::Size(w, h), 0, 0, m.cols > w ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    cv::scaleAdd(scaled, weight / total, acc, acc);
  }
  report.heatmap = heatmap_from(acc, w, h);
}

std::string percent(double p) { return fmt::format("{:.0f}%", 100.0 * p); }

}  // namespace

void fuse(const FusionModel& model, const Thresholds& thresholds, FileReport& report) {
  struct Vote {
    const DetectorResult* d;
    double contribution;
  };
  std::vector<Vote> votes;
  std::vector<const DetectorResult*> decisive;
  bool any_applied = false;
  // One logit per head; a head speaks only when one of its detectors voted. With the joint head,
  // head_logit[] keeps each kind's share of the evidence (positive contributions) for the verdict.
  double head_logit[2] = {model.synthetic_intercept, model.manipulated_intercept};
  bool head_voted[2] = {false, false};
  // Joint head: every detector of the model starts at its imputed logit (its mean on the training
  // data), so one that was not selected or did not apply is neutral, not evidence either way.
  double joint_logit = model.joint_intercept;
  if (model.joint)
    for (const auto& [name, c] : model.detectors) joint_logit += c.weight * c.impute;
  for (auto& d : report.detectors) {
    if (d.status != Status::Applied) continue;
    any_applied = true;
    if (d.decision != Decision::None) decisive.push_back(&d);
    if (!d.generator || d.generator->empty()) {
    } else if (!report.generator) {
      report.generator = d.generator;
    }
    auto it = model.detectors.find(d.name);
    if (it == model.detectors.end() || !d.score || !std::isfinite(*d.score)) continue;
    const DetectorCalibration& c = it->second;
    d.probability = sigmoid(c.a * *d.score + c.b);
    if (!c.reliability.empty()) d.evidence.details["reliability"] = c.reliability;
    if (c.weight == 0) continue;
    const double contribution = c.weight * logit(*d.probability);
    const int head = d.points_to == Finding::Synthetic ? 0 : 1;
    const double relative = contribution - c.weight * c.impute;  // evidence beyond the detector's typical value
    head_logit[head] += model.joint ? std::max(0.0, relative) : contribution;
    head_voted[head] = true;
    joint_logit += relative;
    votes.push_back({&d, contribution});
  }
  fuse_heatmaps(model, report);
  if (!any_applied) {
    report.verdict = Verdict::NotApplicable;
    report.score.reset();
    report.reasons.push_back("No detector applies to this file.");
    return;
  }
  // The larger head decides. A head whose detectors did not apply says nothing (0), so a file whose
  // only evidence is provenance declaring no AI scores 0 (docs/detection.md).
  double p_synthetic = head_voted[0] ? sigmoid(head_logit[0]) : 0.0;
  double p_manipulated = head_voted[1] ? sigmoid(head_logit[1]) : 0.0;
  double score = std::max(p_synthetic, p_manipulated);
  if (model.joint) {
    const bool voted = head_voted[0] || head_voted[1];
    score = voted ? sigmoid(joint_logit) : 0.0;
    // The kind whose detectors added more evidence names a flagged verdict.
    p_synthetic = head_logit[0];
    p_manipulated = head_logit[1];
  }
  std::sort(votes.begin(), votes.end(), [](const Vote& x, const Vote& y) { return x.contribution > y.contribution; });

  // Rules first: a valid manifest, a generator mark or metadata naming a generator decide.
  const DetectorResult* rule_synthetic = nullptr;
  const DetectorResult* rule_manipulated = nullptr;
  for (const auto* d : decisive) {
    if (d->decision == Decision::Synthetic && !rule_synthetic) rule_synthetic = d;
    if (d->decision == Decision::Manipulated && !rule_manipulated) rule_manipulated = d;
  }
  if (rule_synthetic || rule_manipulated) {
    const DetectorResult* rule = rule_synthetic ? rule_synthetic : rule_manipulated;
    report.verdict = rule_synthetic ? Verdict::Synthetic : Verdict::Manipulated;
    score = std::max(score, 0.99);
    for (const auto* d : decisive) report.reasons.push_back(d->evidence.summary);
    (void)rule;
  } else {
    const double hi = thresholds.threshold + thresholds.unsure_band;
    const double lo = thresholds.threshold - thresholds.unsure_band;
    if (score >= hi) {
      report.verdict = p_synthetic >= p_manipulated ? Verdict::Synthetic : Verdict::Manipulated;
    } else if (score >= lo) {
      report.verdict = Verdict::Unsure;
    } else {
      report.verdict = Verdict::NoEvidence;
    }
  }
  report.score = score;
  for (const auto& v : votes) {
    if (v.contribution <= 0 || !v.d->probability) continue;
    report.reasons.push_back(fmt::format("{} ({}: {})", v.d->evidence.summary, v.d->name, percent(*v.d->probability)));
  }
  if (report.verdict == Verdict::NoEvidence)
    report.reasons.push_back(
        "No detector found evidence of generation or manipulation; this does not prove the file is authentic.");
  if (report.verdict == Verdict::Unsure)
    report.reasons.push_back(fmt::format("The fused score {:.2f} lies in the unsure band [{:.2f}, {:.2f}).", score,
                                         thresholds.threshold - thresholds.unsure_band,
                                         thresholds.threshold + thresholds.unsure_band));
}

}  // namespace veritrace::detect
