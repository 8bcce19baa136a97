// The detection engine: fusion on fixed inputs, provenance joins, bad input of every kind.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "detect/fusion.hpp"
#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "veritrace/detect.hpp"
#include "veritrace/watermark.hpp"

namespace vt = veritrace;
namespace det = veritrace::detect;

namespace {

det::EngineOptions opts(std::vector<std::string> detectors, std::vector<std::string> trust = {}) {
  det::EngineOptions o;
  o.detectors = std::move(detectors);
  o.trust_anchor_files = std::move(trust);
  o.use_repository = false;
  return o;
}

det::FusionModel model_of(const char* json_text) { return det::FusionModel::from_json(nlohmann::json::parse(json_text)); }

constexpr const char* kModel = R"({
  "version": "test", "threshold": 0.5, "unsure_band": 0.1,
  "heads": {"synthetic": {"intercept": -1.0}, "manipulated": {"intercept": -2.0}},
  "detectors": {
    "a": {"calibration": {"a": 2.0, "b": -1.0}, "weight": 1.0},
    "b": {"calibration": {"a": 1.0, "b": 0.0}, "weight": 0.5, "heatmap_weight": 3.0},
    "m": {"calibration": {"a": 4.0, "b": -2.0}, "weight": 1.0}
  }})";

det::DetectorResult result(const std::string& name, std::optional<double> score, det::Finding f = det::Finding::Synthetic) {
  det::DetectorResult r;
  r.name = name;
  r.version = "1";
  r.status = det::Status::Applied;
  r.score = score;
  r.points_to = f;
  r.evidence.summary = name + " found something";
  return r;
}

double expected_score(std::initializer_list<std::pair<double, double>> calibrated_and_weight, double intercept) {
  double z = intercept;
  for (auto [p, w] : calibrated_and_weight) z += w * std::log(p / (1 - p));
  return 1 / (1 + std::exp(-z));
}

}  // namespace

TEST(DetectFusion, CalibratesEachDetectorAndCombinesLogits) {
  const auto model = model_of(kModel);
  det::FileReport r;
  r.width = r.height = 4;
  r.detectors = {result("a", 1.5), result("b", -0.5)};
  det::fuse(model, model.thresholds, r);
  const double pa = 1 / (1 + std::exp(-(2.0 * 1.5 - 1.0)));
  const double pb = 1 / (1 + std::exp(0.5));
  ASSERT_TRUE(r.detectors[0].probability && r.detectors[1].probability);
  EXPECT_NEAR(*r.detectors[0].probability, pa, 1e-12);
  EXPECT_NEAR(*r.detectors[1].probability, pb, 1e-12);
  ASSERT_TRUE(r.score);
  EXPECT_NEAR(*r.score, expected_score({{pa, 1.0}, {pb, 0.5}}, -1.0), 1e-12);
}

TEST(DetectFusion, VerdictFollowsThresholdAndUnsureBand) {
  const auto model = model_of(kModel);
  auto verdict_for = [&](double raw_a) {
    det::FileReport r;
    r.detectors = {result("a", raw_a)};
    det::fuse(model, model.thresholds, r);
    return std::make_pair(r.verdict, *r.score);
  };
  // score = sigmoid(-1 + (2 raw - 1)) = sigmoid(2 raw - 2): raw 1 -> 0.5 (unsure), raw 3 -> 0.98, raw -1 -> 0.018
  EXPECT_EQ(verdict_for(1.0).first, det::Verdict::Unsure);
  EXPECT_NEAR(verdict_for(1.0).second, 0.5, 1e-12);
  EXPECT_EQ(verdict_for(3.0).first, det::Verdict::Synthetic);
  EXPECT_EQ(verdict_for(-1.0).first, det::Verdict::NoEvidence);
  // Just below the band's upper edge (0.6) is unsure; just above is flagged.
  const double raw_06 = (std::log(0.6 / 0.4) + 2) / 2;
  EXPECT_EQ(verdict_for(raw_06 - 1e-6).first, det::Verdict::Unsure);
  EXPECT_EQ(verdict_for(raw_06 + 1e-6).first, det::Verdict::Synthetic);
  const double raw_04 = (std::log(0.4 / 0.6) + 2) / 2;
  EXPECT_EQ(verdict_for(raw_04 - 1e-6).first, det::Verdict::NoEvidence);
}

