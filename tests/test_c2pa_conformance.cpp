// Conformance against the reference (c2pa-rs 0.90.1): for every file of ../shared/data/c2pa,
// our validation_state and the set of active-manifest failure codes must equal INDEX.tsv's, with
// and without trust anchors. Files in formats we do not support yet are listed as known gaps.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

struct Row {
  std::string file, format, state_notrust, failures_notrust, state_trust, failures_trust, note;
};

std::vector<Row> read_index(const fs::path& tsv) {
  std::ifstream in(tsv);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 8) continue;
    rows.push_back({cols[0], cols[1], cols[3], cols[4], cols[5], cols[6], cols[7]});
  }
  return rows;
}

const std::set<std::string> kUnsupportedMimes = {"image/svg+xml", "font/ttf"};

std::string failure_set(const nlohmann::json& report) {
  std::set<std::string> codes;
  if (report.contains("validation_results")) {
    for (const auto& f : report["validation_results"]["activeManifest"]["failure"]) codes.insert(f["code"].get<std::string>());
  }
  if (codes.empty()) return "-";
  std::string out;
  for (const auto& c : codes) out += (out.empty() ? "" : ",") + c;
  return out;
}

struct Outcome {
  std::string state;  // our state, or "Error:<kind>"
  std::string failures = "-";
  nlohmann::json report;
};

Outcome run_reader(const c2pa::Reader& reader, const fs::path& file) {
  Outcome o;
  try {
    auto r = reader.read_file(file.string());
    o.state = c2pa::state_name(r.state);
    o.failures = failure_set(r.report);
    o.report = r.report;
  } catch (const Error& e) {
    o.state = std::string("Error:") + error_kind_name(e.kind());
  }
  return o;
}

// What the reference's "Error" rows must be for us (docs/decisions): a remote-only manifest is
// NoManifest with its URL; a file cut inside its manifest is malformed input.
bool error_row_matches(const Row& row, const Outcome& o) {
  if (row.note.find("remote manifest") != std::string::npos) {
    return o.state == "NoManifest" && o.report.contains("remote_manifest_url");
  }
  return o.state == "Error:malformed" || o.state == "Error:unsupported";
}

void check_mode(bool trust_run) {
  auto shared_opt = vt_test::shared_dir();
  if (!shared_opt) GTEST_SKIP() << "../shared is absent: skipping C2PA conformance (needs shared data)";
  fs::path data = *shared_opt / "data" / "c2pa";
  fs::path pki_root = *shared_opt / "tools" / "c2pa-ref" / "pki" / "root.pem";
  fs::path badcert_root = data / "made" / "badcert" / "root-badcert.pem";

  c2pa::ReadOptions plain;
  plain.no_trust_check = !trust_run;
  if (trust_run) plain.trust_anchor_files = {pki_root.string()};
  c2pa::Reader reader(plain);
  c2pa::ReadOptions bad = plain;
  if (trust_run) bad.trust_anchor_files = {badcert_root.string()};
  c2pa::Reader badcert_reader(bad);

  int checked = 0, matched = 0;
  std::vector<std::string> gaps;
  for (const Row& row : read_index(data / "INDEX.tsv")) {
    const std::string& want_state = trust_run ? row.state_trust : row.state_notrust;
    const std::string& want_failures = trust_run ? row.failures_trust : row.failures_notrust;
    bool badcert = row.file.rfind("made/badcert/", 0) == 0;
    Outcome got = run_reader(badcert ? badcert_reader : reader, data / row.file);
    if (kUnsupportedMimes.count(row.format)) {
      gaps.push_back(row.file + " (" + row.format + "): ours " + got.state + ", reference " + want_state);
      EXPECT_TRUE(got.state == "Error:unsupported" || got.state == want_state) << row.file << " gave " << got.state;
      continue;
    }
    ++checked;
    SCOPED_TRACE(row.file);
    bool ok;
    if (want_state == "Error") {
      ok = error_row_matches(row, got);
      EXPECT_TRUE(ok) << row.file << ": reference Error (" << row.note << "), ours " << got.state;
    } else {
      ok = got.state == want_state && got.failures == want_failures;
      EXPECT_EQ(got.state, want_state) << row.file;
      EXPECT_EQ(got.failures, want_failures) << row.file;
    }
    matched += ok ? 1 : 0;
  }
  std::cout << "[conformance " << (trust_run ? "trust" : "no-trust") << "] " << matched << "/" << checked
            << " supported-format files match the reference; known gaps (unsupported formats): " << gaps.size() << "\n";
  for (const auto& g : gaps) std::cout << "  gap: " << g << "\n";
}

}  // namespace

TEST(C2paConformance, MatchesReferenceWithoutTrustCheck) { check_mode(false); }
TEST(C2paConformance, MatchesReferenceWithTrustAnchors) { check_mode(true); }

// Neither flag: like c2pa-rs with no anchors, our own signed files are Valid with only
// signingCredential.untrusted as failure.
TEST(C2paConformance, DefaultModeTrustsNothing) {
  VT_REQUIRE_SHARED(shared);
  c2pa::Reader reader;
  for (const char* f : {"made/jpeg/es256.jpg", "made/png/es256.png", "made/mp4/es256.mp4", "made/wav/es256.wav"}) {
    Outcome o = run_reader(reader, shared / "data" / "c2pa" / f);
    EXPECT_EQ(o.state, "Valid") << f;
    EXPECT_EQ(o.failures, "signingCredential.untrusted") << f;
  }
}
