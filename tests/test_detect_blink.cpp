// Blinks: eye aspect ratio from 68 landmarks, blink finding on synthetic series with known blinks,
// the blink detector on face tracks built from landmark geometry, and dlib's landmarks on real faces.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "detect/detectors/blink.hpp"
#include "detect/detectors/detectors.hpp"
#include "support/test_support.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/face.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using namespace veritrace::detect;

namespace {

// A frontal face's 68 points, eyes `open` in [0, 1] (1 = EAR about 0.3, 0 = lids touching), mouth
// opening `mouth` (inner-lip gap over mouth width). Only the eyes and lips are placed carefully.
face::Landmarks68 synthetic_face(double open_right, double open_left, double mouth = 0.0) {
  face::Landmarks68 lm{};
  for (int i = 0; i < face::kLandmarkCount; ++i) lm[static_cast<size_t>(i)] = {100.0f + i, 100.0f};  // filler
  auto eye = [&](size_t o, float cx, double open) {
    const float half_w = 15.0f, lid = static_cast<float>(4.5 * open);  // EAR = 2*lid*2 / (2*30) = 0.3*open
    lm[o] = {cx - half_w, 100};
    lm[o + 3] = {cx + half_w, 100};
    lm[o + 1] = {cx - 5, 100 - lid};
    lm[o + 2] = {cx + 5, 100 - lid};
    lm[o + 5] = {cx - 5, 100 + lid};
    lm[o + 4] = {cx + 5, 100 + lid};
  };
  eye(36, 70, open_right);
  eye(42, 130, open_left);
  lm[48] = {80, 170};
  lm[54] = {120, 170};
  const float gap = static_cast<float>(mouth * 40.0);
  for (size_t i = 61; i <= 63; ++i) lm[i] = {90.0f + 10.0f * static_cast<float>(i - 61), 170 - gap / 2};
  for (size_t i = 65; i <= 67; ++i) lm[i] = {110.0f - 10.0f * static_cast<float>(i - 65), 170 + gap / 2};
  return lm;
}

// A blink profile: how open the eye is at time t for a blink centred at c lasting d seconds.
double openness(double t, const std::vector<double>& centres, double d) {
  double o = 1.0;
  for (double c : centres)
    if (std::abs(t - c) < d / 2) o = std::min(o, std::abs(t - c) / (d / 2));
  return o;
}

}  // namespace

TEST(Blink, EyeAspectRatioAndMouthOpeningFollowTheGeometry) {
  EXPECT_NEAR(face::eye_aspect_ratio(synthetic_face(1, 1), true), 0.30, 1e-4);
  EXPECT_NEAR(face::eye_aspect_ratio(synthetic_face(1, 0.2), false), 0.06, 1e-4);
  EXPECT_NEAR(face::eye_aspect_ratio(synthetic_face(1, 0.2), true), 0.30, 1e-4);
  EXPECT_NEAR(face::mouth_opening(synthetic_face(1, 1, 0.0)), 0.0, 1e-4);
  EXPECT_NEAR(face::mouth_opening(synthetic_face(1, 1, 0.5)), 0.5, 1e-4);
  face::Landmarks68 degenerate{};
  EXPECT_EQ(face::eye_aspect_ratio(degenerate, true), 0.0f);
  EXPECT_EQ(face::mouth_opening(degenerate), 0.0f);
}

TEST(Blink, FindsKnownBlinksInANoisyDriftingSeries) {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 0.006);
  const std::vector<double> blinks = {2.0, 6.5, 11.0, 15.2, 20.0, 24.4, 29.1, 33.0, 38.5, 43.0, 47.7, 52.2};
  blink::EyeSeries s;
  for (int k = 0; k < 60 * 15; ++k) {
    const double t = k / 15.0;
    const double level = 0.26 + 0.06 * t / 60.0;  // the head turns slowly: the open level drifts
    double r = level * openness(t, blinks, 0.25), l = r;
    if (t > 55.0 && t < 56.5) r = l = 0.05;                   // eyes shut for 1.5 s: not a blink
    if (std::abs(t - 57.5) < 0.1) r = 0.05;                   // one eye only: a wink
    s.time_s.push_back(t);
    s.ear_right.push_back(r + noise(rng));
    s.ear_left.push_back(l + noise(rng));
  }
  const auto found = blink::find_blinks(s);
  ASSERT_EQ(found.size(), blinks.size() + 1);
  for (size_t i = 0; i < blinks.size(); ++i) {
    EXPECT_NEAR(0.5 * (found[i].start_s + found[i].end_s), blinks[i], 0.1) << i;
    EXPECT_TRUE(found[i].both_eyes) << i;
    EXPECT_LT(found[i].depth, 0.6) << i;
  }
  EXPECT_NEAR(found.back().start_s, 57.5, 0.15);
  EXPECT_FALSE(found.back().both_eyes);

  const auto st = blink::stats(s);
  EXPECT_EQ(st.blinks, 13);
  EXPECT_EQ(st.one_eye, 1);
  EXPECT_NEAR(st.per_minute, 13.0 * 60.0 / st.seconds, 1e-9);
  EXPECT_LT(st.deficit, 0.2);  // 13 a minute is ordinary

  // The same face that never blinks for a minute: almost surely not a normal blinker.
  blink::EyeSeries still = s;
  for (size_t i = 0; i < still.time_s.size(); ++i) still.ear_right[i] = still.ear_left[i] = 0.3 + noise(rng);
  const auto st0 = blink::stats(still);
  EXPECT_EQ(st0.blinks, 0);
  EXPECT_GT(st0.deficit, 0.99);
}