TEST(DetectFusion, EachHeadCombinesItsOwnDetectorsAndTheLargerDecides) {
  const auto model = model_of(kModel);
  det::FileReport r;
  r.detectors = {result("a", 0.4), result("m", 2.0, det::Finding::Manipulated)};
  det::fuse(model, model.thresholds, r);
  const double pa = 1 / (1 + std::exp(-(2.0 * 0.4 - 1.0)));
  const double pm = 1 / (1 + std::exp(-(4.0 * 2.0 - 2.0)));
  const double synthetic = expected_score({{pa, 1.0}}, -1.0), manipulated = expected_score({{pm, 1.0}}, -2.0);
  ASSERT_GT(manipulated, synthetic);
  EXPECT_NEAR(*r.score, manipulated, 1e-12);
  EXPECT_EQ(r.verdict, det::Verdict::Manipulated);
  // Evidence of one kind does not leak into the other head.
  det::FileReport only_synthetic;
  only_synthetic.detectors = {result("a", 0.4)};
  det::fuse(model, model.thresholds, only_synthetic);
  EXPECT_NEAR(*only_synthetic.score, synthetic, 1e-12);
}

constexpr const char* kJointModel = R"({
  "version": "test-joint", "combine": "joint", "threshold": 0.5, "unsure_band": 0.1,
  "heads": {"joint": {"intercept": -1.5}},
  "detectors": {
    "a": {"calibration": {"a": 2.0, "b": -1.0}, "weight": 1.0},
    "m": {"calibration": {"a": 4.0, "b": -2.0}, "weight": 0.5}
  }})";

TEST(DetectFusion, JointHeadAddsEveryDetectorsEvidenceAndTheStrongerKindNamesTheVerdict) {
  const auto model = model_of(kJointModel);
  ASSERT_TRUE(model.joint);
  det::FileReport r;
  r.detectors = {result("a", 0.4), result("m", 2.0, det::Finding::Manipulated)};
  det::fuse(model, model.thresholds, r);
  const double pa = 1 / (1 + std::exp(-(2.0 * 0.4 - 1.0)));
  const double pm = 1 / (1 + std::exp(-(4.0 * 2.0 - 2.0)));
  ASSERT_TRUE(r.score);
  // One logistic model over both kinds (not the larger of two heads).
  EXPECT_NEAR(*r.score, expected_score({{pa, 1.0}, {pm, 0.5}}, -1.5), 1e-12);
  EXPECT_EQ(r.verdict, det::Verdict::Manipulated);  // only "m" added positive evidence
  det::FileReport s;
  s.detectors = {result("a", 3.0), result("m", 0.0, det::Finding::Manipulated)};
  det::fuse(model, model.thresholds, s);
  EXPECT_NEAR(*s.score, expected_score({{1 / (1 + std::exp(-5.0)), 1.0}, {1 / (1 + std::exp(2.0)), 0.5}}, -1.5), 1e-12);
  EXPECT_EQ(s.verdict, det::Verdict::Synthetic);
  // Nothing voted: the head says nothing.
  det::FileReport none;
  auto uncal = result("zzz", 1.0);
  none.detectors = {uncal};
  det::fuse(model, model.thresholds, none);
  ASSERT_TRUE(none.score);
  EXPECT_EQ(*none.score, 0.0);
  EXPECT_EQ(none.verdict, det::Verdict::NoEvidence);
}

