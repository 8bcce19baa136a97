// Interop for QuickTime MOV (no MOV is in the corpus): a MOV made here with ffmpeg from the corpus
// MP4, signed by us, is Trusted for the reference c2pa-rs and for our reader; a byte changed in its
// media data afterwards is a BMFF hash mismatch for both.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace fs = std::filesystem;
using vt_test::shell_quote;

namespace {

std::string cli() { return shell_quote(vt_test::cli_path().string()); }

nlohmann::json parse(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

bool has_failure(const nlohmann::json& report, const std::string& prefix) {
  if (!report.contains("validation_results")) return false;
  for (const auto& s : report["validation_results"]["activeManifest"].value("failure", nlohmann::json::array()))
    if (s.value("code", "").rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST(SignInteropMov, QuickTimeSignedByUsIsTrustedByTheReference) {
  VT_REQUIRE_SHARED(shared);
  if (!vt_test::node_available()) GTEST_SKIP() << "node >= 20 is not available: skipping reference interop";
  if (vt_test::run("ffmpeg -version").exit_code != 0) GTEST_SKIP() << "ffmpeg is not installed: skipping";
  const fs::path ref = shared / "tools/c2pa-ref/read.mjs";
  const fs::path pki = shared / "tools/c2pa-ref/pki";
  vt_test::TempDir tmp;
  const fs::path mov = tmp.path() / "clip.mov";
  auto made = vt_test::run("ffmpeg -loglevel error -y -i " + shell_quote((shared / "data/c2pa/made/src/src2s.mp4").string()) +
                           " -c copy -f mov " + shell_quote(mov.string()));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const fs::path out = tmp.path() / "signed.mov";
  auto s = vt_test::run(cli() + " c2pa sign " + shell_quote(mov.string()) + " -o " + shell_quote(out.string()) + " --cert " +
                        shell_quote((pki / "es256.chain.pem").string()) + " --key " +
                        shell_quote((pki / "es256.key.pem").string()) + " --ai-generated --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;

  const std::string trust = " --trust " + shell_quote((pki / "root.pem").string());
  auto theirs = vt_test::run("timeout 120 node " + shell_quote(ref.string()) + " " + shell_quote(out.string()) + trust);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  const auto ref_report = parse(theirs.out);
  EXPECT_EQ(ref_report.value("validation_state", ""), "Trusted") << theirs.out.substr(0, 2000);
  auto ours = vt_test::run(cli() + " c2pa read --json " + shell_quote(out.string()) + trust);
  EXPECT_EQ(parse(ours.out).value("validation_state", ""), "Trusted") << ours.out.substr(0, 2000);
  EXPECT_EQ(parse(ours.out).value("format", ""), "video/quicktime");

  // Tamper with a byte near the end (inside mdat for this faststart-less file).
  auto bytes = vt_test::read_file(out);
  ASSERT_GT(bytes.size(), 4096u);
  const size_t at = bytes.size() / 2;
  bytes[at] ^= 0x5A;
  const fs::path bad = tmp.path() / "tampered.mov";
  vt_test::write_file(bad, bytes);
  auto ours_bad = parse(vt_test::run(cli() + " c2pa read --json " + shell_quote(bad.string()) + trust).out);
  auto ref_bad = parse(vt_test::run("timeout 120 node " + shell_quote(ref.string()) + " " + shell_quote(bad.string()) + trust).out);
  EXPECT_EQ(ours_bad.value("validation_state", ""), "Invalid");
  EXPECT_EQ(ref_bad.value("validation_state", ""), "Invalid");
  EXPECT_TRUE(has_failure(ours_bad, "assertion.bmffHash.mismatch")) << ours_bad.dump(1).substr(0, 2000);
  EXPECT_TRUE(has_failure(ref_bad, "assertion.bmffHash.mismatch")) << ref_bad.dump(1).substr(0, 2000);
}
