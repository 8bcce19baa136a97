// The engine on sound: audio files of every container FFmpeg reads (made here with the ffmpeg
// tool from a speech-like signal), the sound tracks of videos, speech checks, segments in the
// report, and bad input of every kind (never a crash; a clear result or error).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cmath>
#include <fstream>

#include "support/synthetic_sound.hpp"
#include "support/test_support.hpp"
#include "veritrace/detect.hpp"

namespace fs = std::filesystem;
namespace det = veritrace::detect;
namespace snd = vt_test::sound;

namespace {

fs::path ffmpeg(const fs::path& out, const std::string& args) {
  const auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y " + args + " " + vt_test::shell_quote(out.string()));
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
  return out;
}

const det::Engine& engine() {
  static const det::Engine e(det::EngineOptions{});
  return e;
}

const det::DetectorResult* find(const det::FileReport& r, const std::string& name) {
  for (const auto& d : r.detectors)
    if (d.name == name) return &d;
  return nullptr;
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

TEST(DetectAudio, EveryContainerIsDecodedAndItsSpeechScored) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path wav = tmp.path() / "speech.wav";
  snd::write_wav16(wav, snd::speech_like(6.0, 3));
  const std::string in = "-i " + vt_test::shell_quote(wav.string());
  struct Case {
    std::string name, args;
    det::MediaType type;
  };
  const std::vector<Case> cases = {
      {"speech.flac", in, det::MediaType::Audio},
      {"speech.mp3", in + " -c:a libmp3lame -b:a 64k", det::MediaType::Audio},
      {"speech.m4a", in + " -c:a aac -b:a 48k", det::MediaType::Audio},
      {"speech.ogg", in + " -c:a libopus -b:a 16k", det::MediaType::Audio},
      {"speech.opus", in + " -c:a libopus -b:a 24k", det::MediaType::Audio},
      {"speech_u8.wav", in + " -c:a pcm_u8", det::MediaType::Audio},
      {"speech_192k.wav", in + " -ar 192000 -c:a pcm_s24le", det::MediaType::Audio},
      {"speech_8ch.wav", in + " -af 'pan=7.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0|c6=c0|c7=c0'", det::MediaType::Audio},
      {"speech_8k.wav", in + " -ar 8000", det::MediaType::Audio},
      {"speech.mka", in + " -c:a flac", det::MediaType::Audio},
      {"talk.mp4", "-f lavfi -i testsrc=size=160x120:rate=10 " + in + " -shortest -c:v mpeg4 -c:a aac", det::MediaType::Video},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path file = ffmpeg(tmp.path() / c.name, c.args);
    const det::FileReport r = engine().analyze_file(file.string());
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_EQ(r.media_type, c.type);
    ASSERT_FALSE(r.audio.empty());
    EXPECT_NEAR(r.audio.at("analysed_s").get<double>(), 6.0, 0.15);
    EXPECT_GE(r.audio.at("speech_segments").get<int>(), 1);
    for (const char* name : {"voice_gmm", "voice_lcnn"}) {
      const auto* d = find(r, name);
      ASSERT_NE(d, nullptr) << name;
      EXPECT_EQ(d->status, det::Status::Applied) << name << ": " << d->reason;
      ASSERT_TRUE(d->score) << name;
      EXPECT_TRUE(std::isfinite(*d->score));
      EXPECT_FALSE(d->evidence.time_ranges.empty());
    }
    EXPECT_TRUE(r.score) << "a file whose speech was scored has a fused score";
    // The voice evidence is calibrated and fused for sound files and for videos alike.
    EXPECT_TRUE(find(r, "voice_gmm")->probability) << "the fusion model calibrates voice_gmm";
  }
}

TEST(DetectAudio, SegmentsAndTheAudioSummaryAreInTheJson) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path wav = tmp.path() / "long.wav";
  snd::write_wav16(wav, snd::speech_like(9.0, 4));
  const auto j = det::to_json(engine().analyze_file(wav.string()));
  EXPECT_EQ(j.at("media_type"), "audio");
  EXPECT_EQ(j.at("audio").at("segments"), 4);  // 0-4, 2-6, 4-8 and the last 4 s (5-9)
  EXPECT_EQ(j.at("audio").at("source_rate"), 16000);
  size_t gmm_segments = 0;
  for (const auto& s : j.at("segments")) {
    if (s.at("detector") != "voice_gmm") continue;
    ++gmm_segments;
    EXPECT_LE(s.at("end_s").get<double>(), 9.0 + 1e-9);
    EXPECT_NEAR(s.at("end_s").get<double>() - s.at("start_s").get<double>(), 4.0, 1e-9);
  }
  EXPECT_EQ(gmm_segments, 4u);
}

