// The five example files of README command 1 (examples/README.md) give the verdicts the README
// promises, through the CLI as a user runs it: the AI-labelled signed image and the SDXL-marked
// image are synthetic, the clone edit is manipulated with both copies of the region located, the
// unedited photo is not flagged, the synthetic voice is synthetic with its speech segments.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

using vt_test::shell_quote;

namespace {

std::string example(const std::string& name) { return shell_quote((vt_test::source_dir() / "examples" / name).string()); }

struct Answer {
  int code;
  nlohmann::json json;
  std::string out, err;
};

Answer detect(const std::string& name) {
  const auto r = vt_test::run(shell_quote(vt_test::cli_path().string()) + " detect --no-repo --trust " +
                              example("test-root.pem") + " --json " + example(name));
  Answer a{r.exit_code, nullptr, r.out, r.err};
  try {
    a.json = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
  }
  return a;
}

const nlohmann::json* detector(const nlohmann::json& report, const std::string& name) {
  for (const auto& d : report["detectors"])
    if (d["name"] == name) return &d;
  return nullptr;
}

bool overlaps(const nlohmann::json& r, int x, int y, int w, int h) {
  const int rx = r["x"], ry = r["y"], rw = r["width"], rh = r["height"];
  const int ix = std::min(rx + rw, x + w) - std::max(rx, x), iy = std::min(ry + rh, y + h) - std::max(ry, y);
  return ix > 0 && iy > 0 && ix * iy >= w * h / 2;  // covers at least half of the true box
}

}  // namespace

TEST(DetectExamples, AiLabelledSignedImageIsSynthetic) {
  const Answer a = detect("ai-generated-es256.jpg");
  EXPECT_EQ(a.code, 1) << a.err;
  ASSERT_TRUE(a.json.is_object()) << a.out;
  EXPECT_EQ(a.json["verdict"], "synthetic");
  EXPECT_EQ(a.json["provenance"]["c2pa"]["state"], "Trusted");
}

TEST(DetectExamples, SdxlMarkedImageIsSyntheticFromSdxl) {
  const Answer a = detect("sdxl-watermarked.png");
  EXPECT_EQ(a.code, 1) << a.err;
  ASSERT_TRUE(a.json.is_object()) << a.out;
  EXPECT_EQ(a.json["verdict"], "synthetic");
  EXPECT_EQ(a.json["generator"], "sdxl");
  const nlohmann::json* w = detector(a.json, "watermarks");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ((*w)["status"], "applied");
}

TEST(DetectExamples, CloneEditIsManipulatedAndBothCopiesAreLocated) {
  const Answer a = detect("copy-move.jpg");
  ASSERT_TRUE(a.json.is_object()) << a.out << a.err;
  const nlohmann::json* cm = detector(a.json, "copy_move");
  ASSERT_NE(cm, nullptr);
  ASSERT_EQ((*cm)["status"], "applied") << (*cm)["reason"];
  // tools/make_examples.cpp pasted the 120x170 box at (705, 270) onto (585, 265).
  const auto& regions = (*cm)["evidence"]["regions"];
  ASSERT_TRUE(regions.is_array()) << cm->dump();
  bool source = false, copy = false;
  for (const auto& r : regions) {
    source = source || overlaps(r, 705, 270, 120, 170);
    copy = copy || overlaps(r, 585, 265, 120, 170);
  }
  EXPECT_TRUE(source && copy) << regions.dump();
  EXPECT_EQ(a.json["verdict"], "manipulated") << "fused score " << a.json["score"];
  EXPECT_EQ(a.code, 1) << a.err;
}

TEST(DetectExamples, RealPhotoIsNotFlagged) {
  const Answer a = detect("real-photo.jpg");
  EXPECT_EQ(a.code, 0) << a.err;
  ASSERT_TRUE(a.json.is_object()) << a.out;
  EXPECT_TRUE(a.json["verdict"] == "no_evidence" || a.json["verdict"] == "unsure") << a.json.dump(1);
  EXPECT_TRUE(a.json["generator"].is_null());
  // The copy-move detector must not see a clone in the unedited picture.
  const nlohmann::json* cm = detector(a.json, "copy_move");
  ASSERT_NE(cm, nullptr);
  EXPECT_FALSE((*cm)["evidence"].contains("regions") && !(*cm)["evidence"]["regions"].empty())
      << (*cm)["evidence"].dump();
}

TEST(DetectExamples, SyntheticVoiceIsSyntheticWithItsSpeechSegments) {
  const Answer a = detect("synthetic-voice.flac");
  ASSERT_EQ(a.code, 1) << a.err;  // flagged
  ASSERT_TRUE(a.json.is_object()) << a.out;
  const auto& r = a.json;
  EXPECT_EQ(r["media_type"], "audio");
  EXPECT_EQ(r["verdict"], "synthetic");
  EXPECT_EQ(r["audio"]["speech_segments"], 3);
  const auto* gmm = detector(r, "voice_gmm");
  ASSERT_NE(gmm, nullptr);
  EXPECT_EQ((*gmm)["status"], "applied");
  size_t speech = 0;
  for (const auto& s : r["segments"]) speech += s["label"] == "speech";
  EXPECT_EQ(speech, 6u);  // 3 segments x 2 voice detectors
}
