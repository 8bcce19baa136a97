// media::VideoReader: clips made here with the ffmpeg tool (a test dependency), read back through
// FFmpeg's libraries: frame sampling by time, rotation, down-scaling, and every kind of bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "support/test_support.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

// 2 s at 10 fps, 160x120: black with a red 40x30 box in the top-left corner.
fs::path make_clip(const fs::path& dir, const std::string& name, const std::string& extra = "") {
  const fs::path out = dir / name;
  const auto r = vt_test::run(
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i 'color=black:s=160x120:r=10:d=2,"
      "drawbox=x=0:y=0:w=40:h=30:color=red:t=fill' -c:v libx264 -pix_fmt yuv420p " +
      extra + " " + vt_test::shell_quote(out.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

media::VideoReader open_reader(const fs::path& p, media::VideoOptions o = {}) {
  return media::VideoReader(open_file_source(p.string()), o);
}

std::vector<media::VideoFrame> read_all(media::VideoReader& r) {
  std::vector<media::VideoFrame> frames;
  while (auto f = r.next()) frames.push_back(std::move(*f));
  return frames;
}

// Mean of one channel over a rectangle.
double mean(const media::Image& im, int x0, int y0, int w, int h, int c) {
  double s = 0;
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x) s += im.row(y)[x * 3 + c];
  return s / (w * h);
}

ErrorKind error_kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no veritrace::Error thrown";
  return ErrorKind::Internal;
}

}  // namespace

TEST(MediaVideo, ReadsInfoAndEveryFrame) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto clip = make_clip(tmp.path(), "a.mp4");
  auto reader = open_reader(clip, {.sample_fps = 0});
  const auto& info = reader.info();
  EXPECT_EQ(info.width, 160);
  EXPECT_EQ(info.height, 120);
  EXPECT_EQ(info.rotation, 0);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_NEAR(info.frame_rate, 10.0, 1e-6);
  EXPECT_NEAR(info.duration_s, 2.0, 0.15);
  EXPECT_FALSE(info.has_audio);
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 20u);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_NEAR(frames[i].time_s, 0.1 * static_cast<double>(i), 1e-3);
    EXPECT_EQ(frames[i].index, static_cast<int64_t>(i));
  }
  const auto& im = frames[5].image;
  ASSERT_EQ(im.width, 160);
  ASSERT_EQ(im.channels, 3);
  EXPECT_GT(mean(im, 5, 5, 30, 20, 0), 200);   // red box: R high, G low
  EXPECT_LT(mean(im, 5, 5, 30, 20, 1), 50);
  EXPECT_LT(mean(im, 100, 70, 50, 40, 0), 30);  // black elsewhere
  EXPECT_EQ(reader.frames_decoded(), 20);
  EXPECT_EQ(reader.packets_rejected(), 0);
}

TEST(MediaVideo, SamplesByPresentationTime) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto clip = make_clip(tmp.path(), "a.mp4");
  auto reader = open_reader(clip, {.sample_fps = 2});
  const auto frames = read_all(reader);
  ASSERT_EQ(frames.size(), 4u);
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_NEAR(frames[i].time_s, 0.5 * static_cast<double>(i), 1e-3);
  EXPECT_EQ(reader.frames_decoded(), 20);  // every frame is decoded, only the sampled ones converted

  // Variable frame rate: frames 10.. are shifted 1 s later; sampling follows the timestamps.
  const auto vfr = make_clip(tmp.path(), "vfr.mkv", "-vf \"setpts='(N/10+gte(N,10))/TB'\" -fps_mode vfr");
  auto r2 = open_reader(vfr, {.sample_fps = 1});
  const auto f2 = read_all(r2);
  std::vector<double> times;
  for (const auto& f : f2) times.push_back(f.time_s);
  ASSERT_EQ(times.size(), 2u) << "samples at 0 s and 2 s (nothing is shown between 0.9 s and 2 s)";
  EXPECT_NEAR(times[0], 0.0, 1e-3);
  EXPECT_NEAR(times[1], 2.0, 1e-3);
}

