// The audio module: LFCC against torchaudio (fixture written by tools/train/voice/make_fixtures.py),
// the energy VAD and the speech check on synthetic signals, segmentation of streams, and the
// Gaussian mixtures on a synthetic two-class problem.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <random>

#include "support/synthetic_sound.hpp"
#include "support/test_support.hpp"
#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

namespace audio = veritrace::audio;

namespace {

constexpr double kPi = std::numbers::pi;

using vt_test::sound::parity_waveform;

nlohmann::json fixture() {
  std::ifstream in(vt_test::source_dir() / "tests" / "fixtures" / "audio" / "lfcc_torchaudio.json");
  return nlohmann::json::parse(in);
}

using vt_test::sound::speech_like;
using vt_test::sound::sustained_chord;
using vt_test::sound::white_noise;

}  // namespace

TEST(AudioLfcc, MatchesTorchaudioOnTheFixture) {
  const auto fx = fixture();
  const auto x = parity_waveform(fx.at("samples").get<int>());
  const audio::Features f = audio::lfcc(x);
  ASSERT_EQ(f.rows, audio::kFeatureRows);
  ASSERT_EQ(f.frames, fx.at("frames").get<int>());
  const auto& want = fx.at("lfcc");
  double worst = 0.0;
  for (int r = 0; r < f.rows; ++r)
    for (int t = 0; t < f.frames; ++t) {
      const double w = want[r][t].get<double>();
      const double err = std::abs(f.at(r, t) - w) / std::max(1.0, std::abs(w));
      worst = std::max(worst, err);
      ASSERT_LT(err, 2e-3) << "row " << r << " frame " << t << ": ours " << f.at(r, t) << ", torchaudio " << w;
    }
  RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST(AudioLfcc, FrameCountAndShortInput) {
  EXPECT_EQ(audio::lfcc(std::vector<float>(64000, 0.1f)).frames, 401);
  EXPECT_EQ(audio::frame_count(64000), 401);
  EXPECT_THROW(audio::lfcc(std::vector<float>(256, 0.0f)), veritrace::Error);
  // Silence is finite (log of the 1e-6 offset), never NaN.
  const auto s = audio::lfcc(std::vector<float>(4000, 0.0f));
  for (float v : s.values) ASSERT_TRUE(std::isfinite(v));
}

TEST(AudioVad, SpeechMaskMatchesTheFixture) {
  const auto fx = fixture();
  auto x = parity_waveform(16000);
  const auto full = audio::speech_frames(x);
  EXPECT_EQ(std::count(full.begin(), full.end(), 1), fx.at("speech_frames").get<int>());
  for (size_t i = 12000; i < x.size(); ++i) x[i] *= 1e-4f;
  const auto mask = audio::speech_frames(x);
  const auto want = fx.at("quiet_tail_speech_mask").get<std::vector<int>>();
  ASSERT_EQ(mask.size(), want.size());
  for (size_t t = 0; t < mask.size(); ++t) EXPECT_EQ(mask[t], want[t]) << "frame " << t;
  EXPECT_EQ(mask.back(), 0);
  EXPECT_EQ(mask.front(), 1);
}

TEST(AudioVad, SpeechLikeSignalsPassAndSilenceNoiseAndChordsDoNot) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const auto s = speech_like(4.0, seed);
    const auto c = audio::check_speech(s, audio::speech_frames(s));
    EXPECT_TRUE(c.speech) << "seed " << seed << ": " << c.why_not << " active " << c.active_share << " low "
                          << c.low_energy_share << " syllabic " << c.syllabic_share;
  }
  const auto silence = std::vector<float>(64000, 0.0f);
  const auto cs = audio::check_speech(silence, audio::speech_frames(silence));
  EXPECT_FALSE(cs.speech);
  EXPECT_EQ(cs.why_not, "mostly silence");
  const auto hiss = white_noise(4.0, 1e-4, 7);  // -80 dBFS: below the floor
  EXPECT_FALSE(audio::check_speech(hiss, audio::speech_frames(hiss)).speech);
  const auto noise = white_noise(4.0, 0.05, 8);  // loud, steady
  const auto cn = audio::check_speech(noise, audio::speech_frames(noise));
  EXPECT_FALSE(cn.speech) << cn.low_energy_share << " " << cn.syllabic_share;
  const auto chord = sustained_chord(4.0);
  const auto cc = audio::check_speech(chord, audio::speech_frames(chord));
  EXPECT_FALSE(cc.speech) << cc.low_energy_share << " " << cc.syllabic_share;
  RecordProperty("noise", std::to_string(cn.low_energy_share) + " " + std::to_string(cn.syllabic_share));
  RecordProperty("chord", std::to_string(cc.low_energy_share) + " " + std::to_string(cc.syllabic_share));
}

