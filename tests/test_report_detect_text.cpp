// detect_text: the terminal report of `veritrace detect` (reports built by hand).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "veritrace/report_detect.hpp"

namespace {

using namespace veritrace;
using detect::DetectorResult;
using detect::FileReport;
using detect::Status;
using detect::Verdict;

DetectorResult applied(const std::string& name, double p, const std::string& summary) {
  DetectorResult d;
  d.name = name;
  d.version = "1";
  d.status = Status::Applied;
  d.score = p * 3;
  d.probability = p;
  d.evidence.summary = summary;
  return d;
}

DetectorResult not_applicable(const std::string& name, const std::string& reason) {
  DetectorResult d;
  d.name = name;
  d.status = Status::NotApplicable;
  d.reason = reason;
  return d;
}

FileReport report(Verdict v, double score) {
  FileReport r;
  r.path = "photos/a.jpg";
  r.verdict = v;
  r.score = score;
  r.reasons = {"The strongest reason.", "A second reason."};
  r.detectors = {applied("frequency", 0.81, "Regular up-sampling peaks in the fine detail."),
                 not_applicable("cfa", "JPEG input"), not_applicable("copy_move", "image smaller than 64 px")};
  return r;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

size_t line_count(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(DetectText, FirstLineNamesTheVerdictInPlainWords) {
  EXPECT_EQ(first_line(report::detect_text(report(Verdict::Synthetic, 0.871))),
            "photos/a.jpg: likely AI-generated (score 0.87)");
  EXPECT_EQ(first_line(report::detect_text(report(Verdict::Manipulated, 0.7))),
            "photos/a.jpg: likely manipulated (score 0.70)");
  EXPECT_EQ(first_line(report::detect_text(report(Verdict::Unsure, 0.5))),
            "photos/a.jpg: unsure: mixed evidence (score 0.50)");
  EXPECT_EQ(first_line(report::detect_text(report(Verdict::NoEvidence, 0.1))),
            "photos/a.jpg: no evidence of generation or manipulation found (this does not prove the file is "
            "authentic) (score 0.10)");
  FileReport na = report(Verdict::NotApplicable, 0);
  na.score.reset();
  na.reasons = {"no detector applies to audio yet"};
  EXPECT_EQ(first_line(report::detect_text(na)), "photos/a.jpg: not applicable: no detector applies to audio yet (no score)");
  // Without reasons, not_applicable says why from the detectors' reasons.
  na.reasons.clear();
  EXPECT_EQ(first_line(report::detect_text(na)),
            "photos/a.jpg: not applicable: JPEG input; image smaller than 64 px (no score)");
  EXPECT_EQ(report::verdict_words(na), "not applicable: JPEG input; image smaller than 64 px");
}

TEST(DetectText, ReasonsGeneratorAndDetectors) {
  FileReport r = report(Verdict::Synthetic, 0.95);
  r.generator = "sdxl";
  DetectorResult err;
  err.name = "noise";
  err.status = Status::Error;
  err.reason = "out of memory";
  r.detectors.push_back(err);
  const std::string t = report::detect_text(r);
  std::istringstream in(t);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 7u) << t;
  EXPECT_EQ(lines[1], "  generator: Stable Diffusion XL (sdxl)");
  EXPECT_EQ(lines[2], "  - The strongest reason.");  // engine order: most weighty first
  EXPECT_EQ(lines[3], "  - A second reason.");
  EXPECT_NE(lines[4].find("frequency"), std::string::npos);
  EXPECT_NE(lines[4].find("p 0.81"), std::string::npos);
  EXPECT_NE(lines[4].find("Regular up-sampling peaks"), std::string::npos);
  EXPECT_NE(lines[5].find("noise"), std::string::npos);
  EXPECT_NE(lines[5].find("error: out of memory"), std::string::npos);
  EXPECT_EQ(lines[6], "  not applicable: cfa (JPEG input); copy_move (image smaller than 64 px)");
  EXPECT_EQ(t.find('\033'), std::string::npos) << "no colour unless asked";

  // Verbose: one line per detector that did not apply.
  const std::string v = report::detect_text(r, {.color = false, .verbose = true});
  EXPECT_NE(v.find("  cfa         not applicable: JPEG input\n"), std::string::npos) << v;
  EXPECT_EQ(line_count(v), 8u) << v;
}

TEST(DetectText, ColourOnlyWhenAsked) {
  const std::string c = report::detect_text(report(Verdict::Synthetic, 0.9), {.color = true});
  EXPECT_NE(c.find("\033[31m"), std::string::npos);  // flagged in red
  EXPECT_NE(c.find("likely AI-generated"), std::string::npos);
}

TEST(DetectText, ErrorReportIsOneLine) {
  FileReport r;
  r.path = "cut.jpg";
  r.error = "cut.jpg: JPEG: truncated at offset 20";
  r.error_kind = "malformed";
  EXPECT_EQ(report::detect_text(r), "cut.jpg: error: cut.jpg: JPEG: truncated at offset 20\n");
  r.error = "";
  EXPECT_EQ(report::detect_text(r), "cut.jpg: error: unreadable file\n");
}

TEST(DetectText, EmptyAndNaNFieldsDoNotCrash) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FileReport r;  // everything default: empty path, not applicable, no score
  EXPECT_EQ(first_line(report::detect_text(r)), "(unnamed): not applicable: no check could examine this file (no score)");
  r.verdict = Verdict::Unsure;
  r.score = nan;
  r.reasons = {"", ""};
  DetectorResult d;  // no name, no numbers
  d.status = Status::Applied;
  d.probability = nan;
  d.score = std::numeric_limits<double>::infinity();
  r.detectors = {d, DetectorResult{}};
  r.generator = "";
  const std::string t = report::detect_text(r, {.color = true, .verbose = true});
  EXPECT_NE(t.find("unsure: mixed evidence"), std::string::npos);
  EXPECT_NE(t.find("(no score)"), std::string::npos) << "NaN is not a score";
  EXPECT_EQ(t.find("nan"), std::string::npos) << t;
  EXPECT_EQ(t.find("inf"), std::string::npos) << t;
  EXPECT_EQ(t.find("generator"), std::string::npos) << "an empty generator is not shown";
}

TEST(DetectText, ControlCharactersFromTheFileAreShownNotSent) {
  FileReport r = report(Verdict::Manipulated, 0.8);
  r.path = "evil\033[2J\nname.jpg";
  r.detectors[0].evidence.summary = "text \x9b" "31m with a C1 CSI";  // invalid UTF-8 on its own
  r.detectors[0].evidence.summary += " and \xc2\x9b" "2J encoded";
  r.reasons = {"reason\rover"};
  const std::string t = report::detect_text(r);
  EXPECT_EQ(t.find('\033'), std::string::npos);
  EXPECT_EQ(t.find('\r'), std::string::npos);
  EXPECT_EQ(t.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(first_line(t), "evil\\x1b[2J\\x0aname.jpg: likely manipulated (score 0.80)");
  EXPECT_NE(t.find("\\u009b2J"), std::string::npos);
  EXPECT_NE(t.find("reason\\x0dover"), std::string::npos);
}

TEST(DetectText, ABatchOfAThousandStaysCompact) {
  FileReport r = report(Verdict::Synthetic, 0.9);
  r.reasons = {"one", "two", "three", "four", "five", "six"};
  for (int i = 0; i < 10; ++i) r.detectors.push_back(not_applicable("det" + std::to_string(i), "not an image"));
  std::string all;
  for (int i = 0; i < 1000; ++i) all += report::detect_text(r);
  // verdict + 3 reasons + "more" + 1 applied + 1 line for all not-applicable detectors
  EXPECT_EQ(line_count(all), 7000u);
  EXPECT_NE(all.find("(+3 more reasons; --verbose lists them)"), std::string::npos);
}

}  // namespace
