// Faces: YuNet detection with our output decoding, and IoU tracking, on pictures composited from
// the real faces of ../shared/data/real (never shipped) and on a clip encoded from them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "support/test_support.hpp"
#include "veritrace/face.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

media::Image canvas(int w, int h) {
  media::Image im;
  im.width = w;
  im.height = h;
  im.channels = 3;
  im.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) im.row(y)[x * 3 + c] = static_cast<uint8_t>(90 + (x + 2 * y + 40 * c) % 60);
  return im;
}

void paste(media::Image& dst, const media::Image& src, int x0, int y0) {
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x) {
      const int X = x0 + x, Y = y0 + y;
      if (X < 0 || Y < 0 || X >= dst.width || Y >= dst.height) continue;
      for (int c = 0; c < 3; ++c) dst.row(Y)[X * 3 + c] = src.row(y)[x * 3 + c];
    }
}

face::Face box(float x, float y, float w, float h) {
  face::Face f;
  f.x = x;
  f.y = y;
  f.width = w;
  f.height = h;
  f.score = 1;
  return f;
}

std::vector<media::Image> load_faces(const fs::path& shared, int n) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(shared / "data/real/faces_utk")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<media::Image> out;
  // Adults photographed frontally are the easy case the test needs; take files spread over the set.
  for (size_t i = 0; i < files.size() && static_cast<int>(out.size()) < n; i += files.size() / 8)
    out.push_back(media::decode_image_file(files[i].string(), {.force_rgb = true}));
  return out;
}

}  // namespace

TEST(FaceDetector, FindsCompositedFacesWithPlausibleLandmarks) {
  VT_REQUIRE_SHARED(shared);
  face::FaceDetector detector;
  const auto faces = load_faces(shared, 4);
  ASSERT_EQ(faces.size(), 4u);
  int found = 0;
  for (const auto& f : faces) {
    media::Image im = canvas(640, 360);
    paste(im, f, 300, 100);
    const auto got = detector.detect(im);
    if (got.empty()) continue;
    ++found;
    const face::Face& d = got.front();
    EXPECT_GT(face::iou(d, box(300, 100, 200, 200)), 0.3f) << d.x << "," << d.y << " " << d.width << "x" << d.height;
    const auto& L = d.landmarks;
    EXPECT_LT(L[face::kRightEye].x, L[face::kLeftEye].x);            // subject's right eye on the image's left
    EXPECT_LT(L[face::kRightEye].y, L[face::kNose].y);
    EXPECT_LT(L[face::kNose].y, 0.5f * (L[face::kRightMouth].y + L[face::kLeftMouth].y));
    EXPECT_GT(d.score, 0.6f);
  }
  EXPECT_GE(found, 3) << "YuNet should find most frontal UTKFace faces pasted at 200 px";

  // The same face at a quarter of the size in a large frame (scaled for detection, boxes scaled back).
  media::Image big = canvas(1920, 1080);
  paste(big, faces[0], 1200, 600);
  const auto got = detector.detect(big);
  ASSERT_FALSE(got.empty());
  EXPECT_GT(face::iou(got.front(), box(1200, 600, 200, 200)), 0.3f);
}

TEST(FaceDetector, NoFaceGivesAnEmptyList) {
  face::FaceDetector detector;
  EXPECT_TRUE(detector.detect(canvas(320, 240)).empty());
  media::Image gray;
  gray.width = gray.height = 64;
  gray.channels = 1;
  gray.pixels.assign(64 * 64, 128);
  EXPECT_THROW(detector.detect(gray), Error);
}

