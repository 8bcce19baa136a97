// detect_html: structure and escaping of the HTML report, and a real headless browser (Debian's
// chromium) that renders it: the DOM holds the verdict and the heatmap, the screenshot is not blank
// and shows the red heatmap over the picture.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "core/encoding.hpp"
#include "report/detect_html.hpp"
#include "support/test_images.hpp"
#include "support/test_support.hpp"
#include "veritrace/media.hpp"
#include "veritrace/report_detect.hpp"

namespace {

namespace fs = std::filesystem;
using namespace veritrace;
using detect::DetectorResult;
using detect::FileReport;
using detect::Status;
using detect::Verdict;

constexpr int kW = 1024, kH = 768;             // analysed image
constexpr int kPreviewW = 768, kPreviewH = 576;  // its preview

// A heatmap of the analysed size: a bright block (the "edit") at x 560..820, y 160..420 over faint noise.
detect::Heatmap block_heatmap() {
  detect::Heatmap m;
  m.width = kW;
  m.height = kH;
  m.values.resize(static_cast<size_t>(kW) * kH);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> faint(0.0f, 0.12f);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      m.values[static_cast<size_t>(y) * kW + x] = (x >= 560 && x < 820 && y >= 160 && y < 420) ? 0.95f : faint(rng);
  return m;
}

FileReport flagged_report() {
  FileReport r;
  r.path = "newsroom/harbour-fire.jpg";
  r.verdict = Verdict::Manipulated;
  r.score = 0.91;
  r.width = kW;
  r.height = kH;
  r.format = "jpeg";
  r.timing_ms = 212;
  r.reasons = {"Part of the picture was compressed differently from the rest, as when a piece is pasted in.",
               "The camera's fine grain differs inside the same area.",
               "The file was last saved with Adobe Photoshop 25.0."};
  r.provenance = {{"c2pa", {{"state", "NoManifest"}}},
                  {"watermark", {{"found", false}, {"p_value", 0.41}}},
                  {"known_marks", nlohmann::json::array({{{"name", "sdxl"}, {"detected", false}, {"p_value", 0.6}}})}};
  static const std::vector<uint8_t> preview = media::encode_jpeg(vt_test::photo_like(kPreviewW, kPreviewH, 3), 85);
  r.preview_jpeg = preview;
  r.preview_width = kPreviewW;
  r.preview_height = kPreviewH;
  r.heatmap = block_heatmap();

  DetectorResult ghost;
  ghost.name = "jpeg_ghost";
  ghost.version = "1.0";
  ghost.status = Status::Applied;
  ghost.score = 4.2;
  ghost.probability = 0.88;
  ghost.points_to = detect::Finding::Manipulated;
  ghost.evidence.summary = "One area was first saved at a different JPEG quality than the rest of the picture.";
  ghost.evidence.numbers = {{"best_quality_inside", 75}, {"best_quality_outside", 92}};
  ghost.evidence.details = {{"reliability", "On the splicing dev set this check marks the pasted area in 6 of 10 "
                                            "pictures (pixel AUC 0.81)."}};
  ghost.evidence.heatmap = r.heatmap;
  DetectorResult meta;
  meta.name = "metadata";
  meta.version = "1.0";
  meta.status = Status::Applied;
  meta.score = 1;
  meta.probability = 0.55;
  meta.evidence.summary = "Last saved with Adobe Photoshop 25.0; no camera model.";
  DetectorResult cfa;
  cfa.name = "cfa";
  cfa.status = Status::NotApplicable;
  cfa.reason = "JPEG-compressed pictures keep no sensor pattern";
  r.detectors = {ghost, meta, cfa};
  return r;
}

FileReport no_evidence_report() {
  FileReport r;
  r.path = "newsroom/council-meeting.png";
  r.verdict = Verdict::NoEvidence;
  r.score = 0.08;
  r.width = 640;
  r.height = 480;
  r.format = "png";
  r.reasons = {"No check found a sign of generation or editing."};
  DetectorResult f;
  f.name = "frequency";
  f.status = Status::Applied;
  f.score = 0.2;
  f.probability = 0.07;
  f.evidence.summary = "The fine detail has no regular up-sampling pattern.";
  r.detectors = {f};
  return r;
}

FileReport error_report() {
  FileReport r;
  r.path = "newsroom/cut.jpg";
  r.error = "cut.jpg: JPEG: truncated at offset 20";
  r.error_kind = "malformed";
  return r;
}

report::HtmlOptions options(const std::string& title, const std::string& generated_at, const std::string& version) {
  report::HtmlOptions o;
  o.title = title;
  o.generated_at = generated_at;
  o.tool_version = version;
  return o;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// ---- without a browser ----

TEST(DetectHtml, SelfContainedWithSummaryAnchorsAndImages) {
  const std::string h =
      report::detect_html({flagged_report(), no_evidence_report(), error_report()},
                          options("Desk check", "2025-01-31 14:02 UTC", "veritrace 0.9"));
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(lower(h).find("<script"), std::string::npos);
  EXPECT_EQ(h.find("src=\"http"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  // Summary table with anchors to every file.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_NE(h.find("href=\"#file-" + std::to_string(i) + "\""), std::string::npos);
    EXPECT_NE(h.find("id=\"file-" + std::to_string(i) + "\""), std::string::npos);
  }
  EXPECT_NE(h.find("Likely manipulated"), std::string::npos);
  EXPECT_NE(h.find("No evidence of generation or manipulation found"), std::string::npos);
  EXPECT_NE(h.find("Could not be read"), std::string::npos);
  // Preview, fused heatmap and the detector's own map as data URIs.
  EXPECT_EQ(count(h, "src=\"data:image/jpeg;base64,"), 2u);  // main figure + the detector's map
  EXPECT_EQ(count(h, "class=\"heat\" src=\"data:image/png;base64,"), 2u);
  // The evaluation's reliability sentence replaces the generic caveat for that detector.
  EXPECT_NE(h.find("pixel AUC 0.81"), std::string::npos);
  EXPECT_NE(h.find("Metadata is easy to remove or forge"), std::string::npos);
  EXPECT_NE(h.find("was not applied: JPEG-compressed pictures keep no sensor pattern"), std::string::npos);
  EXPECT_NE(h.find("does not mean authentic"), std::string::npos);
  EXPECT_NE(h.find("2025-01-31 14:02 UTC"), std::string::npos);
}

TEST(DetectHtml, EveryStringFromTheFileIsEscaped) {
  const std::string evil = "<script>alert(1)</script>";
  FileReport r = flagged_report();
  r.path = "x" + evil + "\".jpg";
  r.reasons = {evil};
  r.generator = evil;
  r.format = evil;
  r.detectors[0].evidence.summary = evil;
  r.detectors[0].name = evil;
  r.detectors[0].evidence.numbers = {{evil, 1.0}};
  r.detectors[0].evidence.regions = {{.x = 1, .y = 2, .width = 30, .height = 40, .score = 0.9, .label = evil}};
  r.detectors[0].evidence.details = {{"reliability", evil}};
  r.detectors[2].reason = evil;
  r.provenance = {{evil, {{evil, evil}, {"ingredients", {{{"title", evil}}}}}}, {"claim", evil}};
  FileReport e = error_report();
  e.path = evil;
  e.error = evil;
  e.error_kind = evil;
  const std::string h = report::detect_html({r, e}, options(evil, evil, evil));
  EXPECT_EQ(lower(h).find("<script"), std::string::npos);
  EXPECT_GT(count(h, "&lt;script&gt;alert(1)&lt;/script&gt;"), 15u);
  // The path is shown as file name and folder.
  EXPECT_NE(h.find(">script&gt;&quot;.jpg<"), std::string::npos);
  EXPECT_NE(h.find(">in x&lt;script&gt;alert(1)&lt;/<"), std::string::npos);

  EXPECT_EQ(report::html_escape("a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&#39;e");
  EXPECT_EQ(report::html_escape(std::string("bad \xff\xfe utf8 \xe2\x82")), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(report::html_escape(std::string("nul\0bell\a", 9)), "nulbell");
  EXPECT_EQ(report::html_escape("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");  // valid UTF-8 stays
  EXPECT_EQ(report::html_escape("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");                // overlong '/'
}

TEST(DetectHtml, ProvenanceKnownKeysInPlainWordsUnknownKeysGeneric) {
  FileReport r = no_evidence_report();
  r.verdict = Verdict::Synthetic;
  r.generator = "firefly";
  r.provenance = {
      {"c2pa",
       {{"validation_state", "Valid"},
        {"claim_generator", "Adobe Firefly"},
        {"signer", "Adobe Inc."},
        {"digital_source_type", "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"},
        {"ingredients", nlohmann::json::array({{{"title", "prompt.png"}, {"relationship", "inputTo"}}})}}},
      {"future_key", {{"a", {{"b", {{"c", {{"d", {{"e", {{"f", {{"g", 1}}}}}}}}}}}}}}},
      {"schema_hint", 3}};
  const std::string h = report::detect_html({r}, {});
  EXPECT_NE(h.find("Content Credentials (C2PA)"), std::string::npos);
  EXPECT_NE(h.find("<strong>Valid</strong> \u2014 the signature and the file check out"), std::string::npos);
  EXPECT_NE(h.find("trainedAlgorithmicMedia</strong> \u2014 made by AI (generative model)"), std::string::npos);
  EXPECT_NE(h.find("Ingredients"), std::string::npos);
  EXPECT_NE(h.find("prompt.png"), std::string::npos);
  EXPECT_NE(h.find("Future key"), std::string::npos);   // unknown block, humanised
  EXPECT_NE(h.find("nested too deep"), std::string::npos);
  EXPECT_NE(h.find("Schema hint"), std::string::npos);  // loose scalar under "Other"
  EXPECT_NE(h.find("Adobe Firefly"), std::string::npos);
  EXPECT_NE(h.find("Generator named: <strong>Adobe Firefly</strong>"), std::string::npos);
}

TEST(DetectHtml, BadHeatmapsAndNaNsDoNotBreakThePage) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FileReport r = flagged_report();
  r.score = nan;
  r.heatmap.values.resize(10);  // does not match width x height
  r.detectors[0].probability = nan;
  r.detectors[0].evidence.heatmap.values.assign(r.detectors[0].evidence.heatmap.values.size(),
                                                std::numeric_limits<float>::quiet_NaN());
  r.detectors[0].evidence.regions = {{.x = -50, .y = 99999, .width = 1 << 30, .height = -3, .score = 0, .label = ""}};
  r.preview_jpeg.clear();
  FileReport empty;  // all defaults
  const std::string h = report::detect_html({r, empty}, {});
  EXPECT_NE(h.find("could not be drawn"), std::string::npos);
  EXPECT_NE(h.find("no score"), std::string::npos);
  EXPECT_EQ(lower(h).find(">nan<"), std::string::npos);
  EXPECT_NE(h.find("Not applicable"), std::string::npos);
  // No preview: the detector's map is drawn over a grey box of the picture's shape.
  EXPECT_NE(h.find("class=\"pic blank\" style=\"aspect-ratio:768 / 576\""), std::string::npos);
}

TEST(DetectHtml, ImagesAreCappedForLargeBatches) {
  std::vector<FileReport> many(5, flagged_report());
  report::HtmlOptions o;
  o.max_image_files = 2;
  const std::string h = report::detect_html(many, o);
  EXPECT_EQ(count(h, "src=\"data:image/jpeg;base64,"), 4u);  // 2 files x (main + gallery)
  EXPECT_EQ(count(h, "class=\"omitted\""), 3u);
}

// The colourised map: decoded back, it has the asked size and red where the map is bright.
media::Image decode_data_uri(const std::string& uri) {
  const std::string prefix = "data:image/png;base64,";
  EXPECT_EQ(uri.rfind(prefix, 0), 0u);
  auto bytes = base64_decode(std::string_view(uri).substr(prefix.size()));
  EXPECT_TRUE(bytes.has_value());
  return media::decode_image(*make_memory_source(*bytes, "heat.png"));
}

TEST(DetectHtml, HeatmapOverlayIsResampledAndColoured) {
  // A coarse 4x3 map (an engine may keep maps at a fraction of the image size), bright in cell (3, 0).
  detect::Heatmap coarse{.width = 4, .height = 3, .values = std::vector<float>(12, 0.0f)};
  coarse.values[3] = 1.0f;
  auto up = report::detail::heatmap_image(coarse, 400, 300);
  ASSERT_TRUE(up.has_value());
  EXPECT_DOUBLE_EQ(up->peak, 1.0);
  EXPECT_NEAR(up->marked, 1.0 / 12, 1e-9);
  media::Image img = decode_data_uri(up->data_uri);
  ASSERT_EQ(img.channels, 4);
  EXPECT_EQ(img.width, 400);
  EXPECT_EQ(img.height, 300);
  const uint8_t* hot = img.row(10) + 390 * 4;   // inside the bright cell
  const uint8_t* cold = img.row(290) + 10 * 4;  // far from it
  EXPECT_GT(hot[0], 200);
  EXPECT_LT(hot[1], 60);
  EXPECT_GT(hot[3], 200);
  EXPECT_EQ(cold[3], 0) << "low values are transparent";

  // A large map shrinks by box averaging: a thin bright line survives as a fainter band.
  detect::Heatmap big{.width = 2000, .height = 1000, .values = std::vector<float>(2000 * 1000, 0.0f)};
  for (int y = 0; y < 1000; ++y)
    for (int x = 1000; x < 1004; ++x) big.values[static_cast<size_t>(y) * 2000 + x] = 1.0f;
  auto down = report::detail::heatmap_image(big, 500, 250);
  ASSERT_TRUE(down.has_value());
  img = decode_data_uri(down->data_uri);
  EXPECT_EQ(img.width, 500);
  EXPECT_GT(img.row(100)[250 * 4 + 3], 200);  // the whole 4-pixel line falls in output column 250
  EXPECT_EQ(img.row(100)[100 * 4 + 3], 0);

  // Mismatched sizes, NaN and infinities: nothing or a clean map, never a crash.
  detect::Heatmap bad{.width = 10, .height = 10, .values = std::vector<float>(99, 1.0f)};
  EXPECT_FALSE(report::detail::heatmap_image(bad, 10, 10).has_value());
  bad.values.assign(100, std::numeric_limits<float>::quiet_NaN());
  bad.values[0] = std::numeric_limits<float>::infinity();
  auto nan_map = report::detail::heatmap_image(bad, 5000, 0);  // clamped to 2048 x 1
  ASSERT_TRUE(nan_map.has_value());
  EXPECT_EQ(nan_map->peak, 0.0);
  EXPECT_EQ(decode_data_uri(nan_map->data_uri).width, 2048);
}

// ---- in a real browser ----

constexpr const char* kChromium = "/usr/bin/chromium";

std::string chromium_command(const fs::path& profile, const std::string& extra, const fs::path& html) {
  return std::string("timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
         "--disable-component-update --disable-sync --hide-scrollbars --force-device-scale-factor=1 "
         "--user-data-dir=" +
         vt_test::shell_quote(profile.string()) + " " + extra + " --window-size=1280,2000 " +
         vt_test::shell_quote("file://" + html.string());
}

struct Shot {
  std::string dom;  // --dump-dom: the DOM as the browser built it
  media::Image image;
  double luma_variance = 0;
  int red_windows = 0;  // 32x32 windows where at least 80% of the pixels are strongly red
};

Shot screenshot(const vt_test::TempDir& dir, const std::string& html, const std::string& name) {
  const fs::path page = dir.path() / (name + ".html");
  const fs::path png = dir.path() / (name + ".png");
  std::ofstream(page, std::ios::binary) << html;
  // One browser run gives both the DOM and the screenshot.
  auto run = vt_test::run(chromium_command(dir.path() / (name + "-profile"),
                                           "--dump-dom --screenshot=" + vt_test::shell_quote(png.string()), page));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  Shot s;
  s.dom = run.out;
  s.image = media::to_rgb(media::decode_image_file(png.string()));
  const media::Image& im = s.image;
  // Luma variance and an integral image of "strongly red" pixels (the heatmap's high end).
  double sum = 0, sum2 = 0;
  std::vector<int> integral(static_cast<size_t>(im.width + 1) * (im.height + 1), 0);
  auto at = [&](int x, int y) -> int& { return integral[static_cast<size_t>(y) * (im.width + 1) + x]; };
  for (int y = 0; y < im.height; ++y) {
    int row = 0;
    for (int x = 0; x < im.width; ++x) {
      const uint8_t* p = im.row(y) + x * 3;
      const double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      sum += l, sum2 += l * l;
      row += (p[0] > 170 && p[1] < 90 && p[2] < 90 && p[0] - p[1] > 100) ? 1 : 0;
      at(x + 1, y + 1) = at(x + 1, y) + row;
    }
  }
  const double n = static_cast<double>(im.width) * im.height;
  s.luma_variance = sum2 / n - (sum / n) * (sum / n);
  for (int y = 0; y + 32 <= im.height; y += 16)
    for (int x = 0; x + 32 <= im.width; x += 16)
      if (at(x + 32, y + 32) - at(x, y + 32) - at(x + 32, y) + at(x, y) >= 0.8 * 32 * 32) ++s.red_windows;
  return s;
}

TEST(DetectHtmlBrowser, ChromiumShowsTheVerdictAndTheHeatmap) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is absent: skipping the browser test (apt-get install chromium)";
  vt_test::TempDir dir;
  FileReport hostile = no_evidence_report();
  hostile.path = "newsroom/<script>document.title='pwned'</script>.png";
  hostile.detectors[0].evidence.summary = "<img src=x onerror=alert(1)><script>alert(2)</script>";
  const std::vector<FileReport> reports = {flagged_report(), hostile, error_report()};
  const std::string html = report::detect_html(reports, options("Newsroom check", "2025-01-31", "veritrace test"));
  const Shot with = screenshot(dir, html, "report");
  // The DOM as the browser built it.
  const std::string& dom = with.dom;
  EXPECT_NE(dom.find("Likely manipulated"), std::string::npos);
  EXPECT_NE(dom.find("No evidence of generation or manipulation found"), std::string::npos);
  EXPECT_NE(dom.find("Could not be read"), std::string::npos);
  EXPECT_NE(dom.find("<img class=\"heat\" src=\"data:image/png;base64,"), std::string::npos);
  EXPECT_NE(dom.find("<img class=\"base\" src=\"data:image/jpeg;base64,"), std::string::npos);
  EXPECT_EQ(lower(dom).find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("<img src=\"x\""), std::string::npos);
  EXPECT_NE(dom.find("newsroom/&lt;script&gt;document.title='pwned'&lt;/"), std::string::npos);
  EXPECT_NE(dom.find("<title>Newsroom check</title>"), std::string::npos);

  // The screenshot: not blank, and a solid red area where the heatmap lies over the picture.
  EXPECT_EQ(with.image.width, 1280);
  EXPECT_GT(with.luma_variance, 300.0) << "a blank page has no variance";
  // The block is 260x260 analysed pixels; on screen the picture is about 540 px wide, so ~137x137 px.
  EXPECT_GE(with.red_windows, 20) << "the heatmap block is not visible";

  // Control: the same page without the flagged file has no such red area (the verdict colours and
  // text alone never fill a 32x32 window).
  const Shot without = screenshot(dir, report::detect_html({no_evidence_report(), error_report()}, {}), "without");
  EXPECT_GT(without.luma_variance, 300.0);
  EXPECT_EQ(without.red_windows, 0);
  if (const char* keep = std::getenv("VT_KEEP_SCREENSHOTS")) {
    fs::copy_file(dir.path() / "report.png", fs::path(keep) / "report-with.png", fs::copy_options::overwrite_existing);
    fs::copy_file(dir.path() / "report.html", fs::path(keep) / "report.html", fs::copy_options::overwrite_existing);
  }
}

}  // namespace
