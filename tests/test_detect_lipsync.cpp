// Lip-sync: mouth opening against the sound level on synthetic speech with known offsets, the
// speech check, the per-frame alignment of 10 ms sound blocks to face samples, and the detector.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "detect/detectors/detectors.hpp"
#include "detect/detectors/lipsync.hpp"
#include "veritrace/detect.hpp"

using namespace veritrace;
using namespace veritrace::detect;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Speech-like loudness: syllables of 120-250 ms every 170-330 ms with pauses, in dB (silence -70).
struct Speech {
  std::vector<std::pair<double, double>> syllables;  // start, end
  double level_db(double t) const {
    for (const auto& [a, b] : syllables)
      if (t >= a && t < b) return -20.0 + 6.0 * std::sin(kPi * (t - a) / (b - a));
    return -70.0;
  }
  double mouth(double t) const {  // opening follows the syllable's loudness envelope
    for (const auto& [a, b] : syllables)
      if (t >= a && t < b) return 0.05 + 0.3 * std::sin(kPi * (t - a) / (b - a));
    return 0.05;
  }
};

Speech make_speech(double seconds, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> len(0.12, 0.25), gap(0.05, 0.12), pause(0.0, 1.0);
  Speech s;
  for (double t = 0.3; t < seconds;) {
    const double l = len(rng);
    s.syllables.push_back({t, t + l});
    t += l + gap(rng) + (pause(rng) < 0.1 ? 0.5 : 0.0);
  }
  return s;
}

lipsync::Series sampled(const Speech& sound, const Speech& face, double offset_s, double seconds, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  lipsync::Series s;
  for (int k = 0; k < static_cast<int>(seconds * 15); ++k) {
    const double t = k / 15.0;
    s.time_s.push_back(t);
    s.mouth.push_back(face.mouth(t) + noise(rng));
    s.level.push_back(sound.level_db(t - offset_s));  // the sound comes offset_s after the mouth
  }
  return s;
}

}  // namespace

TEST(Lipsync, InSyncShiftedAndForeignSpeech) {
  const Speech speech = make_speech(20, 3);
  const auto synced = lipsync::measure(sampled(speech, speech, 0.0, 20, 1));
  EXPECT_GT(synced.in_sync, 0.6);
  EXPECT_LT(std::abs(synced.best_lag_s), 0.07);
  EXPECT_LT(synced.score, 0.1);

  const auto late = lipsync::measure(sampled(speech, speech, 0.4, 20, 1));
  EXPECT_NEAR(late.best_lag_s, 0.4, 0.07);
  EXPECT_GT(late.best, 0.6);
  EXPECT_GE(late.score, 0.8);
  const auto early = lipsync::measure(sampled(speech, speech, -0.33, 20, 1));
  EXPECT_NEAR(early.best_lag_s, -0.33, 0.07);
  EXPECT_GE(early.score, 0.8);

  // Someone else's speech: no link at any offset.
  const auto foreign = lipsync::measure(sampled(make_speech(20, 99), speech, 0.0, 20, 1));
  EXPECT_LT(foreign.in_sync, 0.25);
  EXPECT_GT(foreign.score, 0.4);

  // A still mouth (a photograph) while someone speaks.
  auto still = sampled(speech, speech, 0.0, 20, 1);
  std::fill(still.mouth.begin(), still.mouth.end(), 0.1);
  const auto st = lipsync::measure(still);
  EXPECT_EQ(st.in_sync, 0.0);
  EXPECT_EQ(st.score, 1.0);
}

TEST(Lipsync, SpeechCheck) {
  const Speech speech = make_speech(10, 4);
  std::vector<float> talk, hum(1000, -20.0f), silence(1000, -90.0f);
  for (int b = 0; b < 1000; ++b) talk.push_back(static_cast<float>(speech.level_db(b * 0.01)));
  EXPECT_TRUE(lipsync::has_speech(talk));
  EXPECT_FALSE(lipsync::has_speech(hum));
  EXPECT_FALSE(lipsync::has_speech(silence));
  EXPECT_FALSE(lipsync::has_speech({}));
}

TEST(Lipsync, DetectorAlignsSoundBlocksToFaceSamples) {
  const Speech speech = make_speech(12, 8);
  VideoAnalysis v;
  v.analysis_fps = 15;
  v.frames_analysed = 180;
  for (int b = 0; b < 1200; ++b) v.audio_level_db.push_back(static_cast<float>(speech.level_db((b + 0.5) * 0.01)));
  FaceTrack tr;
  for (int k = 0; k < 180; ++k) {
    FacePoint p;
    p.time_s = k / 15.0;
    p.mouth_open = static_cast<float>(speech.mouth(p.time_s));
    p.ear_left = p.ear_right = 0.3f;
    tr.points.push_back(p);
  }
  v.tracks.push_back(tr);
  const auto s = lipsync::series(v.tracks[0], v);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->time_s.size(), 180u);
  auto det = make_lipsync_detector();
  EXPECT_TRUE(det->uses_audio());
  EXPECT_TRUE(det->uses_landmarks());
  Sample sample;
  sample.media_type = MediaType::Video;
  sample.video = &v;
  auto r = det->run(sample);
  ASSERT_EQ(r.status, Status::Applied) << r.reason;
  EXPECT_LT(*r.score, 0.2);
  EXPECT_FALSE(r.evidence.time_ranges.empty());

  // The same face with the sound 0.4 s late (a dub).
  for (int b = 0; b < 1200; ++b) v.audio_level_db[static_cast<size_t>(b)] = static_cast<float>(speech.level_db((b + 0.5) * 0.01 - 0.4));
  r = det->run(sample);
  ASSERT_EQ(r.status, Status::Applied) << r.reason;
  EXPECT_GE(*r.score, 0.8);
  EXPECT_NE(r.evidence.summary.find("shifted"), std::string::npos) << r.evidence.summary;

  // Why it does not apply.
  std::fill(v.audio_level_db.begin(), v.audio_level_db.end(), -20.0f);
  EXPECT_NE(det->run(sample).reason.find("speech"), std::string::npos);
  v.audio_unavailable = "the video has no sound track";
  EXPECT_EQ(det->run(sample).reason, "the video has no sound track");
}
