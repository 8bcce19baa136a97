// Fusion: per-detector calibration (Platt: p = sigmoid(a * score + b)), then the calibrated logits
// are combined by logistic regression: either one joint head over every detector ("combine":
// "joint", the shipped model; the kind of detectors whose evidence weighs more names the verdict)
// or two heads, synthesis and local manipulation, the larger of which decides ("max", the first
// model). Then provenance rules, the unsure band, the fused heatmap and the reasons. The model is
// models/fusion.json, compiled in (fit by tools/train/fit_fusion.py).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/detect.hpp"

namespace veritrace::detect {

struct DetectorCalibration {
  double a = 1.0, b = 0.0;      // p = sigmoid(a * raw + b)
  double weight = 0.0;          // weight of logit(p) in the fused logit
  double impute = 0.0;          // joint head: the logit assumed when the detector did not run
  double heatmap_weight = 1.0;  // weight of this detector's map in the fused heatmap
  std::string reliability;      // one sentence from the evaluation, shown in reports
};

struct FusionModel {
  std::string version;
  Thresholds thresholds;
  bool joint = false;                  // one joint head (else the larger of two heads)
  double joint_intercept = 0.0;        // head intercepts (logits)
  double synthetic_intercept = 0.0;
  double manipulated_intercept = 0.0;
  std::map<std::string, DetectorCalibration> detectors;
  // Videos are fused by their own model (the "video" object of fusion.json, same layout), fitted on
  // the video dev set; absent: videos use this one.
  std::shared_ptr<const FusionModel> video;
  // Audio files likewise ("audio"), fitted on the audio dev set.
  std::shared_ptr<const FusionModel> audio;

  static FusionModel from_json(const nlohmann::json& j);  // Error(Internal) when malformed
  static const FusionModel& shipped();                    // models/fusion.json
};

// Fills each applied detector's `probability` (when the model calibrates it), then the report's
// score, verdict, generator, reasons and fused heatmap.
void fuse(const FusionModel& model, const Thresholds& thresholds, FileReport& report);

double sigmoid(double x);
double logit(double p);  // clamped to [1e-6, 1 - 1e-6]

}  // namespace veritrace::detect