TEST(FaceTracker, KeepsIdentitiesAcrossCrossingAndGaps) {
  face::FaceTracker tracker({.min_iou = 0.3f, .max_gap_s = 1.0});
  // Two faces move towards each other without overlapping enough to swap.
  for (int i = 0; i < 10; ++i) {
    const float t = static_cast<float>(i);
    const auto ids = tracker.update(0.1 * i, {box(10 + 5 * t, 50, 60, 60), box(300 - 5 * t, 50, 60, 60)});
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], 0);
    EXPECT_EQ(ids[1], 1);
  }
  // Given in the other order, each box still finds its own track.
  auto ids = tracker.update(1.0, {box(250, 50, 60, 60), box(60, 50, 60, 60)});
  EXPECT_EQ(ids, (std::vector<int>{1, 0}));
  // A short gap (0.5 s) keeps the track; a long one (2 s) starts a new one.
  ids = tracker.update(1.5, {box(62, 50, 60, 60)});
  EXPECT_EQ(ids, (std::vector<int>{0}));
  ids = tracker.update(3.6, {box(64, 50, 60, 60)});
  EXPECT_EQ(ids, (std::vector<int>{2}));
  EXPECT_EQ(tracker.tracks_started(), 3);
}

TEST(FaceTracker, FollowsTwoMovingFacesThroughAnEncodedClip) {
  VT_REQUIRE_SHARED(shared);
  if (vt_test::run("command -v ffmpeg >/dev/null").exit_code != 0)
    GTEST_SKIP() << "the ffmpeg tool is not installed (scripts/deps-debian.txt): skipping";
  const auto faces = load_faces(shared, 2);
  vt_test::TempDir tmp;
  // 30 frames at 10 fps: face A moves right along the top, face B left along the bottom.
  std::vector<std::pair<int, int>> pos_a, pos_b;
  for (int i = 0; i < 30; ++i) {
    media::Image im = canvas(640, 480);
    pos_a.emplace_back(20 + 12 * i, 20);
    pos_b.emplace_back(420 - 12 * i, 260);
    paste(im, faces[0], pos_a.back().first, pos_a.back().second);
    paste(im, faces[1], pos_b.back().first, pos_b.back().second);
    char name[32];
    std::snprintf(name, sizeof name, "f%03d.png", i);
    vt_test::write_file(tmp.path() / name, media::encode_png(im));
  }
  const fs::path clip = tmp.path() / "two.mp4";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -framerate 10 -i " +
                        vt_test::shell_quote((tmp.path() / "f%03d.png").string()) +
                        " -c:v libx264 -pix_fmt yuv420p -crf 20 " + vt_test::shell_quote(clip.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  media::VideoReader reader(open_file_source(clip.string()), {.sample_fps = 5});
  face::FaceDetector detector;
  face::FaceTracker tracker;
  std::map<int, std::vector<std::pair<double, face::Face>>> tracks;
  int frames = 0;
  while (auto f = reader.next()) {
    ++frames;
    const auto found = detector.detect(f->image);
    const auto ids = tracker.update(f->time_s, found);
    for (size_t i = 0; i < found.size(); ++i) tracks[ids[i]].emplace_back(f->time_s, found[i]);
  }
  EXPECT_EQ(frames, 15);
  // Two long tracks, each following one face's path (by where it was pasted at that time).
  std::vector<int> long_tracks;
  for (const auto& [id, seq] : tracks)
    if (seq.size() >= 12) long_tracks.push_back(id);
  ASSERT_EQ(long_tracks.size(), 2u) << "tracks started: " << tracker.tracks_started();
  std::set<char> who;
  for (int id : long_tracks) {
    int on_a = 0, on_b = 0;
    for (const auto& [t, face] : tracks[id]) {
      const int k = static_cast<int>(std::lround(t * 10));
      on_a += face::iou(face, box(static_cast<float>(pos_a[k].first), static_cast<float>(pos_a[k].second), 200, 200)) > 0.3f;
      on_b += face::iou(face, box(static_cast<float>(pos_b[k].first), static_cast<float>(pos_b[k].second), 200, 200)) > 0.3f;
    }
    const size_t n = tracks[id].size();
    EXPECT_TRUE(on_a == static_cast<int>(n) || on_b == static_cast<int>(n)) << "track " << id << " mixes the faces";
    who.insert(on_a > on_b ? 'a' : 'b');
  }
  EXPECT_EQ(who.size(), 2u);
}
