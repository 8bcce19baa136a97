#include "detect/learned/onnx_detector.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>

#include <fmt/format.h>
#include <opencv2/dnn.hpp>

#include "detect/image_util.hpp"
#include "veritrace/face.hpp"

namespace veritrace::detect::learned {

namespace {

constexpr uintmax_t kMaxModelBytes = 256u << 20;  // larger files are refused before reading
constexpr uintmax_t kMaxSidecarBytes = 1u << 20;

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  std::string line = s.substr(0, nl);
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

cv::dnn::Net read_net(const std::vector<uint8_t>& onnx, const std::string& where) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(onnx.data()), onnx.size());
    if (net.empty()) throw Error(ErrorKind::Usage, where + ": not a readable ONNX model (empty network)");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Usage, fmt::format("{}: not a readable ONNX model (OpenCV: {})", where, first_line(e.what())));
  }
}

class OnnxDetector final : public Detector {
 public:
  OnnxDetector(ModelSpec spec, std::vector<uint8_t> onnx, const std::string& where)
      : spec_(std::move(spec)), onnx_(std::move(onnx)), where_(where) {
    // Check once, with zeros of the declared shape: the input shape and the output element.
    cv::dnn::Net net = read_net(onnx_, where_);
    const int dims[4] = {1, 3, spec_.height, spec_.width};
    try {
      net.setInput(cv::Mat(4, dims, CV_32F, cv::Scalar(0)));
      const cv::Mat out = net.forward();
      if (out.total() <= static_cast<size_t>(spec_.output_index))
        throw Error(ErrorKind::Usage, fmt::format("{}: the network's output has {} values; the sidecar reads element {}", where_,
                                                  out.total(), spec_.output_index));
    } catch (const cv::Exception& e) {
      throw Error(ErrorKind::Usage, fmt::format("{}: the network does not run on the 1x3x{}x{} input its sidecar declares (OpenCV: {})",
                                                where_, spec_.height, spec_.width, first_line(e.what())));
    }
    release(std::make_unique<cv::dnn::Net>(std::move(net)));
  }

  std::string name() const override { return spec_.name; }
  std::string version() const override { return spec_.version; }
  bool applies_to(MediaType t) const override {
    return t == MediaType::Image || (spec_.fit == Fit::Face && t == MediaType::Video);
  }
  bool scores_faces() const override { return spec_.fit == Fit::Face; }

  double score_face(const media::Image& crop) const override {
    auto net = acquire();
    double v;
    try {
      net->setInput(make_blob(crop.pixels.data(), crop.width, crop.height, static_cast<size_t>(crop.width) * 3,
                              cv::Rect(0, 0, crop.width, crop.height), spec_));
      v = static_cast<double>(net->forward().ptr<float>()[spec_.output_index]);
    } catch (const cv::Exception& e) {
      release(std::move(net));
      throw Error(ErrorKind::Internal, fmt::format("{}: inference failed (OpenCV: {})", spec_.name, first_line(e.what())));
    }
    release(std::move(net));
    return v;
  }

  DetectorResult run(const Sample& sample) const override {
    if (spec_.fit == Fit::Face) return sample.video ? run_video(*sample.video) : run_faces(sample);
    const media::Image* img = sample.image;
    if (img == nullptr || img->empty()) return not_applicable(*this, "no decoded image");
    const auto rects = crop_grid(img->width, img->height, spec_);
    if (rects.empty())
      return not_applicable(*this, fmt::format("image smaller than the model's {}x{} input (never up-sampled)", spec_.width, spec_.height));
    auto net = acquire();
    std::vector<double> raw;
    try {
      for (const cv::Rect& r : rects) {
        net->setInput(make_blob(img->pixels.data(), img->width, img->height, static_cast<size_t>(img->width) * 3, r, spec_));
        const cv::Mat out = net->forward();
        raw.push_back(static_cast<double>(out.ptr<float>()[spec_.output_index]));
      }
    } catch (const cv::Exception& e) {
      release(std::move(net));
      throw Error(ErrorKind::Internal, fmt::format("{}: inference failed (OpenCV: {})", spec_.name, first_line(e.what())));
    }
    release(std::move(net));
    double score = 0;
    if (spec_.aggregate_max) {
      score = *std::max_element(raw.begin(), raw.end());
    } else {
      for (double v : raw) score += v;
      score /= static_cast<double>(raw.size());
    }
    if (!std::isfinite(score)) throw Error(ErrorKind::Internal, spec_.name + ": the network returned a non-finite value");
    DetectorResult r = applied(*this, spec_.points_to_manipulated ? Finding::Manipulated : Finding::Synthetic);
    r.score = score;
    const auto [lo, hi] = std::minmax_element(raw.begin(), raw.end());
    r.evidence.numbers = {{"raw_score", score}, {"crops", static_cast<double>(raw.size())}, {"crop_min", *lo}, {"crop_max", *hi}};
    r.evidence.details["crop_scores"] = raw;
    r.evidence.details["input"] = fmt::format("{} crop(s) of {}x{} px", raw.size(), spec_.width, spec_.height);
    const std::string what = spec_.description.empty() ? "Learned detector " + spec_.name : spec_.description;
    r.evidence.summary = fmt::format("{}: {} {:.2f} over {} crop(s) of {}x{} px.", what,
                                     spec_.output_is_probability ? "probability" : "score", score, raw.size(), spec_.width,
                                     spec_.height);
    return r;
  }

