// `c2pa sign --tsa`: a manifest time-stamped by a local RFC 3161 authority validates with its
// time-stamp in our reader and in the reference (c2pa-rs 0.90.1).
#include <gtest/gtest.h>

#include "cose/sign.hpp"
#include "support/local_tsa.hpp"
#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"

using namespace veritrace;
namespace fs = std::filesystem;

namespace {
bool has_code(const nlohmann::json& list, const std::string& code) {
  for (const auto& s : list) {
    if (s.value("code", "") == code) return true;
  }
  return false;
}
}  // namespace

TEST(C2paSignTsa, TimeStampedManifestValidatesInBothReaders) {
  VT_REQUIRE_SHARED(shared);
  if (!vt_test::have_openssl_cli()) GTEST_SKIP() << "openssl command line tool not found: skipping the local TSA test";
  vt_test::cose::TestCa tsa_ca;
  vt_test::LocalTsa tsa(tsa_ca);
  vt_test::TempDir dir;
  auto creds = cose::generate_test_credentials(cose::SigningAlg::Es256);
  const fs::path key = dir.path() / "key.pem", chain = dir.path() / "chain.pem", roots = dir.path() / "roots.pem";
  vt_test::write_text_file(key, creds.key_pem);
  vt_test::write_text_file(chain, creds.chain_pem);
  // Both roots are anchors: the signer's and the time-stamp authority's.
  vt_test::write_text_file(roots, creds.root_pem + vt_test::cose::pem_of(tsa_ca.root.get()));

  c2pa::SignOptions options;
  options.key = key.string();
  options.cert_chain = chain.string();
  options.tsa_url = tsa.server->url();
  options.digital_source_type = c2pa::kTrainedAlgorithmicMedia;
  const fs::path out = dir.path() / "stamped.jpg";
  c2pa::Signer(options).sign_file((shared / "data/c2pa/made/src/src640.jpg").string(), out.string());
  EXPECT_GE(tsa.server->requests(), 1);

  c2pa::ReadOptions read;
  read.trust_anchor_files = {roots.string()};
  auto ours = c2pa::Reader(read).read_file(out.string());
  EXPECT_EQ(ours.state, c2pa::ValidationState::Trusted) << ours.report.dump(2);
  const auto& success = ours.report["validation_results"]["activeManifest"]["success"];
  EXPECT_TRUE(has_code(success, "timeStamp.validated")) << success.dump(2);
  EXPECT_TRUE(has_code(success, "timeStamp.trusted")) << success.dump(2);
  const auto& info = ours.report["manifests"][ours.report["active_manifest"].get<std::string>()]["signature_info"];
  EXPECT_TRUE(info.contains("time")) << info.dump();

  if (!vt_test::node_available()) GTEST_SKIP() << "node >= 20 not found: skipping the reference half of the TSA test";
  const fs::path ref_js = shared / "tools/c2pa-ref/read.mjs";
  auto r = vt_test::run("timeout 120 node " + vt_test::shell_quote(ref_js.string()) + " " +
                        vt_test::shell_quote(out.string()) + " --trust " + vt_test::shell_quote(roots.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ref = nlohmann::json::parse(r.out);
  EXPECT_EQ(ref["validation_state"], "Trusted") << r.out.substr(0, 4000);
  EXPECT_TRUE(has_code(ref["validation_results"]["activeManifest"]["success"], "timeStamp.validated")) << r.out.substr(0, 4000);
  EXPECT_TRUE(ref["manifests"][ref["active_manifest"].get<std::string>()]["signature_info"].contains("time"));
}