TEST(DetectFusion, JointHeadImputesDetectorsThatDidNotRun) {
  const auto model = model_of(R"({
    "version": "t", "combine": "joint", "threshold": 0.5, "unsure_band": 0.1,
    "heads": {"joint": {"intercept": 1.0}},
    "detectors": {
      "a": {"calibration": {"a": 1.0, "b": 0.0}, "weight": 1.0, "impute": -2.0},
      "m": {"calibration": {"a": 1.0, "b": 0.0}, "weight": 0.5, "impute": -3.0}
    }})");
  // Only "a" ran: "m" counts at its imputed logit, so a missing detector is neutral, not evidence.
  det::FileReport r;
  r.detectors = {result("a", 0.7)};
  det::fuse(model, model.thresholds, r);
  ASSERT_TRUE(r.score);
  EXPECT_NEAR(*r.score, 1 / (1 + std::exp(-(1.0 + 0.7 + 0.5 * -3.0))), 1e-12);
  // Both ran: the plain sum.
  det::FileReport both;
  both.detectors = {result("a", -1.9), result("m", -1.0, det::Finding::Manipulated)};
  det::Thresholds low;  // flag at 0.15, so that this file (score 0.20) gets a named verdict
  low.threshold = 0.1;
  low.unsure_band = 0.05;
  det::fuse(model, low, both);
  EXPECT_NEAR(*both.score, 1 / (1 + std::exp(-(1.0 - 1.9 + 0.5 * -1.0))), 1e-12);
  // Evidence beyond the typical value names the kind: "m" is 2 above its typical -3 (x 0.5 = 1.0),
  // "a" only 0.1 above its -2, although both probabilities are below one half.
  EXPECT_EQ(both.verdict, det::Verdict::Manipulated);
}

TEST(DetectFusion, UnknownCombineModeIsRejected) {
  EXPECT_THROW(model_of(R"({"version": "x", "combine": "median", "threshold": 0.5, "unsure_band": 0.1})"), veritrace::Error);
}

TEST(DetectFusion, RulesDecideAndNameTheGenerator) {
  const auto model = model_of(kModel);
  det::FileReport r;
  auto rule = result("watermarks", std::nullopt);
  rule.decision = det::Decision::Synthetic;
  rule.generator = "sdxl";
  rule.evidence.summary = "generator mark";
  r.detectors = {result("a", -3.0), rule};
  det::fuse(model, model.thresholds, r);
  EXPECT_EQ(r.verdict, det::Verdict::Synthetic);
  ASSERT_TRUE(r.generator);
  EXPECT_EQ(*r.generator, "sdxl");
  EXPECT_GE(*r.score, 0.99);
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_EQ(r.reasons[0], "generator mark");
}

TEST(DetectFusion, NothingAppliedIsNotApplicableWithoutScore) {
  const auto model = model_of(kModel);
  det::FileReport r;
  auto na = result("a", std::nullopt);
  na.status = det::Status::NotApplicable;
  r.detectors = {na};
  det::fuse(model, model.thresholds, r);
  EXPECT_EQ(r.verdict, det::Verdict::NotApplicable);
  EXPECT_FALSE(r.score);
}

TEST(DetectFusion, UncalibratedDetectorsDoNotVote) {
  const auto model = model_of(kModel);
  det::FileReport r;
  r.detectors = {result("unknown", 100.0)};
  det::fuse(model, model.thresholds, r);
  EXPECT_FALSE(r.detectors[0].probability);
  ASSERT_TRUE(r.score);
  EXPECT_EQ(*r.score, 0.0);  // no head spoke
  EXPECT_EQ(r.verdict, det::Verdict::NoEvidence);
}

TEST(DetectFusion, HeatmapsAreWeightedAndScaledToOneGrid) {
  const auto model = model_of(kModel);
  det::FileReport r;
  r.width = 8;
  r.height = 4;
  auto a = result("a", 0.0);
  a.evidence.heatmap = {8, 4, std::vector<float>(32, 1.0f)};
  auto b = result("b", 0.0);
  b.evidence.heatmap = {4, 2, std::vector<float>(8, 0.0f)};  // a coarser map
  r.detectors = {a, b};
  det::fuse(model, model.thresholds, r);
  ASSERT_EQ(r.heatmap.width, 8);
  ASSERT_EQ(r.heatmap.height, 4);
  for (float v : r.heatmap.values) EXPECT_NEAR(v, 1.0 / (1.0 + 3.0), 1e-6);  // weights 1 and 3
}