TEST(AudioSegments, StartsFollowTheContract) {
  EXPECT_TRUE(audio::segment_starts(63999).empty());
  EXPECT_EQ(audio::segment_starts(64000), std::vector<int64_t>({0}));
  EXPECT_EQ(audio::segment_starts(100000), std::vector<int64_t>({0, 32000, 36000}));
  EXPECT_EQ(audio::segment_starts(128000), std::vector<int64_t>({0, 32000, 64000}));
}

TEST(AudioSegments, StreamingSegmenterEqualsTheWholeClipCut) {
  for (int64_t n : {1000, 63999, 64000, 100000, 128000, 200001}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i % 9973);
    std::vector<int64_t> starts;
    std::vector<std::vector<float>> segs;
    audio::Segmenter seg([&](int64_t s, std::span<const float> samples, int64_t real) {
      ASSERT_EQ(samples.size(), static_cast<size_t>(audio::kSegmentSamples));
      EXPECT_EQ(real, std::min<int64_t>(n, audio::kSegmentSamples));
      starts.push_back(s);
      segs.emplace_back(samples.begin(), samples.end());
    });
    // Blocks of uneven sizes, as a decoder delivers them.
    size_t pos = 0, step = 777;
    while (pos < x.size()) {
      const size_t len = std::min(step, x.size() - pos);
      seg.push(std::span<const float>(x).subspan(pos, len));
      pos += len;
      step = step * 7 % 5003 + 1;
    }
    seg.finish();
    EXPECT_EQ(seg.samples(), n);
    if (n < audio::kSegmentSamples) {
      ASSERT_EQ(starts, std::vector<int64_t>({0}));
      for (size_t i = 0; i < segs[0].size(); ++i) ASSERT_EQ(segs[0][i], x[i % x.size()]) << "tiled sample " << i;
      continue;
    }
    ASSERT_EQ(starts, audio::segment_starts(n)) << "n = " << n;
    for (size_t k = 0; k < starts.size(); ++k)
      for (size_t i = 0; i < segs[k].size(); ++i) ASSERT_EQ(segs[k][i], x[static_cast<size_t>(starts[k]) + i]);
  }
}

