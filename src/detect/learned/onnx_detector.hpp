// Learned detectors: an ONNX network run through OpenCV's dnn module, described by its sidecar
// (model_spec.hpp). Built-in models are compiled into the library (models/*.onnx, CMake); users
// add their own with `--model FILE.onnx` (EngineOptions::model_files).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "detect/learned/model_spec.hpp"
#include "veritrace/detect.hpp"

namespace veritrace::detect::learned {

// Loads and checks a model: the network must import and accept a 1 x 3 x H x W input as the
// sidecar declares, and its output must have the element the sidecar reads. Throws Error(Usage)
// with `where` and the reason otherwise (a clear message; never a crash on a bad file).
std::unique_ptr<Detector> make_onnx_detector(ModelSpec spec, std::vector<uint8_t> onnx, const std::string& where);

// `path` is FILE.onnx; its sidecar is FILE.json. Throws Error(Usage) for a missing or bad file.
std::unique_ptr<Detector> load_model_file(const std::string& path, ModelSpec* spec_out = nullptr);

// Models compiled into the library (models/<name>.onnx + .json), in name order.
struct BuiltinModel {
  std::string name;
  std::string sidecar;  // JSON text
  const unsigned char* onnx_begin = nullptr;
  const unsigned char* onnx_end = nullptr;
};
const std::vector<BuiltinModel>& builtin_models();

}  // namespace veritrace::detect::learned
