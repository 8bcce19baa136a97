// `veritrace detect --live`: a rolling verdict per window from a pipe, bad live input, bad flags.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {
std::string cli() { return vt_test::shell_quote(vt_test::cli_path().string()); }
}  // namespace

TEST(DetectLive, PipeGivesOneReportPerWindowThenAFinalOne) {
  VT_REQUIRE_SHARED(shared);
  VT_REQUIRE_FFMPEG();
  vt_test::TempDir tmp;
  // A real talking-head clip as MPEG-TS, the kind of stream a pipe carries (MP4 needs seeking).
  const fs::path ts = tmp.path() / "call.ts";
  auto r = vt_test::run("ffmpeg -nostdin -loglevel error -y -i " +
                        vt_test::shell_quote((shared / "data/video/dev/dev_002.mp4").string()) + " -c copy -f mpegts " +
                        vt_test::shell_quote(ts.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = vt_test::run("cat " + vt_test::shell_quote(ts.string()) + " | " + cli() + " detect --live - --window 2 --jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> reports;
  while (std::getline(lines, line)) reports.push_back(nlohmann::json::parse(line));
  ASSERT_GE(reports.size(), 4u) << r.out;  // a 10 s clip in 2 s windows
  double last_end = -1;
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& j = reports[i];
    EXPECT_EQ(j.at("schema_version"), "veritrace.detect/1");
    EXPECT_EQ(j.at("path"), "-");
    EXPECT_EQ(j.at("media_type"), "video");
    const auto& live = j.at("video").at("live");
    EXPECT_GT(live.at("window_end_s").get<double>(), last_end);
    last_end = live.at("window_end_s").get<double>();
    EXPECT_EQ(live.at("final").get<bool>(), i + 1 == reports.size());
    EXPECT_LT(live.at("report_ms").get<double>(), 2000.0);  // each verdict well inside a window
  }
  EXPECT_NEAR(last_end, 10.0, 0.2);
  // Once a face has been followed for 6 s, the pulse check applies and the verdict has a score.
  const auto& final_report = reports.back();
  EXPECT_FALSE(final_report.at("score").is_null());
  bool rppg_applied = false;
  for (const auto& d : final_report.at("detectors"))
    if (d.at("name") == "rppg") rppg_applied = d.at("status") == "applied";
  EXPECT_TRUE(rppg_applied);
}

TEST(DetectLive, BadLiveInputAndFlags) {
  vt_test::TempDir tmp;
  auto r = vt_test::run("head -c 20000 /dev/urandom | " + cli() + " detect --live -");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_FALSE(r.err.empty());
  r = vt_test::run(cli() + " detect --live " + vt_test::shell_quote((tmp.path() / "missing.ts").string()) + " < /dev/null");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = vt_test::run(cli() + " detect --live - some_file.mp4 < /dev/null");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = vt_test::run(cli() + " detect --live - --json < /dev/null");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(DetectVideoCli, JsonCarriesTheVideoFactsAndSegments) {
  VT_REQUIRE_SHARED(shared);
  const auto clip = shared / "data/video/dev/dev_002.mp4";
  const auto r = vt_test::run(cli() + " detect --json " + vt_test::shell_quote(clip.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;  // nothing flags a video on statistics alone (docs/detection-video.md)
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("media_type"), "video");
  EXPECT_EQ(j.at("width"), 640);
  EXPECT_EQ(j.at("height"), 360);
  const auto& v = j.at("video");
  EXPECT_NEAR(v.at("duration_s").get<double>(), 10.0, 0.1);
  EXPECT_EQ(v.at("frames_analysed").get<int>(), 150);  // 10 s at the default 15 frames/s
  EXPECT_GE(v.at("face_tracks").get<int>(), 1);
  ASSERT_TRUE(j.at("segments").is_array());
  ASSERT_FALSE(j.at("segments").empty());
  for (const auto& s : j.at("segments")) {
    // dev_002 has no sound track: lipsync does not apply; blink gives no time ranges.
    EXPECT_TRUE(s.at("detector") == "rppg" || s.at("detector") == "seam_flicker") << s.at("detector");
    EXPECT_LT(s.at("start_s").get<double>(), s.at("end_s").get<double>());
  }
  EXPECT_EQ(v.at("landmarks"), "dlib 68-point");
  // Key moments: the worst window of each detector with time ranges (rppg, seam_flicker); one
  // when the two fall within a second of each other.
  ASSERT_GE(j.at("key_frames").size(), 1u);
  ASSERT_LE(j.at("key_frames").size(), 2u);
  for (const auto& key : j.at("key_frames")) {
    EXPECT_TRUE(key.at("detector") == "rppg" || key.at("detector") == "seam_flicker") << key.at("detector");
    EXPECT_EQ(key.at("face_track"), 0);
    ASSERT_EQ(key.at("box").size(), 4u);
    EXPECT_GT(key.at("box")[2].get<double>(), 20.0);
  }
  EXPECT_EQ(j.at("verdict"), "unsure");
  EXPECT_FALSE(j.at("score").is_null());
}
