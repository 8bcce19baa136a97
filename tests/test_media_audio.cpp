// media::AudioReader: sound made here with the ffmpeg tool (a test dependency), read back through
// FFmpeg's libraries as mono float at a fixed rate: length, pitch, level, timing, and bad input.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cmath>

#include "support/test_support.hpp"
#include "veritrace/media.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

fs::path make(const fs::path& dir, const std::string& name, const std::string& args) {
  const fs::path out = dir / name;
  const auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y " + args + " " + vt_test::shell_quote(out.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

std::vector<float> read_all(const fs::path& p, media::AudioOptions o = {}) {
  media::AudioReader reader(open_file_source(p.string()), o);
  std::vector<float> all, block;
  while (reader.next(block)) all.insert(all.end(), block.begin(), block.end());
  EXPECT_EQ(reader.samples_delivered(), static_cast<int64_t>(all.size()));
  return all;
}

double rms(const std::vector<float>& x, size_t a, size_t b) {
  double s = 0;
  for (size_t i = a; i < b && i < x.size(); ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / static_cast<double>(std::max<size_t>(1, std::min(b, x.size()) - a)));
}

}  // namespace

TEST(Audio, StereoWaveBecomesMonoAtTheAskedRate) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  // 2 s of 440 Hz at amplitude 0.5 in both channels of 44.1 kHz PCM.
  const auto wav = make(tmp.path(), "tone.wav", "-f lavfi -i 'aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t):s=44100:d=2'");
  media::AudioReader reader(open_file_source(wav.string()), {.sample_rate = 16000});
  EXPECT_EQ(reader.info().source_rate, 44100);
  EXPECT_EQ(reader.info().channels, 2);
  EXPECT_EQ(reader.info().codec.rfind("pcm_", 0), 0u) << reader.info().codec;
  EXPECT_NEAR(reader.info().duration_s, 2.0, 0.01);
  const auto x = read_all(wav, {.sample_rate = 16000});
  EXPECT_NEAR(static_cast<double>(x.size()), 32000.0, 100.0);
  EXPECT_NEAR(rms(x, 1000, 31000), 0.5 / std::sqrt(2.0), 0.01);  // mix-down keeps the level of equal channels
  int crossings = 0;
  for (size_t i = 1001; i < 31000; ++i) crossings += (x[i - 1] < 0) != (x[i] < 0);
  EXPECT_NEAR(crossings / 2.0 / (30000.0 / 16000.0), 440.0, 3.0);
}

TEST(Audio, BurstsOfAVideoSoundTrackAreWhereTheyWere) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  // 4 s clip, AAC sound: a 0.3 s burst at the start of every second, silence between.
  const auto mp4 = make(tmp.path(), "talk.mp4",
                        "-f lavfi -i 'color=gray:s=64x48:r=10:d=4' -f lavfi "
                        "-i 'aevalsrc=0.4*sin(2*PI*300*t)*lt(mod(t\\,1)\\,0.3):s=48000:d=4' -c:v libx264 -c:a aac -shortest");
  const auto x = read_all(mp4, {.sample_rate = 8000});
  ASSERT_GT(x.size(), 8000u * 3);
  // AAC's priming delay is removed by the demuxer, so bursts sit within a few ms of where they were.
  for (int s = 0; s < 3; ++s) {
    const size_t a = static_cast<size_t>(s) * 8000;
    EXPECT_GT(rms(x, a + 400, a + 2000), 0.2) << "burst " << s;
    EXPECT_LT(rms(x, a + 3200, a + 7600), 0.02) << "silence " << s;
  }
  EXPECT_NEAR(static_cast<double>(read_all(mp4, {.sample_rate = 8000, .max_duration_s = 1.5}).size()), 12000.0, 1.0);
}

TEST(Audio, BadInputIsAnErrorNotACrash) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const auto silent_video = make(tmp.path(), "mute.mp4", "-f lavfi -i 'color=gray:s=64x48:r=10:d=1' -c:v libx264");
  try {
    media::AudioReader r(open_file_source(silent_video.string()));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("no audio stream"), std::string::npos) << e.what();
  }
  std::vector<uint8_t> none;
  EXPECT_THROW(media::AudioReader(make_span_source(none, "empty.wav")), Error);
  std::vector<uint8_t> junk(4096, 0x5a);
  try {
    media::AudioReader r(make_span_source(junk, "junk.bin"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
  }
  EXPECT_THROW(media::AudioReader(open_file_source(silent_video.string()), {.sample_rate = 100}), Error);

  // Cut short and damaged in the middle: what can be decoded is, the rest is skipped or ends it.
  const auto m4a = make(tmp.path(), "tone.m4a", "-f lavfi -i 'sine=f=440:d=3' -c:a aac -movflags +faststart");
  auto bytes = vt_test::read_file(m4a);
  auto cut = bytes;
  cut.resize(cut.size() * 2 / 3);
  for (const auto* b : {&cut}) {
    try {
      media::AudioReader r(make_span_source(*b, "cut.m4a"));
      std::vector<float> block;
      int64_t n = 0;
      while (r.next(block)) n += static_cast<int64_t>(block.size());
      EXPECT_LT(n, 3 * 16000 + 1);
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == ErrorKind::Malformed || e.kind() == ErrorKind::Unsupported) << e.what();
    }
  }
  auto damaged = bytes;
  for (size_t i = damaged.size() / 2; i < damaged.size() / 2 + 600 && i < damaged.size(); ++i) damaged[i] ^= 0xA5;
  try {
    media::AudioReader r(make_span_source(damaged, "damaged.m4a"));
    std::vector<float> block;
    int64_t n = 0;
    while (r.next(block)) n += static_cast<int64_t>(block.size());
    EXPECT_GT(n, 16000);  // the intact first half at least
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
  }
}

// Found by fuzz_audio: a stream whose frames change layout mid-way made the resampler read a
// plane that was not there (a crash). The resampler is now made again for the new layout.
TEST(Audio, FramesThatChangeLayoutMidStreamAreNotACrash) {
  for (const char* name : {"layout-change-1.bin", "layout-change-2.bin"}) {
    SCOPED_TRACE(name);
    const auto bytes = vt_test::read_file(vt_test::source_dir() / "fuzz" / "corpus" / "audio" / name);
    try {
      media::AudioReader reader(make_span_source(bytes, name), {.sample_rate = 8000, .max_duration_s = 2.0});
      std::vector<float> block;
      int64_t total = 0;
      while (reader.next(block)) total += static_cast<int64_t>(block.size());
      EXPECT_LE(total, 16000);
    } catch (const Error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
    }
  }
}

// Found by fuzz_audio: a 4 KB WAV whose LIST chunk claims about 1 GB made FFmpeg's wav demuxer
// allocate (and zero) that much. FFmpeg's allocations are capped at 256 MB (ffio::quiet), so the
// file is read or refused without the memory.
TEST(Audio, SizeFieldsDoNotMakeHugeAllocations) {
  const auto bytes = vt_test::read_file(vt_test::source_dir() / "fuzz" / "corpus" / "audio" / "wav-huge-list.bin");
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  try {
    media::AudioReader reader(make_span_source(bytes, "huge-list.wav"), {.sample_rate = 8000, .max_duration_s = 2.0});
    std::vector<float> block;
    while (reader.next(block)) {
    }
  } catch (const Error& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
  }
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT((after.ru_maxrss - before.ru_maxrss) / 1024, 400) << "MB of peak memory for a 4 KB file";
}