 private:
  std::unique_ptr<cv::dnn::Net> acquire() const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto n = std::move(free_.back());
        free_.pop_back();
        return n;
      }
    }
    return std::make_unique<cv::dnn::Net>(read_net(onnx_, where_));  // one network per concurrent file
  }
  void release(std::unique_ptr<cv::dnn::Net> n) const {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(n));
  }

  std::string what() const { return spec_.description.empty() ? "Learned face detector " + spec_.name : spec_.description; }

  // A still picture: every face found, aligned and scored; the file's score is the highest.
  DetectorResult run_faces(const Sample& sample) const {
    const media::Image* img = sample.image;
    if (img == nullptr || img->empty()) return not_applicable(*this, "no decoded image");
    std::call_once(faces_once_, [this] { faces_ = std::make_unique<face::FaceDetector>(); });
    const auto found = faces_->detect(*img);
    if (found.empty()) return not_applicable(*this, "no face found");
    DetectorResult r = applied(*this, spec_.points_to_manipulated ? Finding::Manipulated : Finding::Synthetic);
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& f : found) {
      const double v = score_face(face::align_face(*img, f));
      if (!std::isfinite(v)) throw Error(ErrorKind::Internal, spec_.name + ": the network returned a non-finite value");
      best = std::max(best, v);
      r.evidence.regions.push_back({static_cast<int>(std::lround(f.x)), static_cast<int>(std::lround(f.y)),
                                    static_cast<int>(std::lround(f.width)), static_cast<int>(std::lround(f.height)), v, "face"});
    }
    r.score = best;
    r.evidence.numbers = {{"raw_score", best}, {"faces", static_cast<double>(found.size())}};
    r.evidence.summary = fmt::format("{}: score {:.2f} for the most suspicious of {} face(s).", what(), best, found.size());
    return r;
  }

  // A video: the faces' scores stored by the engine while decoding, per track; the file's score is
  // the highest track mean among the tracks seen for at least a third as long as the main one.
  DetectorResult run_video(const VideoAnalysis& v) const {
    const auto it = std::find(v.face_models.begin(), v.face_models.end(), spec_.name);
    if (it == v.face_models.end()) return not_applicable(*this, "the face model did not run on this video");
    const size_t k = static_cast<size_t>(it - v.face_models.begin());
    struct TrackScore {
      int id;
      std::vector<std::pair<double, double>> points;  // time, score
      double mean = 0;
    };
    std::vector<TrackScore> tracks;
    size_t most = 0;
    for (const auto& t : v.tracks) {
      TrackScore ts{t.id, {}, 0};
      for (const auto& p : t.points)
        if (k < p.face_scores.size() && std::isfinite(p.face_scores[k])) ts.points.emplace_back(p.time_s, p.face_scores[k]);
      if (ts.points.empty()) continue;
      for (const auto& [time, s] : ts.points) ts.mean += s;
      ts.mean /= static_cast<double>(ts.points.size());
      most = std::max(most, ts.points.size());
      tracks.push_back(std::move(ts));
    }
    if (tracks.empty()) return not_applicable(*this, fmt::format("no face found in {} analysed frames", v.frames_analysed));
    DetectorResult r = applied(*this, spec_.points_to_manipulated ? Finding::Manipulated : Finding::Synthetic);
    const TrackScore* worst = nullptr;
    nlohmann::json per_track = nlohmann::json::array();
    size_t scored = 0;
    for (const auto& t : tracks) {
      scored += t.points.size();
      const bool counts = t.points.size() * 3 >= most;
      per_track.push_back({{"track", t.id}, {"faces_scored", t.points.size()}, {"mean", t.mean},
                           {"start_s", t.points.front().first}, {"end_s", t.points.back().first}, {"counted", counts}});
      if (counts && (!worst || t.mean > worst->mean)) worst = &t;
    }
    r.score = worst->mean;
    // The worst track over time, one range per second.
    for (size_t i = 0; i < worst->points.size();) {
      const double start = std::floor(worst->points[i].first);
      double sum = 0;
      size_t n = 0;
      for (; i < worst->points.size() && worst->points[i].first < start + 1.0; ++i, ++n) sum += worst->points[i].second;
      r.evidence.time_ranges.push_back({start, start + 1.0, sum / static_cast<double>(n), fmt::format("face {}", worst->id)});
    }
    r.evidence.numbers = {{"raw_score", worst->mean}, {"faces_scored", static_cast<double>(scored)},
                          {"tracks", static_cast<double>(tracks.size())}};
    r.evidence.details["tracks"] = per_track;
    r.evidence.summary = fmt::format("{}: mean score {:.2f} over {} sampled frames of the most suspicious face.", what(), worst->mean,
                                     worst->points.size());
    return r;
  }

  ModelSpec spec_;
  mutable std::once_flag faces_once_;
  mutable std::unique_ptr<face::FaceDetector> faces_;
  std::vector<uint8_t> onnx_;
  std::string where_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<cv::dnn::Net>> free_;
};