TEST(DetectFusion, VideoSectionIsItsOwnJointModel) {
  const auto model = model_of(R"({
    "version": "test", "threshold": 0.5, "unsure_band": 0.1, "combine": "joint",
    "heads": {"joint": {"intercept": 0.0}},
    "detectors": {"a": {"calibration": {"a": 1.0, "b": 0.0}, "weight": 1.0}},
    "video": {"version": "v", "threshold": 0.3, "unsure_band": 0.05, "combine": "joint",
              "heads": {"joint": {"intercept": -0.5}},
              "detectors": {"face_sbi": {"calibration": {"a": 2.0, "b": 0.0}, "weight": 1.5, "impute": 0.2},
                            "rppg": {"calibration": {"a": 1.0, "b": -0.5}, "weight": 0.5, "impute": -0.4}}}})");
  ASSERT_TRUE(model.video);
  EXPECT_DOUBLE_EQ(model.video->thresholds.threshold, 0.3);
  EXPECT_TRUE(model.video->joint);
  EXPECT_FALSE(model.video->video);
  det::FileReport r;
  r.media_type = det::MediaType::Video;
  r.detectors = {result("face_sbi", 0.8, det::Finding::Manipulated)};
  det::fuse(*model.video, model.video->thresholds, r);
  // intercept + 1.5 * logit(sigmoid(2 * 0.8)) + rppg did not run: 0.5 * its imputed logit
  const double z = -0.5 + 1.5 * (2.0 * 0.8) + 0.5 * -0.4;
  ASSERT_TRUE(r.score);
  EXPECT_NEAR(*r.score, 1 / (1 + std::exp(-z)), 1e-9);
  EXPECT_EQ(r.verdict, det::Verdict::Manipulated);
}

TEST(DetectFusion, ShippedModelParses) {
  const auto& m = det::FusionModel::shipped();
  EXPECT_GT(m.thresholds.threshold, 0.0);
  EXPECT_LT(m.thresholds.threshold, 1.0);
  EXPECT_FALSE(m.version.empty());
}

// ---- the engine on bad input: a clear error per file, never a crash ---------------------------

namespace {
det::Engine& engine() {
  static det::Engine e(opts({}));
  return e;
}
std::vector<uint8_t> png_of(const vt::media::Image& img) { return vt::media::encode_png(img); }
}  // namespace

TEST(DetectEngine, BadInputGivesAnErrorReport) {
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    const char* kind;
  };
  auto jpeg = vt::media::encode_jpeg(vt_test::photo_like(300, 200, 1), 90);
  std::vector<uint8_t> truncated(jpeg.begin(), jpeg.begin() + jpeg.size() / 3);
  // A PNG header claiming 100000 x 100000 pixels: refused before any allocation.
  auto huge = png_of(vt_test::photo_like(8, 8, 2));
  huge[16] = 0x00, huge[17] = 0x01, huge[18] = 0x86, huge[19] = 0xA0;  // width 100000
  huge[20] = 0x00, huge[21] = 0x01, huge[22] = 0x86, huge[23] = 0xA0;  // height 100000
  const std::vector<Case> cases = {
      {"zero bytes", {}, nullptr},
      {"text", std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}, "unsupported"},
      {"truncated jpeg", truncated, nullptr},
      {"huge png", huge, nullptr},
  };
  for (const auto& c : cases) {
    const det::FileReport r = engine().analyze_bytes(c.bytes, c.name);
    ASSERT_TRUE(r.error) << c.name;
    EXPECT_FALSE(r.error->empty()) << c.name;
    if (c.kind) {
      EXPECT_EQ(r.error_kind, c.kind) << c.name;
    }
    const auto j = det::to_json(r);
    EXPECT_EQ(j["schema_version"], det::kSchemaVersion);
    EXPECT_TRUE(j["error"].is_object());
    EXPECT_TRUE(j["verdict"].is_null());
  }
}

