// The sidecar of a learned detector: models/<name>.json next to models/<name>.onnx (docs/models.md).
// It says how to turn a decoded picture into the network's input and how to read its output, so a
// model file is usable without code: built-in models and `--model FILE.onnx` share this contract.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace veritrace::detect::learned {

// Crops: a grid of input-sized crops, never resampled. Resize: the whole picture resized. Face: the
// aligned crop of each face (face::align_face, kAlignedSize square): face-level models for pictures
// with faces and for video, where the engine scores the faces of sampled frames as it decodes.
enum class Fit { Crops, Resize, Face };

struct ModelSpec {
  std::string name;         // detector name in reports: [a-z0-9_-], 1-40 characters
  std::string version = "1";
  bool points_to_manipulated = false;  // "task": "synthetic" (default) or "manipulated"
  std::string description;  // one sentence for reports
  int width = 0, height = 0;  // network input (pixels)
  bool bgr = false;           // channel order fed to the network ("colour": "rgb" | "bgr")
  double scale = 1.0 / 255.0;
  std::array<double, 3> mean{0, 0, 0}, std{1, 1, 1};  // per channel, in the network's order
  Fit fit = Fit::Crops;
  int max_crops = 9;
  bool output_is_probability = false;  // "output.kind": "logit" (default) | "probability"
  int output_index = 0;
  bool aggregate_max = false;  // "aggregate": "mean" (default) | "max" over crops
  // Optional: calibration p = sigmoid(a * raw + b) and the weight of logit(p) in the fused score
  // (user models only; built-in models are calibrated in models/fusion.json).
  std::optional<std::pair<double, double>> calibration;
  double fusion_weight = 0.0;
};

// Parses and validates a sidecar. Throws veritrace::Error (Usage) naming `where` and the field.
ModelSpec parse_model_spec(std::string_view json_text, const std::string& where);

// Where the crops of an image go under `spec` (empty when the image is smaller than the input in
// either dimension: learned detectors never up-sample). For Fit::Resize, one rect: the whole image.
std::vector<cv::Rect> crop_grid(int image_width, int image_height, const ModelSpec& spec);

// The network input for one crop of an 8-bit RGB image (rows of `stride` bytes, 3 channels):
// a 1 x 3 x height x width CV_32F blob, normalised as the sidecar says.
cv::Mat make_blob(const uint8_t* rgb, int image_width, int image_height, size_t stride, const cv::Rect& rect,
                  const ModelSpec& spec);

}  // namespace veritrace::detect::learned
