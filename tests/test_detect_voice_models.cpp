// The shipped voice models (models/voice/, compiled in) agree with what torch and sklearn computed
// at export (the parity values in lcnn.parity.json and lfcc-gmm.json), through our own LFCC and
// speech frames; bad model files are refused with a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <opencv2/dnn.hpp>

#include "detect/detectors/detectors.hpp"
#include "support/synthetic_sound.hpp"
#include "support/test_support.hpp"

namespace det = veritrace::detect;
namespace audio = veritrace::audio;

namespace {

// features.parity_waveform(16000) tiled to one segment, as features.segments() does.
std::vector<float> parity_segment() {
  const auto x = vt_test::sound::parity_waveform(16000);
  std::vector<float> seg(audio::kSegmentSamples);
  for (size_t i = 0; i < seg.size(); ++i) seg[i] = x[i % x.size()];
  return seg;
}

nlohmann::json read_json(const std::string& rel) {
  std::ifstream in(vt_test::source_dir() / rel);
  return nlohmann::json::parse(in);
}

std::optional<double> score_parity(const det::Detector& d) {
  const auto seg = parity_segment();
  const auto f = audio::lfcc(seg);
  const auto speech = audio::speech_frames(seg);
  return d.score_segment(det::AudioSegmentInput{seg, f, speech});
}

}  // namespace

TEST(VoiceModels, GmmMatchesItsExportParity) {
  const auto want = read_json("models/voice/lfcc-gmm.json").at("parity");
  const auto seg = parity_segment();
  const auto speech = audio::speech_frames(seg);
  EXPECT_EQ(std::count(speech.begin(), speech.end(), 1), want.at("speech_frames").get<int>());
  const auto d = det::make_voice_gmm_detector();
  ASSERT_TRUE(d->scores_segments());
  const auto got = score_parity(*d);
  ASSERT_TRUE(got);
  const double v = want.at("segment_score").get<double>();
  EXPECT_NEAR(*got, v, 1e-3 * std::max(1.0, std::abs(v)));
}

TEST(VoiceModels, LcnnMatchesItsExportParity) {
  const auto parity = read_json("models/voice/lcnn.parity.json");
  // The network alone, on the fixed tensor.
  const auto& tt = parity.at("tensor_test");
  const auto shape = tt.at("shape").get<std::vector<int>>();
  ASSERT_EQ(shape, std::vector<int>({1, 1, audio::kFeatureRows, 401}));
  cv::Mat input(4, shape.data(), CV_32F);
  float* p = input.ptr<float>();
  for (int y = 0; y < shape[2]; ++y)
    for (int x = 0; x < shape[3]; ++x) *p++ = static_cast<float>(std::sin(0.01 * (x + 1) + 0.02 * (y + 1)));
  const auto onnx = det::builtin_voice_file(det::VoiceFile::LcnnOnnx);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(onnx.data()), onnx.size());
  net.setInput(input);
  const cv::Mat out = net.forward();
  ASSERT_EQ(out.total(), 1u);
  EXPECT_NEAR(out.ptr<float>()[0], tt.at("output")[0].get<double>(), 1e-4);
  // Our LFCC, the sidecar's normalisation and the network, on the parity waveform.
  const auto d = det::make_voice_lcnn_detector();
  const auto got = score_parity(*d);
  ASSERT_TRUE(got);
  const double v = parity.at("audio_test").at("segment_score").get<double>();
  EXPECT_NEAR(*got, v, 1e-3 * std::max(1.0, std::abs(v)));
}

TEST(VoiceModels, BadModelsAreRefused) {
  auto side = read_json("models/voice/lcnn.json");
  EXPECT_NO_THROW(det::parse_voice_net_spec(side));
  auto bad = side;
  bad["frames"] = 400;
  EXPECT_THROW(det::parse_voice_net_spec(bad), veritrace::Error);
  bad = side;
  bad["std"][3] = 0.0;
  EXPECT_THROW(det::parse_voice_net_spec(bad), veritrace::Error);
  bad = side;
  bad["mean"].erase(0);
  EXPECT_THROW(det::parse_voice_net_spec(bad), veritrace::Error);
  bad = side;
  bad["features"] = "mfcc";
  EXPECT_THROW(det::parse_voice_net_spec(bad), veritrace::Error);
  bad = side;
  bad.erase("output");
  EXPECT_THROW(det::parse_voice_net_spec(bad), veritrace::Error);
  const auto spec = det::parse_voice_net_spec(side);
  EXPECT_THROW(det::make_voice_lcnn_detector(spec, {1, 2, 3, 4}), veritrace::Error);
  EXPECT_THROW(det::make_voice_lcnn_detector(spec, {}), veritrace::Error);
  auto gmm = read_json("models/voice/lfcc-gmm.json");
  gmm["classes"]["spoof"]["variances"][0][0] = -1.0;
  EXPECT_THROW(audio::GmmPair::from_json(gmm), veritrace::Error);
}