TEST(DetectEngine, CmykAnimatedAndGifGiveAClearUnsupportedError) {
  // CMYK JPEG (libjpeg-turbo writes Adobe CMYK from CMYK pixels).
  std::vector<uint8_t> cmyk(16 * 16 * 4);
  for (size_t i = 0; i < cmyk.size(); ++i) cmyk[i] = static_cast<uint8_t>(i * 13);
  tjhandle tj = tjInitCompress();
  ASSERT_NE(tj, nullptr);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, cmyk.data(), 16, 0, 16, TJPF_CMYK, &out, &size, TJSAMP_444, 90, 0), 0);
  std::vector<uint8_t> jpg(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  // Animated WebP: a VP8X header with the animation flag and an ANIM chunk.
  std::vector<uint8_t> webp = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0, 0x02,
                               0,   0,   0,   15,  0, 0, 15, 0, 0, 'A', 'N', 'I', 'M', 6, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint32_t riff = static_cast<uint32_t>(webp.size() - 8);
  for (int i = 0; i < 4; ++i) webp[4 + i] = static_cast<uint8_t>(riff >> (8 * i));
  // A GIF (pixels not decoded for detection, and no Content Credentials).
  const std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';'};
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::vector<uint8_t>>>{{"cmyk.jpg", jpg}, {"anim.webp", webp}, {"x.gif", gif}}) {
    const det::FileReport r = engine().analyze_bytes(bytes, name);
    ASSERT_TRUE(r.error) << name;
    EXPECT_EQ(r.error_kind, "unsupported") << name << ": " << *r.error;
  }
}

TEST(DetectEngine, SixteenBitPngIsAnalysed) {
  const auto path = vt_test::source_dir() / "tests/fixtures/media/gray16.png";
  const det::FileReport r = engine().analyze_file(path.string());
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.width, 3);
  EXPECT_NE(r.verdict, det::Verdict::Synthetic);
}

TEST(DetectEngine, TinyGraySixteenBitAndAlphaImagesAreAnalysed) {
  vt::media::Image one;
  one.width = one.height = 1;
  one.channels = 3;
  one.pixels = {10, 20, 30};
  vt::media::Image gray = vt_test::photo_like(96, 80, 3);
  vt::media::Image g1;
  g1.width = gray.width, g1.height = gray.height, g1.channels = 1;
  for (size_t i = 0; i < gray.pixels.size(); i += 3) g1.pixels.push_back(gray.pixels[i]);
  vt::media::Image rgba;
  rgba.width = 64, rgba.height = 64, rgba.channels = 4;
  rgba.pixels.assign(64 * 64 * 4, 200);
  for (const auto& img : {one, g1, rgba}) {
    const det::FileReport r = engine().analyze_bytes(png_of(img), "x.png");
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_EQ(r.width, img.width);
    EXPECT_FALSE(r.detectors.empty());
    for (const auto& d : r.detectors) EXPECT_NE(d.status, det::Status::Error) << d.name << ": " << d.reason;
  }
}

TEST(DetectEngine, FoldersAndMissingFilesAreErrors) {
  vt_test::TempDir dir;
  EXPECT_TRUE(engine().analyze_file(dir.path().string()).error);
  EXPECT_TRUE(engine().analyze_file((dir.path() / "missing.jpg").string()).error);
}

TEST(DetectEngine, UnknownDetectorOrBadThresholdIsAUsageError) {
  try {
    det::Engine e(opts({"nope"}));
    FAIL() << "no error";
  } catch (const vt::Error& e) {
    EXPECT_EQ(e.kind(), vt::ErrorKind::Usage);
  }
  det::EngineOptions bad_threshold = opts({});
  bad_threshold.threshold = 1.5;
  EXPECT_THROW(det::Engine{bad_threshold}, vt::Error);
  det::EngineOptions bad_band = opts({});
  bad_band.unsure_band = 0.7;
  EXPECT_THROW(det::Engine{bad_band}, vt::Error);
}

