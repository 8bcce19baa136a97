// The report model as JSON (schema veritrace.detect/1; docs/json-schema.md) and heatmap PNGs.
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "detect/image_util.hpp"
#include "veritrace/detect.hpp"

namespace veritrace::detect {

const char* media_type_name(MediaType t) {
  switch (t) {
    case MediaType::Image: return "image";
    case MediaType::Video: return "video";
    case MediaType::Audio: return "audio";
  }
  return "image";
}

const char* status_name(Status s) {
  switch (s) {
    case Status::Applied: return "applied";
    case Status::NotApplicable: return "not_applicable";
    case Status::Error: return "error";
  }
  return "error";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Synthetic: return "synthetic";
    case Verdict::Manipulated: return "manipulated";
    case Verdict::Unsure: return "unsure";
    case Verdict::NoEvidence: return "no_evidence";
    case Verdict::NotApplicable: return "not_applicable";
  }
  return "not_applicable";
}

const char* finding_name(Finding f) { return f == Finding::Synthetic ? "synthetic" : "manipulated"; }

namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

json evidence_json(const Evidence& e) {
  json numbers = json::object();
  for (const auto& [k, v] : e.numbers) numbers[k] = std::isfinite(v) ? json(v) : json(nullptr);
  json j = {{"summary", e.summary}, {"numbers", numbers}};
  if (!e.details.empty()) j["details"] = e.details;
  if (!e.regions.empty()) {
    json regions = json::array();
    for (const auto& r : e.regions)
      regions.push_back({{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}, {"score", r.score},
                         {"label", r.label}});
    j["regions"] = regions;
  }
  if (!e.time_ranges.empty()) {
    json ranges = json::array();
    for (const auto& t : e.time_ranges)
      ranges.push_back({{"start_s", t.start_s}, {"end_s", t.end_s}, {"score", t.score}, {"label", t.label}});
    j["time_ranges"] = ranges;
  }
  j["heatmap"] = !e.heatmap.empty();
  return j;
}

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::None: return nullptr;
    case Decision::Synthetic: return "synthetic";
    case Decision::Manipulated: return "manipulated";
  }
  return nullptr;
}

}  // namespace

nlohmann::json to_json(const FileReport& r) {
  json j = {{"schema_version", kSchemaVersion}, {"path", r.path}};
  if (r.error) {
    j["error"] = {{"kind", r.error_kind}, {"message", *r.error}};
    j["verdict"] = nullptr;
    j["score"] = nullptr;
    j["timing_ms"] = r.timing_ms;
    return j;
  }
  j["media_type"] = media_type_name(r.media_type);
  j["format"] = r.format;
  if (r.width > 0) {
    j["width"] = r.width;
    j["height"] = r.height;
  }
  j["verdict"] = verdict_name(r.verdict);
  j["score"] = optional_number(r.score);
  j["generator"] = r.generator ? json(*r.generator) : json(nullptr);
  j["reasons"] = r.reasons;
  j["provenance"] = r.provenance;
  json detectors = json::array();
  for (const auto& d : r.detectors) {
    json dj = {{"name", d.name},
               {"version", d.version},
               {"status", status_name(d.status)},
               {"reason", d.reason.empty() ? json(nullptr) : json(d.reason)},
               {"score", optional_number(d.score)},
               {"probability", optional_number(d.probability)},
               {"points_to", finding_name(d.points_to)},
               {"evidence", evidence_json(d.evidence)},
               {"timing_ms", d.elapsed_ms}};
    if (const char* decision = decision_name(d.decision)) dj["decision"] = decision;
    if (d.generator) dj["generator"] = *d.generator;
    detectors.push_back(std::move(dj));
  }
  j["detectors"] = detectors;
  if (!r.heatmap_path.empty()) j["heatmap"] = r.heatmap_path;
  if (r.media_type != MediaType::Image) {
    // Time ranges of every detector that gave them, labelled with the detector.
    json segments = json::array();
    for (const auto& d : r.detectors)
      for (const auto& t : d.evidence.time_ranges)
        segments.push_back({{"start_s", t.start_s}, {"end_s", t.end_s}, {"score", t.score}, {"detector", d.name}, {"label", t.label}});
    j["segments"] = segments;
  }
  if (!r.video.empty()) j["video"] = r.video;
  if (!r.audio.empty()) j["audio"] = r.audio;
  if (r.media_type == MediaType::Video) {
    json keys = json::array();
    for (const auto& k : r.key_frames) {
      json kj = {{"time_s", k.time_s}, {"detector", k.detector}, {"score", k.score}};
      kj["face_track"] = k.face_track >= 0 ? json(k.face_track) : json(nullptr);
      kj["box"] = k.face.width > 0 ? json::array({k.face.x, k.face.y, k.face.width, k.face.height}) : json(nullptr);
      keys.push_back(std::move(kj));
    }
    j["key_frames"] = keys;
  }
  j["timing_ms"] = r.timing_ms;
  return j;
}

Heatmap resize_heatmap(const Heatmap& map, int width, int height) {
  if (map.empty() || width <= 0 || height <= 0) return {};
  return heatmap_from(mat_of(map), width, height);
}

std::vector<uint8_t> heatmap_png(const Heatmap& map, int width, int height) {
  const Heatmap full = resize_heatmap(map, width, height);
  media::Image img;
  img.width = width;
  img.height = height;
  img.channels = 1;
  img.pixels.resize(static_cast<size_t>(width) * height);
  for (size_t i = 0; i < img.pixels.size(); ++i)
    img.pixels[i] = static_cast<uint8_t>(std::lround(255.0f * full.values[i]));
  return media::encode_png(img);
}

}  // namespace veritrace::detect