TEST(AudioGmm, FitSeparatesTwoSyntheticClasses) {
  // Class A: two clusters around (0, 0, 0) and (4, 4, 0); class B: one around (2, -3, 1), wider.
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g(0.0f, 1.0f);
  auto sample = [&](int cls) {
    std::vector<float> v(3);
    if (cls == 0) {
      const float shift = (rng() & 1) ? 4.0f : 0.0f;
      v = {shift + 0.7f * g(rng), shift + 0.7f * g(rng), 0.7f * g(rng)};
    } else {
      v = {2.0f + 1.5f * g(rng), -3.0f + 1.5f * g(rng), 1.0f + 1.5f * g(rng)};
    }
    return v;
  };
  std::vector<float> a, b;
  for (int i = 0; i < 2000; ++i) {
    auto va = sample(0), vb = sample(1);
    a.insert(a.end(), va.begin(), va.end());
    b.insert(b.end(), vb.begin(), vb.end());
  }
  const auto ga = audio::Gmm::fit(a, 3, 2, 30, 11);
  const auto gb = audio::Gmm::fit(b, 3, 2, 30, 12);
  ASSERT_EQ(ga.components(), 2);
  // The fitted means of A land on its two clusters.
  const auto ja = ga.to_json();
  std::vector<double> xs = {ja["means"][0][0].get<double>(), ja["means"][1][0].get<double>()};
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[0], 0.0, 0.2);
  EXPECT_NEAR(xs[1], 4.0, 0.2);
  // Held-out vectors are classified by the likelihood ratio.
  int correct = 0;
  for (int i = 0; i < 1000; ++i) {
    const int cls = i % 2;
    const auto v = sample(cls);
    const bool says_b = gb.log_likelihood(v.data()) > ga.log_likelihood(v.data());
    correct += says_b == (cls == 1);
  }
  EXPECT_GT(correct, 960);
  // The JSON round trip keeps the model.
  const auto again = audio::Gmm::from_json(ja);
  const std::vector<float> probe = {1.0f, 2.0f, 0.5f};
  EXPECT_NEAR(again.log_likelihood(probe.data()), ga.log_likelihood(probe.data()), 1e-9);
  // A single Gaussian's log-density by hand.
  const auto one = audio::Gmm::from_json({{"weights", {1.0}}, {"means", {{0.0, 1.0}}}, {"variances", {{1.0, 4.0}}}});
  const std::vector<float> p2 = {1.0f, 3.0f};
  EXPECT_NEAR(one.log_likelihood(p2.data()), -0.5 * (std::log(2 * kPi) + 1.0) - 0.5 * (std::log(2 * kPi * 4.0) + 1.0), 1e-12);
}

TEST(AudioGmm, MalformedModelsAreRefused) {
  using J = nlohmann::json;
  EXPECT_THROW(audio::Gmm::from_json(J::object()), veritrace::Error);
  EXPECT_THROW(audio::Gmm::from_json({{"weights", {1.0}}, {"means", {{0.0}}}, {"variances", {{0.0}}}}), veritrace::Error);
  EXPECT_THROW(audio::Gmm::from_json({{"weights", {-1.0}}, {"means", {{0.0}}}, {"variances", {{1.0}}}}), veritrace::Error);
  EXPECT_THROW(audio::Gmm::from_json({{"weights", {1.0, 1.0}}, {"means", {{0.0}}}, {"variances", {{1.0}}}}), veritrace::Error);
  EXPECT_THROW(audio::Gmm::from_json({{"weights", {1.0}}, {"means", {{0.0, 1.0}}}, {"variances", {{1.0}}}}), veritrace::Error);
  EXPECT_THROW(audio::Gmm::from_json({{"weights", {1.0}}, {"means", {{"x"}}}, {"variances", {{1.0}}}}), veritrace::Error);
  EXPECT_THROW(audio::GmmPair::from_json({{"classes", {{"bonafide", J::object()}}}}), veritrace::Error);
}

TEST(AudioGmm, PairScoresOnlySpeechFrames) {
  const auto bona = audio::Gmm::from_json({{"weights", {1.0}}, {"means", {std::vector<double>(60, 0.0)}}, {"variances", {std::vector<double>(60, 1.0)}}});
  const auto spoof = audio::Gmm::from_json({{"weights", {1.0}}, {"means", {std::vector<double>(60, 1.0)}}, {"variances", {std::vector<double>(60, 1.0)}}});
  audio::GmmPair pair{"t", "1", bona, spoof};
  audio::Features f;
  f.rows = 60;
  f.frames = 3;
  f.values.assign(180, 0.0f);
  for (int r = 0; r < 60; ++r) f.values[static_cast<size_t>(r) * 3 + 1] = 1.0f;  // frame 1 sits on the spoof mean
  // Frame 0 (at the bona fide mean): LLR = -30; frame 1: +30.
  EXPECT_NEAR(*pair.score(f, std::vector<uint8_t>{1, 0, 0}), -30.0, 1e-9);
  EXPECT_NEAR(*pair.score(f, std::vector<uint8_t>{0, 1, 0}), 30.0, 1e-9);
  EXPECT_NEAR(*pair.score(f, std::vector<uint8_t>{1, 1, 0}), 0.0, 1e-9);
  EXPECT_FALSE(pair.score(f, std::vector<uint8_t>{0, 0, 0}));
}