TEST(DetectEngine, ManyFilesInParallelKeepTheirIndex) {
  vt_test::TempDir dir;
  std::vector<std::string> paths;
  for (int i = 0; i < 6; ++i) {
    const auto p = dir.path() / ("f" + std::to_string(i) + ".png");
    vt_test::write_file(p, png_of(vt_test::photo_like(64 + 8 * i, 64, i)));
    paths.push_back(p.string());
  }
  paths.push_back((dir.path() / "missing.png").string());
  std::vector<int> seen(paths.size(), 0);
  det::Engine e(opts({"c2pa", "metadata"}));
  e.analyze_many(paths, 3, [&](size_t i, det::FileReport&& r) {
    ++seen[i];
    EXPECT_EQ(r.path, paths[i]);
    if (i < 6) {
      EXPECT_FALSE(r.error);
      EXPECT_EQ(r.width, 64 + 8 * static_cast<int>(i));
    } else {
      EXPECT_TRUE(r.error);
    }
  });
  for (int s : seen) EXPECT_EQ(s, 1);
}

// ---- provenance joins ---------------------------------------------------------------------------

TEST(DetectProvenance, SignedAiExampleIsSyntheticWithTheReason) {
  det::Engine e(opts({"c2pa"}, {(vt_test::source_dir() / "examples/test-root.pem").string()}));
  const auto r = e.analyze_file((vt_test::source_dir() / "examples/ai-generated-es256.jpg").string());
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.verdict, det::Verdict::Synthetic);
  ASSERT_FALSE(r.reasons.empty());
  EXPECT_NE(r.reasons[0].find("trainedAlgorithmicMedia"), std::string::npos) << r.reasons[0];
  EXPECT_EQ(r.provenance["c2pa"]["state"], "Trusted");
  EXPECT_EQ(r.provenance["c2pa"]["digital_source_type"], "trainedAlgorithmicMedia");
}

TEST(DetectProvenance, EditedPixelsInvalidateTheManifestAndItIsNotUsed) {
  auto bytes = vt_test::read_file(vt_test::source_dir() / "examples/ai-generated-es256.jpg");
  bytes[bytes.size() - 100] ^= 0x55;  // inside the entropy-coded data: the hard binding fails
  det::Engine e(opts({"c2pa"}));
  const auto r = e.analyze_bytes(bytes, "edited.jpg");
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.provenance["c2pa"]["state"], "Invalid");
  EXPECT_NE(r.verdict, det::Verdict::Synthetic);
  ASSERT_EQ(r.detectors.size(), 1u);
  EXPECT_EQ(r.detectors[0].decision, det::Decision::None);
  EXPECT_NE(r.detectors[0].evidence.summary.find("do not validate"), std::string::npos);
}

TEST(DetectProvenance, KnownGeneratorMarkGivesSyntheticAndNamesTheGenerator) {
  VT_REQUIRE_SHARED(shared);
  const auto labels = shared / "data/watermark/known_dev/labels.tsv";
  std::ifstream in(labels);
  ASSERT_TRUE(in) << labels;
  std::string line, header;
  std::getline(in, header);
  det::Engine e(opts({"watermarks"}));
  int checked = 0;
  int unmarked = 0;
  while (std::getline(in, line) && (checked < 6 || unmarked < 3)) {
    // Columns: file, label, mark, transform, ..., lib_agree (9th): the files the generator's own
    // library decodes (lib_agree >= 0.75) must be found; unmarked files must not be called synthetic.
    std::vector<std::string> cells;
    for (size_t start = 0, tab; start <= line.size(); start = tab + 1) {
      tab = line.find('\t', start);
      if (tab == std::string::npos) tab = line.size();
      cells.push_back(line.substr(start, tab - start));
    }
    if (cells.size() < 9) continue;
    if (cells[1] == "unmarked") {
      if (unmarked >= 3) continue;
      const auto r = e.analyze_file((labels.parent_path() / cells[0]).string());
      ASSERT_FALSE(r.error) << *r.error;
      EXPECT_NE(r.verdict, det::Verdict::Synthetic) << cells[0];
      EXPECT_FALSE(r.generator) << cells[0];
      ++unmarked;
      continue;
    }
    if (checked >= 6 || cells[1] != "marked" || std::stod(cells[8]) < 0.75) continue;
    const auto r = e.analyze_file((labels.parent_path() / cells[0]).string());
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_EQ(r.verdict, det::Verdict::Synthetic) << cells[0];
    ASSERT_TRUE(r.generator) << cells[0];
    const std::string want = cells[2] == "sd1" || cells[2] == "sd2" ? "stable-diffusion" : cells[2];
    EXPECT_EQ(*r.generator, want) << cells[0];
    ++checked;
  }
  EXPECT_EQ(checked, 6) << "too few marked files in known_dev";
  EXPECT_EQ(unmarked, 3);
}

