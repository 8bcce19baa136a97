#include "detect/learned/model_spec.hpp"

#include "veritrace/face.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "veritrace/core.hpp"

namespace veritrace::detect::learned {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Usage, fmt::format("{}: {} (model sidecar contract: docs/models.md)", where, what));
}

double number(const json& o, const char* key, const std::string& where, std::optional<double> fallback = std::nullopt) {
  if (!o.contains(key)) {
    if (fallback) return *fallback;
    bad(where, fmt::format("missing \"{}\"", key));
  }
  const json& v = o[key];
  if (!v.is_number()) bad(where, fmt::format("\"{}\" must be a number", key));
  const double d = v.get<double>();
  if (!std::isfinite(d)) bad(where, fmt::format("\"{}\" must be finite", key));
  return d;
}

std::string text(const json& o, const char* key, const std::string& where, std::optional<std::string> fallback = std::nullopt) {
  if (!o.contains(key)) {
    if (fallback) return *fallback;
    bad(where, fmt::format("missing \"{}\"", key));
  }
  if (!o[key].is_string()) bad(where, fmt::format("\"{}\" must be a string", key));
  return o[key].get<std::string>();
}

int whole(const json& o, const char* key, const std::string& where, int lo, int hi, std::optional<int> fallback = std::nullopt) {
  const double d = number(o, key, where, fallback ? std::optional<double>(*fallback) : std::nullopt);
  if (d != std::floor(d) || d < lo || d > hi) bad(where, fmt::format("\"{}\" must be a whole number in [{}, {}]", key, lo, hi));
  return static_cast<int>(d);
}

std::array<double, 3> triple(const json& o, const char* key, const std::string& where, double fallback) {
  if (!o.contains(key)) return {fallback, fallback, fallback};
  const json& v = o[key];
  if (!v.is_array() || v.size() != 3) bad(where, fmt::format("\"{}\" must be an array of 3 numbers", key));
  std::array<double, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    if (!v[i].is_number() || !std::isfinite(v[i].get<double>())) bad(where, fmt::format("\"{}\" must hold finite numbers", key));
    out[i] = v[i].get<double>();
  }
  return out;
}

}  // namespace

ModelSpec parse_model_spec(std::string_view json_text, const std::string& where) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    bad(where, fmt::format("not valid JSON ({})", e.what()));
  }
  if (!j.is_object()) bad(where, "the sidecar must be a JSON object");
  ModelSpec s;
  s.name = text(j, "name", where);
  if (s.name.empty() || s.name.size() > 40 ||
      !std::all_of(s.name.begin(), s.name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }))
    bad(where, "\"name\" must be 1-40 characters of a-z, 0-9, '_' and '-'");
  s.version = text(j, "version", where, std::string("1"));
  const std::string task = text(j, "task", where, std::string("synthetic"));
  if (task != "synthetic" && task != "manipulated") bad(where, "\"task\" must be \"synthetic\" or \"manipulated\"");
  s.points_to_manipulated = task == "manipulated";
  s.description = text(j, "description", where, std::string());
  if (!j.contains("input") || !j["input"].is_object()) bad(where, "missing \"input\" object");
  const json& in = j["input"];
  s.width = whole(in, "width", where, 8, 4096);
  s.height = whole(in, "height", where, 8, 4096);
  const std::string colour = text(in, "colour", where, std::string("rgb"));
  if (colour != "rgb" && colour != "bgr") bad(where, "\"input.colour\" must be \"rgb\" or \"bgr\"");
  s.bgr = colour == "bgr";
  s.scale = number(in, "scale", where, 1.0 / 255.0);
  if (!(s.scale > 0)) bad(where, "\"input.scale\" must be positive");
  s.mean = triple(in, "mean", where, 0.0);
  s.std = triple(in, "std", where, 1.0);
  for (double v : s.std)
    if (!(v > 0)) bad(where, "\"input.std\" values must be positive");
  const std::string fit = text(in, "fit", where, std::string("crops"));
  if (fit != "crops" && fit != "resize" && fit != "face") bad(where, "\"input.fit\" must be \"crops\", \"resize\" or \"face\"");
  s.fit = fit == "crops" ? Fit::Crops : fit == "resize" ? Fit::Resize : Fit::Face;
  if (s.fit == Fit::Face && (s.width != face::kAlignedSize || s.height != face::kAlignedSize))
    bad(where, fmt::format("\"input.fit\": \"face\" models take the {0}x{0} aligned face crop", face::kAlignedSize));
  s.max_crops = whole(in, "max_crops", where, 1, 9, 9);
  if (j.contains("output")) {
    const json& out = j["output"];
    if (!out.is_object()) bad(where, "\"output\" must be an object");
    const std::string kind = text(out, "kind", where, std::string("logit"));
    if (kind != "logit" && kind != "probability") bad(where, "\"output.kind\" must be \"logit\" or \"probability\"");
    s.output_is_probability = kind == "probability";
    s.output_index = whole(out, "index", where, 0, 1 << 20, 0);
  }
  const std::string aggregate = text(j, "aggregate", where, std::string("mean"));
  if (aggregate != "mean" && aggregate != "max") bad(where, "\"aggregate\" must be \"mean\" or \"max\"");
  s.aggregate_max = aggregate == "max";
  if (j.contains("calibration")) {
    const json& c = j["calibration"];
    if (!c.is_object()) bad(where, "\"calibration\" must be an object {\"a\": ..., \"b\": ...}");
    s.calibration = std::make_pair(number(c, "a", where), number(c, "b", where));
  }
  if (j.contains("fusion_weight")) {
    s.fusion_weight = number(j, "fusion_weight", where);
    if (s.fusion_weight < 0) bad(where, "\"fusion_weight\" must not be negative");
    if (s.fusion_weight > 0 && !s.calibration) bad(where, "\"fusion_weight\" needs a \"calibration\"");
  }
  return s;
}

