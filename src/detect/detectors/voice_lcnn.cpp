// voice_lcnn: a light CNN with max-feature-map activations on a segment's LFCC map (60 x 401),
// trained here (tools/train/voice, models/voice/lcnn.md). The features are normalised per
// coefficient with the sidecar's mean and std; the network returns one spoof logit per segment.
#include <fmt/format.h>

#include <mutex>
#include <opencv2/dnn.hpp>

#include "detect/audio_pipeline.hpp"
#include "detect/detectors/detectors.hpp"

namespace veritrace::detect {

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

VoiceNetSpec parse_spec(const nlohmann::json& j) {
  VoiceNetSpec s;
  try {
    s.name = j.at("name").get<std::string>();
    s.version = j.at("version").get<std::string>();
    if (j.at("features").get<std::string>() != "lfcc60") throw Error(ErrorKind::Malformed, "features must be \"lfcc60\"");
    s.frames = j.at("frames").get<int>();
    s.mean = j.at("mean").get<std::vector<float>>();
    s.std = j.at("std").get<std::vector<float>>();
    s.output_index = j.at("output").at("index").get<int>();
    if (j.at("output").at("kind").get<std::string>() != "logit") throw Error(ErrorKind::Malformed, "output kind must be \"logit\"");
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Malformed, fmt::format("voice model sidecar: {}", e.what()));
  }
  if (s.frames != audio::frame_count(audio::kSegmentSamples)) throw Error(ErrorKind::Malformed, "voice model sidecar: frames must be 401");
  if (s.mean.size() != audio::kFeatureRows || s.std.size() != audio::kFeatureRows)
    throw Error(ErrorKind::Malformed, "voice model sidecar: mean and std need 60 values each");
  for (float v : s.std)
    if (!(v > 0.0f) || !std::isfinite(v)) throw Error(ErrorKind::Malformed, "voice model sidecar: std values must be positive");
  if (s.output_index < 0) throw Error(ErrorKind::Malformed, "voice model sidecar: bad output index");
  return s;
}

class VoiceLcnnDetector final : public Detector {
 public:
  VoiceLcnnDetector(VoiceNetSpec spec, std::vector<uint8_t> onnx) : spec_(std::move(spec)), onnx_(std::move(onnx)) {
    release(acquire());  // load once now: a bad network is an error at start, not per file
  }
  std::string name() const override { return "voice_lcnn"; }
  std::string version() const override { return "1/" + spec_.name + "-" + spec_.version; }
  bool applies_to(MediaType t) const override { return t == MediaType::Audio || t == MediaType::Video; }
  bool scores_segments() const override { return true; }

  std::optional<double> score_segment(const AudioSegmentInput& s) const override {
    if (s.lfcc.rows != audio::kFeatureRows || s.lfcc.frames != spec_.frames) return std::nullopt;
    const int shape[4] = {1, 1, audio::kFeatureRows, spec_.frames};
    cv::Mat input(4, shape, CV_32F);
    float* p = input.ptr<float>();
    for (int r = 0; r < audio::kFeatureRows; ++r) {
      const float* row = s.lfcc.row(r);
      for (int t = 0; t < spec_.frames; ++t) *p++ = (row[t] - spec_.mean[r]) / spec_.std[r];
    }
    auto net = acquire();
    double v;
    try {
      net->setInput(input);
      const cv::Mat out = net->forward();
      if (static_cast<size_t>(spec_.output_index) >= out.total())
        throw Error(ErrorKind::Internal, "voice_lcnn: the network's output is smaller than the sidecar says");
      v = out.ptr<float>()[spec_.output_index];
    } catch (const cv::Exception& e) {
      throw Error(ErrorKind::Internal, fmt::format("voice_lcnn: inference failed (OpenCV: {})", first_line(e.what())));
    }
    release(std::move(net));
    return v;
  }

  DetectorResult run(const Sample& sample) const override {
    return aggregate_segments(*this, sample, "Learned voice detector (LCNN on LFCC)");
  }

 private:
  std::unique_ptr<cv::dnn::Net> acquire() const {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto n = std::move(free_.back());
        free_.pop_back();
        return n;
      }
    }
    try {  // one network per concurrent file
      auto net = std::make_unique<cv::dnn::Net>(cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(onnx_.data()), onnx_.size()));
      if (net->empty()) throw Error(ErrorKind::Malformed, "voice_lcnn: the ONNX network is empty");
      return net;
    } catch (const cv::Exception& e) {
      throw Error(ErrorKind::Malformed, fmt::format("voice_lcnn: the ONNX network cannot be loaded (OpenCV: {})", first_line(e.what())));
    }
  }
  void release(std::unique_ptr<cv::dnn::Net> n) const {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(n));
  }

  VoiceNetSpec spec_;
  std::vector<uint8_t> onnx_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<cv::dnn::Net>> free_;
};

}  // namespace

VoiceNetSpec parse_voice_net_spec(const nlohmann::json& sidecar) { return parse_spec(sidecar); }

std::unique_ptr<Detector> make_voice_lcnn_detector(const VoiceNetSpec& spec, std::vector<uint8_t> onnx) {
  return std::make_unique<VoiceLcnnDetector>(spec, std::move(onnx));
}

std::unique_ptr<Detector> make_voice_lcnn_detector() {
  const auto side = builtin_voice_file(VoiceFile::LcnnSidecar);
  static const VoiceNetSpec spec = parse_spec(nlohmann::json::parse(side.begin(), side.end()));
  const auto onnx = builtin_voice_file(VoiceFile::LcnnOnnx);
  return make_voice_lcnn_detector(spec, std::vector<uint8_t>(onnx.begin(), onnx.end()));
}

}  // namespace veritrace::detect
