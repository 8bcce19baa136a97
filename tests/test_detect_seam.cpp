// Seam flicker: the band colours are read where the face's rim and middle are, and a rim that
// jitters from frame to frame scores above a rim that changes with the light like the rest.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "detect/detectors/detectors.hpp"
#include "detect/detectors/seam_flicker.hpp"
#include "detect/video_pipeline.hpp"
#include "veritrace/detect.hpp"

using namespace veritrace;
using namespace veritrace::detect;

namespace {

// A frontal jaw line (points 0-16 on a half-ellipse below y = 100) round a nose tip at (200, 160).
face::Landmarks68 jaw_face() {
  face::Landmarks68 lm{};
  for (int j = 0; j <= 16; ++j) {
    const double a = 3.14159265358979323846 * j / 16.0;  // 0..pi from the subject's right ear
    lm[static_cast<size_t>(j)] = {static_cast<float>(200 - 100 * std::cos(a)), static_cast<float>(100 + 120 * std::sin(a))};
  }
  lm[30] = {200, 160};
  return lm;
}

}  // namespace

TEST(SeamFlicker, BandColoursComeFromTheRimTheMiddleAndTheInside) {
  const auto lm = jaw_face();
  // Colour each pixel by how far it is from the jaw line toward the nose: red near the rim, green
  // in the middle, blue inside.
  media::Image im;
  im.width = 400;
  im.height = 300;
  im.channels = 3;
  im.pixels.assign(static_cast<size_t>(im.width) * im.height * 3, 128);
  const double shares[3] = {kSeamRim, kSeamMid, kSeamInner};
  for (int b = 0; b < 3; ++b)
    for (size_t j = 2; j <= 14; ++j) {
      const double x = lm[j].x + shares[b] * (lm[30].x - lm[j].x), y = lm[j].y + shares[b] * (lm[30].y - lm[j].y);
      for (int dy = -6; dy <= 6; ++dy)  // patches are 11 x 11 for this 200 px wide jaw
        for (int dx = -6; dx <= 6; ++dx) {
          uint8_t* p = im.row(static_cast<int>(std::lround(y)) + dy) + (static_cast<int>(std::lround(x)) + dx) * 3;
          p[0] = b == 0 ? 200 : 60;
          p[1] = b == 1 ? 200 : 60;
          p[2] = b == 2 ? 200 : 60;
        }
    }
  std::array<float, 3> rim{}, mid{}, inner{};
  ASSERT_TRUE(seam_colours(im, lm, rim, mid, inner));
  EXPECT_NEAR(rim[0], 200, 3);
  EXPECT_NEAR(rim[1], 60, 3);
  EXPECT_NEAR(mid[1], 200, 3);
  EXPECT_NEAR(mid[2], 60, 3);
  EXPECT_NEAR(inner[2], 200, 3);
  // A face too small to have bands.
  face::Landmarks68 tiny = lm;
  for (auto& p : tiny) p = {p.x / 10, p.y / 10};
  EXPECT_FALSE(seam_colours(im, tiny, rim, mid, inner));
}

TEST(SeamFlicker, AJitteringRimScoresAboveARimThatFollowsTheLight) {
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 0.8), jump(0.0, 5.0);
  auto track = [&](bool swapped) {
    FaceTrack tr;
    for (int k = 0; k < 150; ++k) {
      FacePoint p;
      p.time_s = k / 15.0;
      p.seam_valid = true;
      const double light = 10 * std::sin(k / 20.0);  // the light changes: every band follows
      for (size_t c = 0; c < 3; ++c) {
        p.inner_rgb[c] = static_cast<float>(150 + light + noise(rng));
        p.mid_rgb[c] = static_cast<float>(145 + light + noise(rng));
        p.rim_rgb[c] = static_cast<float>(140 + light + noise(rng) + (swapped ? jump(rng) : 0.0));
      }
      tr.points.push_back(p);
    }
    return tr;
  };
  const auto real = seam::measure(track(false));
  const auto swap = seam::measure(track(true));
  ASSERT_TRUE(real && swap);
  EXPECT_NEAR(real->ratio, 1.0, 0.35);
  EXPECT_GT(swap->ratio, 2.5);
  EXPECT_GT(swap->score, real->score + 0.2);
  EXPECT_EQ(real->frames, 150);

  // Through the detector: applied with time ranges; too short a track does not apply.
  VideoAnalysis v;
  v.analysis_fps = 15;
  v.tracks.push_back(track(true));
  Sample sample;
  sample.media_type = MediaType::Video;
  sample.video = &v;
  auto det = make_seam_flicker_detector();
  auto r = det->run(sample);
  ASSERT_EQ(r.status, Status::Applied) << r.reason;
  EXPECT_GT(*r.score, 0.7);
  EXPECT_FALSE(r.evidence.time_ranges.empty());
  v.tracks[0].points.resize(30);  // 2 s
  EXPECT_EQ(det->run(sample).status, Status::NotApplicable);
}
