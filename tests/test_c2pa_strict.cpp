// ReadOptions::strict (c2pa read --strict) on the shared made/badcert/ corpus: default mode keeps
// c2pa-rs 0.90.1's verdict, strict mode applies our reading of the C2PA certificate profile and
// RFC 5280 (docs/conformance.md, "Where we read the spec differently from c2pa-rs 0.90.1").
#include <gtest/gtest.h>

#include <set>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

using Codes = std::set<std::string>;

struct Outcome {
  c2pa::ValidationState state = c2pa::ValidationState::NoManifest;
  Codes failures;
  nlohmann::json report;
};

// Which anchors a run uses: none (--no-trust-check) or a PEM file.
c2pa::Reader make_reader(bool strict, const std::optional<fs::path>& anchors) {
  c2pa::ReadOptions options;
  options.strict = strict;
  if (anchors) {
    options.trust_anchor_files = {anchors->string()};
  } else {
    options.no_trust_check = true;
  }
  return c2pa::Reader(options);
}

Outcome read(const c2pa::Reader& reader, const fs::path& file) {
  Outcome o;
  auto r = reader.read_file(file.string());
  o.state = r.state;
  o.report = r.report;
  if (r.report.contains("validation_results")) {
    for (const auto& f : r.report["validation_results"]["activeManifest"]["failure"]) {
      o.failures.insert(f["code"].get<std::string>());
    }
  }
  return o;
}

std::string describe(const Outcome& o) {
  std::string text = c2pa::state_name(o.state);
  for (const auto& c : o.failures) text += " " + c;
  return text;
}

// The three files where c2pa-rs 0.90.1 is lenient, with strict mode's failure codes
// (without anchors / with made/badcert/root-badcert.pem).
struct LenientCase {
  const char* file;
  Codes strict_notrust;
  Codes strict_trust;
};
const LenientCase k_lenient[] = {
    {"leaf-ku-nonrepudiation-no-digitalsignature.jpg", {"signingCredential.invalid"}, {"signingCredential.invalid"}},
    {"intermediate-expired.jpg",
     {"signingCredential.expired"},
     {"signingCredential.expired", "signingCredential.untrusted"}},
    {"issuer-not-ca.jpg", {"signingCredential.invalid"}, {"signingCredential.invalid", "signingCredential.untrusted"}},
};

}  // namespace

TEST(C2paStrict, LenientCasesKeepReferenceVerdictByDefault) {
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const auto notrust = make_reader(false, std::nullopt);
  const auto trust = make_reader(false, dir / "root-badcert.pem");
  for (const auto& c : k_lenient) {
    SCOPED_TRACE(c.file);
    auto a = read(notrust, dir / c.file);
    EXPECT_EQ(a.state, c2pa::ValidationState::Valid) << describe(a);
    EXPECT_TRUE(a.failures.empty()) << describe(a);
    auto b = read(trust, dir / c.file);
    EXPECT_EQ(b.state, c2pa::ValidationState::Trusted) << describe(b);
  }
}

TEST(C2paStrict, LenientCasesAreInvalidInStrictMode) {
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const auto notrust = make_reader(true, std::nullopt);
  const auto trust = make_reader(true, dir / "root-badcert.pem");
  for (const auto& c : k_lenient) {
    SCOPED_TRACE(c.file);
    auto a = read(notrust, dir / c.file);
    EXPECT_EQ(a.state, c2pa::ValidationState::Invalid) << describe(a);
    EXPECT_EQ(a.failures, c.strict_notrust) << describe(a);
    auto b = read(trust, dir / c.file);
    EXPECT_EQ(b.state, c2pa::ValidationState::Invalid) << describe(b);
    EXPECT_EQ(b.failures, c.strict_trust) << describe(b);
    // The explanation names the clause.
    bool clause = false;
    for (const auto& f : b.report["validation_results"]["activeManifest"]["failure"]) {
      const std::string text = f.value("explanation", "");
      clause = clause || text.find("RFC 5280") != std::string::npos ||
               text.find("C2PA Certificate Profile") != std::string::npos;
    }
    EXPECT_TRUE(clause) << b.report["validation_results"].dump();
  }
}

TEST(C2paStrict, ControlAndMadeJpegsStayTrusted) {
  VT_REQUIRE_SHARED(shared);
  const fs::path badcert = shared / "data/c2pa/made/badcert";
  {
    auto r = read(make_reader(true, badcert / "root-badcert.pem"), badcert / "ps256-rsa2048-control.jpg");
    EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << describe(r);
    EXPECT_TRUE(r.failures.empty()) << describe(r);
    auto n = read(make_reader(true, std::nullopt), badcert / "ps256-rsa2048-control.jpg");
    EXPECT_EQ(n.state, c2pa::ValidationState::Valid) << describe(n);
  }
  const auto reader = make_reader(true, shared / "tools/c2pa-ref/pki/root.pem");
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(shared / "data/c2pa/made/jpeg")) {
    if (entry.path().extension() != ".jpg") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto r = read(reader, entry.path());
    EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << describe(r);
    EXPECT_TRUE(r.failures.empty()) << describe(r);
    ++count;
  }
  EXPECT_GE(count, 10u);
}

TEST(C2paStrict, TimeStampTimeIsTheValidationTime) {
  // The leaf expired, but the trusted time-stamp falls inside every certificate's validity:
  // strict mode validates the path at that time, as the reference does for the leaf.
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  auto r = read(make_reader(true, dir / "root-badcert.pem"), dir / "leaf-expired-timestamped-while-valid.jpg");
  EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << describe(r);
  EXPECT_TRUE(r.failures.empty()) << describe(r);
}

TEST(C2paStrict, OtherBadCertFilesKeepTheirState) {
  // Strict mode only adds rules: the files c2pa-rs already judges correctly keep their state.
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const std::optional<fs::path> anchor_sets[] = {std::nullopt, dir / "root-badcert.pem"};
  for (const auto& anchors : anchor_sets) {
    const auto plain = make_reader(false, anchors);
    const auto strict = make_reader(true, anchors);
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".jpg") continue;
      const std::string name = entry.path().filename().string();
      bool lenient = false;
      for (const auto& c : k_lenient) lenient = lenient || name == c.file;
      if (lenient) continue;
      SCOPED_TRACE(name + (anchors ? " (trust)" : " (no trust check)"));
      auto a = read(plain, entry.path());
      auto b = read(strict, entry.path());
      EXPECT_EQ(a.state, b.state) << describe(a) << " vs strict " << describe(b);
      // Failure codes may only be added, never removed.
      for (const auto& code : a.failures) EXPECT_TRUE(b.failures.contains(code)) << code;
    }
  }
}

TEST(C2paStrict, CliStrictFlag) {
  VT_REQUIRE_SHARED(shared);
  if (!fs::exists(vt_test::cli_path())) GTEST_SKIP() << "CLI not built: " << vt_test::cli_path();
  const fs::path file = shared / "data/c2pa/made/badcert/issuer-not-ca.jpg";
  const std::string base = vt_test::shell_quote(vt_test::cli_path().string()) + " c2pa read --json --no-trust-check ";
  auto plain = vt_test::run(base + vt_test::shell_quote(file.string()));
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  auto strict = vt_test::run(base + "--strict " + vt_test::shell_quote(file.string()));
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_EQ(nlohmann::json::parse(strict.out).value("validation_state", ""), "Invalid");
}
