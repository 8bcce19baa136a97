// Thumbnails end to end: signing a JPEG adds a claim thumbnail (Trusted, reported with format
// image/jpeg), --parent with an unsigned PNG gives the ingredient a thumbnail made from the file,
// --no-thumbnail leaves both out, and the reference reader (c2pa-rs 0.90.1) validates the result
// and shows the thumbnail. Skipped, with a message, when ../shared (or node, for the reference) is
// absent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using vt_test::shell_quote;

namespace {

namespace c2pa = veritrace::c2pa;

struct Env {
  fs::path src_jpg, src_png, chain, key, root, read_mjs;
};

Env env_of(const fs::path& shared) {
  const fs::path pki = shared / "tools/c2pa-ref/pki";
  return {shared / "data/c2pa/made/src/src640.jpg", shared / "data/c2pa/made/src/src640.png", pki / "es256.chain.pem",
          pki / "es256.key.pem", pki / "root.pem", shared / "tools/c2pa-ref/read.mjs"};
}

c2pa::SignOptions options(const Env& e) {
  c2pa::SignOptions o;
  o.key = e.key.string();
  o.cert_chain = e.chain.string();
  return o;
}

c2pa::ReadResult read_back(const Env& e, const fs::path& file) {
  c2pa::ReadOptions ro;
  ro.trust_anchor_files = {e.root.string()};
  return c2pa::Reader(ro).read_file(file.string());
}

const json& active_manifest(const json& report) {
  static const json kNull;
  const std::string label = report.value("active_manifest", "");
  if (!report.contains("manifests") || !report["manifests"].contains(label)) return kNull;
  return report["manifests"][label];
}

// The reference reader's JSON, or null (with the reason in `why`) when it cannot run.
json reference_read(const Env& e, const fs::path& file, std::string& why) {
  if (!vt_test::node_available()) {
    why = "node >= 20 is absent";
    return nullptr;
  }
  if (!fs::exists(e.read_mjs)) {
    why = e.read_mjs.string() + " is absent";
    return nullptr;
  }
  auto r = vt_test::run("timeout 120 node " + shell_quote(e.read_mjs.string()) + " " + shell_quote(file.string()) +
                        " --trust " + shell_quote(e.root.string()));
  json j = json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || j.is_discarded()) {
    ADD_FAILURE() << "read.mjs failed (" << r.exit_code << "): " << r.err << r.out;
    return nullptr;
  }
  return j;
}

TEST(C2paThumbnail, JpegGetsAClaimThumbnail) {
  VT_REQUIRE_SHARED(shared);
  const Env e = env_of(shared);
  vt_test::TempDir dir;
  const fs::path out = dir.path() / "signed.jpg";
  c2pa::Signer(options(e)).sign_file(e.src_jpg.string(), out.string());

  auto r = read_back(e, out);
  EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << r.report.dump(2);
  const json& m = active_manifest(r.report);
  ASSERT_TRUE(m.contains("thumbnail")) << m.dump(2);
  EXPECT_EQ(m["thumbnail"].value("format", ""), "image/jpeg");
  EXPECT_NE(m["thumbnail"].value("identifier", "").find("c2pa.thumbnail.claim"), std::string::npos);

  std::string why;
  json ref = reference_read(e, out, why);
  if (ref.is_null()) GTEST_SKIP() << "reference read skipped: " << why;
  EXPECT_EQ(ref.value("validation_state", ""), "Trusted") << ref.dump(2);
  const json& rm = active_manifest(ref);
  ASSERT_TRUE(rm.contains("thumbnail")) << rm.dump(2);
  EXPECT_EQ(rm["thumbnail"].value("format", ""), "image/jpeg");
}

TEST(C2paThumbnail, UnsignedPngParentGetsAnIngredientThumbnail) {
  VT_REQUIRE_SHARED(shared);
  const Env e = env_of(shared);
  vt_test::TempDir dir;
  const fs::path out = dir.path() / "signed.jpg";
  auto o = options(e);
  o.parent = e.src_png.string();
  c2pa::Signer(o).sign_file(e.src_jpg.string(), out.string());

  auto r = read_back(e, out);
  EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << r.report.dump(2);
  const json& m = active_manifest(r.report);
  EXPECT_TRUE(m.contains("thumbnail"));
  ASSERT_TRUE(m.contains("ingredients") && m["ingredients"].size() == 1) << m.dump(2);
  const json& ing = m["ingredients"][0];
  EXPECT_EQ(ing.value("relationship", ""), "parentOf");
  ASSERT_TRUE(ing.contains("thumbnail")) << ing.dump(2);
  EXPECT_EQ(ing["thumbnail"].value("format", ""), "image/jpeg");
  EXPECT_NE(ing["thumbnail"].value("identifier", "").find("c2pa.thumbnail.ingredient"), std::string::npos);

  std::string why;
  json ref = reference_read(e, out, why);
  if (ref.is_null()) GTEST_SKIP() << "reference read skipped: " << why;
  EXPECT_EQ(ref.value("validation_state", ""), "Trusted") << ref.dump(2);
  const json& rm = active_manifest(ref);
  EXPECT_TRUE(rm.contains("thumbnail")) << rm.dump(2);
  ASSERT_TRUE(rm.contains("ingredients") && rm["ingredients"].size() == 1) << rm.dump(2);
  ASSERT_TRUE(rm["ingredients"][0].contains("thumbnail")) << rm.dump(2);
  EXPECT_EQ(rm["ingredients"][0]["thumbnail"].value("format", ""), "image/jpeg");
}

TEST(C2paThumbnail, PngInputAndClaimVersion1) {
  VT_REQUIRE_SHARED(shared);
  const Env e = env_of(shared);
  vt_test::TempDir dir;
  for (int version : {1, 2}) {
    const fs::path out = dir.path() / ("signed-v" + std::to_string(version) + ".png");
    auto o = options(e);
    o.claim_version = version;
    c2pa::Signer(o).sign_file(e.src_png.string(), out.string());
    auto r = read_back(e, out);
    EXPECT_EQ(r.state, c2pa::ValidationState::Trusted) << r.report.dump(2);
    const json& m = active_manifest(r.report);
    ASSERT_TRUE(m.contains("thumbnail")) << m.dump(2);
    EXPECT_EQ(m["thumbnail"].value("format", ""), "image/jpeg");
    const std::string label = version == 1 ? "c2pa.thumbnail.claim.jpeg" : "c2pa.thumbnail.claim";
    const std::string id = m["thumbnail"].value("identifier", "");
    EXPECT_EQ(id.substr(id.size() - label.size()), label) << id;
  }
}

TEST(C2paThumbnail, NoThumbnailOption) {
  VT_REQUIRE_SHARED(shared);
  const Env e = env_of(shared);
  vt_test::TempDir dir;
  const fs::path out = dir.path() / "signed.jpg";
  auto r = vt_test::run(shell_quote(vt_test::cli_path().string()) + " c2pa sign " + shell_quote(e.src_jpg.string()) + " -o " +
                        shell_quote(out.string()) + " --cert " + shell_quote(e.chain.string()) + " --key " +
                        shell_quote(e.key.string()) + " --parent " + shell_quote(e.src_png.string()) + " --no-thumbnail");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rr = read_back(e, out);
  EXPECT_EQ(rr.state, c2pa::ValidationState::Trusted);
  const json& m = active_manifest(rr.report);
  EXPECT_FALSE(m.contains("thumbnail")) << m.dump(2);
  ASSERT_TRUE(m.contains("ingredients") && m["ingredients"].size() == 1);
  EXPECT_FALSE(m["ingredients"][0].contains("thumbnail"));
}

}  // namespace