TEST(DetectAudio, SilenceNoiseAndMusicAreNotApplicable) {
  vt_test::TempDir tmp;
  struct Case {
    std::string name;
    std::vector<float> samples;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"silence.wav", std::vector<float>(16000 * 5, 0.0f), "mostly silence"},
      {"noise.wav", snd::white_noise(5.0, 0.05, 9), "no pauses"},
      {"chord.wav", snd::sustained_chord(5.0), "no pauses"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path p = tmp.path() / c.name;
    snd::write_wav16(p, c.samples);
    const auto r = engine().analyze_file(p.string());
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_EQ(r.verdict, det::Verdict::NotApplicable);
    EXPECT_FALSE(r.score);
    const auto* d = find(r, "voice_lcnn");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->status, det::Status::NotApplicable);
    EXPECT_NE(d->reason.find("no speech"), std::string::npos) << d->reason;
    EXPECT_NE(d->reason.find(c.why), std::string::npos) << d->reason;
  }
}

TEST(DetectAudio, AVideoWithoutSoundSaysSo) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path mp4 = ffmpeg(tmp.path() / "mute.mp4", "-f lavfi -i testsrc=size=160x120:rate=10:duration=2 -c:v mpeg4");
  const auto r = engine().analyze_file(mp4.string());
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.media_type, det::MediaType::Video);
  const auto* d = find(r, "voice_gmm");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, det::Status::NotApplicable);
  EXPECT_EQ(d->reason, "the video has no sound track");
}

TEST(DetectAudio, BadInputGivesAClearResultNeverACrash) {
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  const fs::path wav = tmp.path() / "speech.wav";
  snd::write_wav16(wav, snd::speech_like(6.0, 5));
  const std::string in = "-i " + vt_test::shell_quote(wav.string());
  // Zero-length and junk files are errors for this file only.
  vt_test::write_file(tmp.path() / "empty.wav", {});
  auto r = engine().analyze_file((tmp.path() / "empty.wav").string());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("empty"), std::string::npos) << *r.error;
  std::vector<uint8_t> junk = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'W', 'A', 'V', 'E'};
  junk.resize(4000, 0x5a);
  vt_test::write_file(tmp.path() / "junk.wav", junk);
  r = engine().analyze_file((tmp.path() / "junk.wav").string());
  ASSERT_TRUE(r.error);
  EXPECT_FALSE(r.error->empty());
  // Truncated and damaged compressed files: decoded as far as they go, or a clear error.
  for (const std::string name : {"cut.mp3", "cut.flac", "cut.m4a", "cut.ogg"}) {
    SCOPED_TRACE(name);
    const std::string codec = name.ends_with(".mp3") ? "-c:a libmp3lame" : name.ends_with(".ogg") ? "-c:a libopus" : "";
    const fs::path full = ffmpeg(tmp.path() / ("full_" + name), in + " " + codec);
    auto bytes = vt_test::read_file(full);
    for (double keep : {0.5, 0.1}) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() * keep));
      vt_test::write_file(tmp.path() / name, cut);
      r = engine().analyze_file((tmp.path() / name).string());
      if (r.error) EXPECT_FALSE(r.error->empty());
      else EXPECT_LE(r.audio.value("analysed_s", 0.0), 6.1);
    }
    // Garbage in the middle of the stream (corrupt frames).
    auto damaged = bytes;
    for (size_t i = damaged.size() / 3; i < damaged.size() / 3 + 600 && i < damaged.size(); ++i) damaged[i] = static_cast<uint8_t>(i * 37);
    vt_test::write_file(tmp.path() / name, damaged);
    r = engine().analyze_file((tmp.path() / name).string());
    if (r.error) EXPECT_FALSE(r.error->empty());
    else EXPECT_GT(r.audio.value("analysed_s", 0.0), 1.0);
  }
  // A 2 ms clip: too short to hold speech.
  snd::write_wav16(tmp.path() / "blip.wav", snd::speech_like(0.002, 1));
  r = engine().analyze_file((tmp.path() / "blip.wav").string());
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.verdict, det::Verdict::NotApplicable);
}

// Ten hours of sound (a sparse WAV: silence) are read as a stream: every second is analysed and
// memory stays far below the 2.3 GB the decoded samples would take.
TEST(DetectAudio, TenHourFileInBoundedMemory) {
  vt_test::TempDir tmp;
  const fs::path p = tmp.path() / "ten_hours.wav";
  const uint32_t rate = 8000, hours = 10;
  const uint32_t data = rate * 3600u * hours * 2u;
  {
    std::ofstream out(p, std::ios::binary);
    snd::write_wav16_header(out, rate, data);
  }
  fs::resize_file(p, 44 + static_cast<uintmax_t>(data));  // sparse: no disk used
  const long before = max_rss_kb();
  const auto r = engine().analyze_file(p.string());
  const long grown_mb = (max_rss_kb() - before) / 1024;
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_NEAR(r.audio.at("analysed_s").get<double>(), 36000.0, 0.01);
  EXPECT_EQ(r.verdict, det::Verdict::NotApplicable);
  // AddressSanitizer keeps freed blocks in quarantine (256 MB by default) and adds shadow memory,
  // so its bound is looser; either is far below the 2.3 GB of decoded samples a non-streaming
  // reader would hold.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kBoundMb = 1000;
#else
  constexpr long kBoundMb = 300;
#endif
  EXPECT_LT(grown_mb, kBoundMb) << "peak memory grew by " << grown_mb << " MB";
}

