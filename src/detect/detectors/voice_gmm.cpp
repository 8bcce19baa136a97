// voice_gmm: the ASVspoof baseline as a transparent reference. Two Gaussian mixtures over LFCC
// frames (bona fide speech and spoofed speech, models/voice/lfcc-gmm.json, trained by
// tools/train/voice); a segment's score is the mean log-likelihood ratio of its speech frames.
#include <fmt/format.h>

#include "detect/audio_pipeline.hpp"
#include "detect/detectors/detectors.hpp"

namespace veritrace::detect {

namespace {

class VoiceGmmDetector final : public Detector {
 public:
  explicit VoiceGmmDetector(audio::GmmPair model) : model_(std::move(model)) {
    if (model_.bonafide.dims() != audio::kFeatureRows)
      throw Error(ErrorKind::Internal, fmt::format("voice_gmm: the model has {} dimensions, the features {}", model_.bonafide.dims(),
                                                   audio::kFeatureRows));
  }
  std::string name() const override { return "voice_gmm"; }
  std::string version() const override { return "1/" + model_.name + "-" + model_.version; }
  bool applies_to(MediaType t) const override { return t == MediaType::Audio || t == MediaType::Video; }
  bool scores_segments() const override { return true; }
  std::optional<double> score_segment(const AudioSegmentInput& s) const override { return model_.score(s.lfcc, s.speech_frames); }
  DetectorResult run(const Sample& sample) const override {
    return aggregate_segments(*this, sample, "LFCC Gaussian-mixture reference (bona fide vs spoofed speech)");
  }

 private:
  audio::GmmPair model_;
};

}  // namespace

std::unique_ptr<Detector> make_voice_gmm_detector(const audio::GmmPair& model) {
  return std::make_unique<VoiceGmmDetector>(model);
}

std::unique_ptr<Detector> make_voice_gmm_detector() {
  static const audio::GmmPair shipped = [] {
    const auto text = builtin_voice_file(VoiceFile::GmmJson);
    return audio::GmmPair::from_json(nlohmann::json::parse(text.begin(), text.end()));
  }();
  return make_voice_gmm_detector(shipped);
}

}  // namespace veritrace::detect