namespace {
// AI digital source types that the reference's report declares in the active manifest's actions or
// in those of its ingredient manifests (walked as the reference lists them).
bool reference_declares_ai(const nlohmann::json& ref) {
  const auto& manifests = ref.value("manifests", nlohmann::json::object());
  std::function<bool(const nlohmann::json&, int)> walk = [&](const nlohmann::json& m, int depth) {
    for (const auto& a : m.value("assertions", nlohmann::json::array())) {
      if (a.value("label", "").rfind("c2pa.actions", 0) != 0 || !a.contains("data") || !a["data"].is_object()) continue;
      for (const auto& act : a["data"].value("actions", nlohmann::json::array())) {
        const std::string t = act.value("digitalSourceType", "");
        if (t.find("rainedAlgorithmicMedia") != std::string::npos || t.ends_with("/algorithmicMedia") ||
            t.find("compositeSynthetic") != std::string::npos)
          return true;
      }
    }
    if (depth >= 3) return false;
    for (const auto& ing : m.value("ingredients", nlohmann::json::array())) {
      const std::string label = ing.value("active_manifest", "");
      if (!label.empty() && manifests.contains(label) && walk(manifests[label], depth + 1)) return true;
    }
    return false;
  };
  const std::string active = ref.value("active_manifest", "");
  return manifests.contains(active) && walk(manifests[active], 0);
}
}  // namespace

// Goal of the issue: every C2PA file of the corpus whose valid manifest declares an AI source type is
// synthetic (or manipulated for a declared composite); no other file is flagged by provenance.
TEST(DetectProvenance, CorpusFilesDeclaringAiAreFlaggedAndNoOthers) {
  VT_REQUIRE_SHARED(shared);
  const auto root = shared / "data/c2pa";
  std::ifstream in(root / "INDEX.tsv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);
  det::EngineOptions o = opts({"c2pa"});
  o.no_trust_check = true;
  det::Engine e(o);
  int declared = 0, flagged_others = 0, files = 0;
  while (std::getline(in, line)) {
    const std::string file = line.substr(0, line.find('\t'));
    std::vector<std::string> cells;
    for (size_t start = 0, tab; start <= line.size(); start = tab + 1) {
      tab = line.find('\t', start);
      if (tab == std::string::npos) tab = line.size();
      cells.push_back(line.substr(start, tab - start));
    }
    const auto ref_path = root / "ref" / (file + ".json");
    if (!std::filesystem::exists(ref_path) || cells.size() < 4) continue;
    const auto ref = nlohmann::json::parse(vt_test::read_file(ref_path));
    const bool valid = cells[3] == "Valid" || cells[3] == "Trusted";
    const auto r = e.analyze_file((root / file).string());
    ++files;
    const bool flagged = r.verdict == det::Verdict::Synthetic || r.verdict == det::Verdict::Manipulated;
    if (valid && reference_declares_ai(ref)) {
      ++declared;
      EXPECT_TRUE(flagged) << file << ": " << det::verdict_name(r.verdict);
    } else if (flagged) {
      ++flagged_others;
      ADD_FAILURE() << file << " flagged " << det::verdict_name(r.verdict) << " without a valid AI declaration";
    }
  }
  EXPECT_GE(declared, 10);
  EXPECT_EQ(flagged_others, 0);
  EXPECT_GE(files, 60);
}
