// Fusion: per-detector calibration (Platt: p = sigmoid(a * score + b)), a logistic combination of the
// calibrated detectors, provenance rules, the verdict with its unsure band, the fused heatmap and the
// reasons. The model is models/fusion.json, compiled in (fit by tools/train/fit_fusion.py).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "veritrace/detect.hpp"

namespace veritrace::detect {

struct DetectorCalibration {
  double a = 1.0, b = 0.0;      // p = sigmoid(a * raw + b)
  double weight = 0.0;          // weight of logit(p) in the fused logit
  double heatmap_weight = 1.0;  // weight of this detector's map in the fused heatmap
  std::string reliability;      // one sentence from the evaluation, shown in reports
};

struct FusionModel {
  std::string version;
  Thresholds thresholds;
  double intercept = 0.0;
  std::map<std::string, DetectorCalibration> detectors;

  static FusionModel from_json(const nlohmann::json& j);  // Error(Internal) when malformed
  static const FusionModel& shipped();                    // models/fusion.json
};

// Fills each applied detector's `probability` (when the model calibrates it), then the report's
// score, verdict, generator, reasons and fused heatmap.
void fuse(const FusionModel& model, const Thresholds& thresholds, FileReport& report);

double sigmoid(double x);
double logit(double p);  // clamped to [1e-6, 1 - 1e-6]

}  // namespace veritrace::detect