TEST(Blink, DetectorOnTracksMadeFromLandmarks) {
  // Two faces: one blinks every 4 s, the other stares for 20 s. Their EARs come from 68-point
  // geometry through face::eye_aspect_ratio, as in the engine.
  VideoAnalysis v;
  v.analysis_fps = 15;
  v.frames_analysed = 300;
  std::vector<double> centres;
  for (double c = 1.5; c < 20; c += 4) centres.push_back(c);
  for (int id = 0; id < 2; ++id) {
    FaceTrack tr;
    tr.id = id;
    for (int k = 0; k < 300; ++k) {
      const double t = k / 15.0;
      const double o = id == 0 ? openness(t, centres, 0.3) : 1.0;
      const auto lm = synthetic_face(o, o, 0.1);
      FacePoint p;
      p.time_s = t;
      p.ear_right = face::eye_aspect_ratio(lm, true);
      p.ear_left = face::eye_aspect_ratio(lm, false);
      p.mouth_open = face::mouth_opening(lm);
      tr.points.push_back(p);
    }
    v.tracks.push_back(tr);
  }
  auto det = make_blink_detector();
  EXPECT_TRUE(det->uses_landmarks());
  Sample sample;
  sample.media_type = MediaType::Video;
  sample.video = &v;
  // Both tracks are equally long: the first (blinking) face is the one read.
  auto r = det->run(sample);
  ASSERT_EQ(r.status, Status::Applied) << r.reason;
  EXPECT_EQ(r.evidence.details["blinks"].size(), centres.size());
  const double blinking = *r.score;
  v.tracks.erase(v.tracks.begin());
  r = det->run(sample);
  ASSERT_EQ(r.status, Status::Applied) << r.reason;
  EXPECT_TRUE(r.evidence.details["blinks"].empty());
  EXPECT_GT(*r.score, 0.9);
  EXPECT_LT(blinking, 0.2);  // 5 blinks in 20 s: P(N <= 5 | 3.3 expected) = 0.88

  // Why it does not apply: sparse sampling, short tracks, no landmarks.
  v.analysis_fps = 5;
  EXPECT_EQ(det->run(sample).status, Status::NotApplicable);
  v.analysis_fps = 15;
  v.tracks[0].points.resize(40);  // under 3 s
  r = det->run(sample);
  EXPECT_EQ(r.status, Status::NotApplicable);
  EXPECT_NE(r.reason.find("followed"), std::string::npos) << r.reason;
  v.landmarks_unavailable = "68-point landmark model not available: x";
  r = det->run(sample);
  EXPECT_EQ(r.status, Status::NotApplicable);
  EXPECT_EQ(r.reason, v.landmarks_unavailable);
}

TEST(Landmarks, LoadingErrorsAreClear) {
  vt_test::TempDir tmp;
  try {
    face::LandmarkModel::load((tmp.path() / "missing.dat").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("libdlib-data"), std::string::npos) << e.what();
  }
  const fs::path junk = tmp.path() / "junk.dat";
  std::ofstream(junk) << "not a model at all, just some text";
  try {
    face::LandmarkModel::load(junk.string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
  }
}

TEST(Landmarks, DlibPointsAgreeWithTheDetectorOnRealFaces) {
  VT_REQUIRE_SHARED(shared);
  const std::string path = face::LandmarkModel::default_path();
  if (!fs::exists(path)) GTEST_SKIP() << path << " is absent (Debian package libdlib-data, scripts/deps-debian.txt): skipping";
  const auto model = face::LandmarkModel::load(path);
  face::FaceDetector detector;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(shared / "data/real/faces_utk")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int checked = 0;
  for (size_t i = 0; i < files.size() && checked < 8; i += files.size() / 10) {
    const auto face_im = media::decode_image_file(files[i].string(), {.force_rgb = true});
    // Framed with grey so the detector sees the whole face.
    media::Image im;
    im.width = face_im.width * 2;
    im.height = face_im.height * 2;
    im.channels = 3;
    im.pixels.assign(static_cast<size_t>(im.width) * im.height * 3, 128);
    for (int y = 0; y < face_im.height; ++y)
      std::copy(face_im.row(y), face_im.row(y) + face_im.width * 3, im.row(y + face_im.height / 2) + face_im.width / 2 * 3);
    const auto faces = detector.detect(im);
    if (faces.empty()) continue;
    const face::Face& f = faces.front();
    const auto lm = model->fit(im, f);
    const auto& L = f.landmarks;
    const float iod = std::hypot(L[face::kLeftEye].x - L[face::kRightEye].x, L[face::kLeftEye].y - L[face::kRightEye].y);
    auto centre = [&](size_t a) {
      face::Point c;
      for (size_t k = a; k < a + 6; ++k) {
        c.x += lm[k].x / 6;
        c.y += lm[k].y / 6;
      }
      return c;
    };
    auto off = [&](face::Point a, face::Point b) { return std::hypot(a.x - b.x, a.y - b.y) / iod; };
    EXPECT_LT(off(centre(36), L[face::kRightEye]), 0.25) << files[i];
    EXPECT_LT(off(centre(42), L[face::kLeftEye]), 0.25) << files[i];
    EXPECT_LT(off(lm[48], L[face::kRightMouth]), 0.3) << files[i];
    EXPECT_LT(off(lm[54], L[face::kLeftMouth]), 0.3) << files[i];
    EXPECT_LT(off(lm[30], L[face::kNose]), 0.3) << files[i];
    for (bool right : {true, false}) {
      const float ear = face::eye_aspect_ratio(lm, right);
      EXPECT_GT(ear, 0.12f) << files[i];
      EXPECT_LT(ear, 0.5f) << files[i];
    }
    ++checked;
  }
  EXPECT_GE(checked, 6);
}