std::vector<uint8_t> read_bounded(const std::filesystem::path& p, uintmax_t limit, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(p, ec);
  if (ec || !std::filesystem::exists(status))
    throw Error(ErrorKind::Usage, fmt::format("{} not found: {}", what, p.string()));
  if (!std::filesystem::is_regular_file(status)) throw Error(ErrorKind::Usage, fmt::format("{} is not a file: {}", what, p.string()));
  const uintmax_t size = std::filesystem::file_size(p, ec);
  if (ec) throw Error(ErrorKind::Usage, fmt::format("cannot read {} {}: {}", what, p.string(), ec.message()));
  if (size > limit) throw Error(ErrorKind::Usage, fmt::format("{} {} is larger than {} MB", what, p.string(), limit >> 20));
  if (size == 0) throw Error(ErrorKind::Usage, fmt::format("{} {} is empty", what, p.string()));
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    throw Error(ErrorKind::Usage, fmt::format("cannot read {} {}", what, p.string()));
  return bytes;
}

}  // namespace

std::unique_ptr<Detector> make_onnx_detector(ModelSpec spec, std::vector<uint8_t> onnx, const std::string& where) {
  return std::make_unique<OnnxDetector>(std::move(spec), std::move(onnx), where);
}

std::unique_ptr<Detector> load_model_file(const std::string& path, ModelSpec* spec_out) {
  const std::filesystem::path onnx_path(path);
  std::filesystem::path sidecar = onnx_path;
  sidecar.replace_extension(".json");
  if (sidecar == onnx_path) throw Error(ErrorKind::Usage, "--model takes the .onnx file; its sidecar is the .json next to it: " + path);
  std::error_code ec;
  if (!std::filesystem::exists(sidecar, ec))
    throw Error(ErrorKind::Usage, fmt::format("{}: no sidecar {} (every model needs one: input size, normalisation, output; docs/models.md)",
                                              path, sidecar.string()));
  const auto side = read_bounded(sidecar, kMaxSidecarBytes, "model sidecar");
  ModelSpec spec = parse_model_spec(std::string_view(reinterpret_cast<const char*>(side.data()), side.size()), sidecar.string());
  auto onnx = read_bounded(onnx_path, kMaxModelBytes, "model file");
  if (spec_out) *spec_out = spec;
  return make_onnx_detector(std::move(spec), std::move(onnx), path);
}

}  // namespace veritrace::detect::learned
