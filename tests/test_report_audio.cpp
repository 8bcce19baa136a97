// The reports of an audio file: the HTML shows the sound, the speech and the voice checks' timeline.
#include <gtest/gtest.h>

#include "support/synthetic_sound.hpp"
#include "support/test_support.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/report_detect.hpp"

namespace fs = std::filesystem;
namespace snd = vt_test::sound;

// The report a journalist reads: the HTML shows the sound's length and speech, each voice check in
// plain words, and the segment timeline; the text report names the worst stretch.
TEST(ReportAudio, ShowsTheSpeechTimeline) {
  vt_test::TempDir tmp;
  const fs::path wav = tmp.path() / "interview.wav";
  snd::write_wav16(wav, snd::speech_like(10.0, 6));
  const auto r = veritrace::detect::Engine().analyze_file(wav.string());
  ASSERT_FALSE(r.error) << *r.error;
  const std::string html = veritrace::report::detect_html({r}, {});
  EXPECT_NE(html.find("10.0 s of sound, 10.0 s of it speech"), std::string::npos);
  EXPECT_NE(html.find("class=\"timeline\""), std::string::npos);
  EXPECT_NE(html.find("every 4-second stretch of speech"), std::string::npos);
  EXPECT_NE(html.find("Cloned or synthetic voice (audio)"), std::string::npos);
  EXPECT_NE(html.find("Voice statistics (audio)"), std::string::npos);
  const std::string text = veritrace::report::detect_text(r);
  EXPECT_NE(text.find("speech segments"), std::string::npos) << text;
}

// Pictures, videos and sound each have their own fusion thresholds: a batch that mixes them says
// so in the legend instead of quoting one file's zones, and each file's gauge uses its own.
TEST(ReportAudio, MixedThresholdsAreNotQuotedAsOne) {
  veritrace::detect::FileReport picture, sound;
  picture.path = "a.jpg";
  picture.score = 0.2;
  picture.thresholds = veritrace::detect::Thresholds{0.66, 0.28, 0.5};
  sound.path = "b.flac";
  sound.media_type = veritrace::detect::MediaType::Audio;
  sound.score = 0.2;
  sound.thresholds = veritrace::detect::Thresholds{0.5, 0.1, 0.5};
  const std::string one = veritrace::report::detect_html({picture}, {});
  EXPECT_NE(one.find("from 0.94 a file is flagged, between 0.38 and 0.94"), std::string::npos);
  const std::string both = veritrace::report::detect_html({picture, sound}, {});
  EXPECT_EQ(both.find("a file is flagged, between"), std::string::npos);
  EXPECT_NE(both.find("depends on the kind of file"), std::string::npos);
}