std::vector<cv::Rect> crop_grid(int image_width, int image_height, const ModelSpec& spec) {
  std::vector<cv::Rect> out;
  if (image_width <= 0 || image_height <= 0) return out;
  if (spec.fit == Fit::Resize || spec.fit == Fit::Face) {
    out.emplace_back(0, 0, image_width, image_height);
    return out;
  }
  const int W = spec.width, H = spec.height;
  if (image_width < W || image_height < H) return out;
  int nx = std::min((image_width + W - 1) / W, 3);
  int ny = std::min((image_height + H - 1) / H, 3);
  while (nx * ny > spec.max_crops) {  // shrink the longer count first
    if (nx >= ny && nx > 1) --nx;
    else if (ny > 1) --ny;
    else break;
  }
  auto starts = [](int n, int size, int crop) {
    std::vector<int> v;
    if (n == 1) {
      v.push_back((size - crop) / 2);
    } else {
      for (int i = 0; i < n; ++i)
        v.push_back(static_cast<int>(std::lround(static_cast<double>(i) * (size - crop) / (n - 1))));
    }
    return v;
  };
  for (int y : starts(ny, image_height, H))
    for (int x : starts(nx, image_width, W)) out.emplace_back(x, y, W, H);
  return out;
}

cv::Mat make_blob(const uint8_t* rgb, int image_width, int image_height, size_t stride, const cv::Rect& rect,
                  const ModelSpec& spec) {
  const cv::Mat image(image_height, image_width, CV_8UC3, const_cast<uint8_t*>(rgb), stride);
  cv::Mat patch = image(rect);
  cv::Mat resized;
  if (patch.cols != spec.width || patch.rows != spec.height) {
    cv::resize(patch, resized, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_AREA);
    patch = resized;
  }
  const int dims[4] = {1, 3, spec.height, spec.width};
  cv::Mat blob(4, dims, CV_32F);
  const size_t plane = static_cast<size_t>(spec.width) * spec.height;
  float* out = blob.ptr<float>();
  for (int c = 0; c < 3; ++c) {
    const int source = spec.bgr ? 2 - c : c;
    const float k = static_cast<float>(spec.scale / spec.std[static_cast<size_t>(c)]);
    const float m = static_cast<float>(spec.mean[static_cast<size_t>(c)] / spec.std[static_cast<size_t>(c)]);
    float* dst = out + static_cast<size_t>(c) * plane;
    for (int y = 0; y < spec.height; ++y) {
      const uint8_t* row = patch.ptr<uint8_t>(y);
      for (int x = 0; x < spec.width; ++x) dst[static_cast<size_t>(y) * spec.width + x] = row[3 * x + source] * k - m;
    }
  }
  return blob;
}

}  // namespace veritrace::detect::learned