TEST(MediaVideo, HonoursRotationAndDownscales) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto clip = make_clip(tmp.path(), "a.mp4");
  const fs::path rotated = tmp.path() / "rot.mp4";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -i " + vt_test::shell_quote(clip.string()) +
                        " -c copy -metadata:s:v:0 rotate=90 " + vt_test::shell_quote(rotated.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // FFmpeg 5.1 stores "rotate=90" as a display matrix that turns the picture a quarter
  // counter-clockwise (ffprobe: rotation=90); players, and the ffmpeg tool, show it that way.
  auto reader = open_reader(rotated, {.sample_fps = 1});
  EXPECT_EQ(reader.info().rotation, 270);
  EXPECT_EQ(reader.info().width, 120);
  EXPECT_EQ(reader.info().height, 160);
  auto f = reader.next();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->image.width, 120);
  ASSERT_EQ(f->image.height, 160);
  // Turned a quarter counter-clockwise, the top-left box is now bottom-left (30 wide, 40 high),
  // where the ffmpeg tool's own upright rendering puts it.
  EXPECT_GT(mean(f->image, 5, 125, 20, 30, 0), 200);
  EXPECT_LT(mean(f->image, 95, 5, 20, 30, 0), 30);
  const fs::path shown = tmp.path() / "shown.png";
  r = vt_test::run("ffmpeg -nostdin -loglevel error -y -i " + vt_test::shell_quote(rotated.string()) +
                   " -frames:v 1 " + vt_test::shell_quote(shown.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ref = media::decode_image_file(shown.string(), {.force_rgb = true});
  ASSERT_EQ(ref.width, 120);
  ASSERT_EQ(ref.height, 160);
  EXPECT_GT(mean(ref, 5, 125, 20, 30, 0), 200);
  EXPECT_NEAR(mean(ref, 0, 0, 120, 160, 0), mean(f->image, 0, 0, 120, 160, 0), 3.0);

  auto small = open_reader(clip, {.sample_fps = 1, .max_long_side = 80});
  auto g = small.next();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->image.width, 80);
  EXPECT_EQ(g->image.height, 60);
  EXPECT_GT(mean(g->image, 3, 3, 14, 10, 0), 200);
}

TEST(MediaVideo, ReadsFromMemory) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto bytes = vt_test::read_file(make_clip(tmp.path(), "a.mkv"));
  media::VideoReader reader(make_memory_source(bytes, "a.mkv"), {.sample_fps = 4});
  EXPECT_NE(reader.info().container.find("matroska"), std::string::npos);
  EXPECT_EQ(read_all(reader).size(), 8u);
}

TEST(MediaVideo, RefusesBadInputWithClearErrors) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const std::vector<uint8_t> none;
  EXPECT_EQ(error_kind_of([&] { media::VideoReader(make_memory_source(none, "empty")); }), ErrorKind::Malformed);
  std::vector<uint8_t> noise(5000);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  EXPECT_EQ(error_kind_of([&] { media::VideoReader(make_memory_source(noise, "noise")); }), ErrorKind::Unsupported);

  // Audio only.
  const fs::path audio = tmp.path() / "tone.m4a";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=d=1 -c:a aac " +
                        vt_test::shell_quote(audio.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  try {
    open_reader(audio);
    FAIL() << "audio-only file accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("audio only"), std::string::npos) << e.what();
  }

  // Frames over the pixel limit are refused before decoding.
  const auto clip = make_clip(tmp.path(), "a.mp4");
  EXPECT_EQ(error_kind_of([&] { open_reader(clip, {.max_pixels = 160 * 119}); }), ErrorKind::Unsupported);
  EXPECT_EQ(error_kind_of([&] { open_reader(clip, {.sample_fps = -1}); }), ErrorKind::Usage);

  // A playlist that would make FFmpeg open another file is not read.
  const fs::path m3u8 = tmp.path() / "list.m3u8";
  const std::string playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n" + clip.string() + "\n#EXT-X-ENDLIST\n";
  vt_test::write_file(m3u8, std::vector<uint8_t>(playlist.begin(), playlist.end()));
  EXPECT_EQ(error_kind_of([&] { open_reader(m3u8); }), ErrorKind::Unsupported);
  EXPECT_FALSE(media::probe_video(*open_file_source(m3u8.string())));
  EXPECT_TRUE(media::probe_video(*open_file_source(clip.string())));
}

TEST(MediaVideo, SurvivesTruncationAndCorruptPackets) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto bytes = vt_test::read_file(make_clip(tmp.path(), "a.mkv"));
  // Cut in half: the frames before the cut, no crash.
  std::vector<uint8_t> half(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2));
  size_t n_half = 0;
  try {
    media::VideoReader reader(make_memory_source(half, "half.mkv"), {.sample_fps = 0});
    while (reader.next()) ++n_half;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
  }
  EXPECT_LT(n_half, 20u);
  // Garbage over the middle third of the stream: decoding goes on past it.
  std::vector<uint8_t> hurt = bytes;
  for (size_t i = hurt.size() / 3; i < 2 * hurt.size() / 3; ++i) hurt[i] = static_cast<uint8_t>(i * 131u + 7u);
  size_t n = 0;
  try {
    media::VideoReader reader(make_memory_source(hurt, "hurt.mkv"), {.sample_fps = 0});
    while (auto f = reader.next()) {
      ++n;
      EXPECT_EQ(f->image.width, 160);
    }
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
  }
  EXPECT_GT(n, 0u);
}
