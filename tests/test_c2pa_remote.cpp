// Remote manifests: reported, never fetched unless asked; fetched from a local HTTP server
// started by the test when --fetch-remote / ReadOptions::fetch_remote is set.
#include <gtest/gtest.h>


#include "support/local_tsa.hpp"
#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

using namespace veritrace;

namespace {

// Serves one body at one path, 404 elsewhere, on 127.0.0.1 with a kernel-chosen port.
class TinyHttpServer : public vt_test::TinyPostServer {
 public:
  TinyHttpServer(std::string path, std::vector<uint8_t> body)
      : TinyPostServer("application/c2pa", [body = std::move(body)](const std::vector<uint8_t>&) { return body; },
                       std::move(path), 404) {}
};

// The JPEG with an XMP APP1 segment naming `url` as its provenance, inserted after SOI.
std::vector<uint8_t> with_provenance_xmp(const std::vector<uint8_t>& jpeg, const std::string& url) {
  std::string xmp = "http://ns.adobe.com/xap/1.0/";
  xmp.push_back('\0');
  xmp += "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
         "<rdf:Description xmlns:dcterms=\"http://purl.org/dc/terms/\" dcterms:provenance=\"" + url +
         "\"/></rdf:RDF></x:xmpmeta>";
  size_t len = xmp.size() + 2;
  std::vector<uint8_t> out;
  out.reserve(jpeg.size() + len + 2);
  for (uint8_t b : {jpeg[0], jpeg[1], uint8_t{0xFF}, uint8_t{0xE1}, static_cast<uint8_t>(len >> 8),
                    static_cast<uint8_t>(len & 0xFF)}) {
    out.push_back(b);
  }
  for (char ch : xmp) out.push_back(static_cast<uint8_t>(ch));
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

}  // namespace

TEST(C2paRemote, ReportedButNotFetchedByDefault) {
  VT_REQUIRE_SHARED(shared);
  auto jpeg = vt_test::read_file(shared / "data/c2pa/made/sidecar/es256-sidecar.jpg");
  auto asset = with_provenance_xmp(jpeg, "http://127.0.0.1:9/never-contacted.c2pa");
  c2pa::Reader reader;
  auto r = reader.read(*make_memory_source(asset, "asset.jpg"));
  EXPECT_EQ(r.state, c2pa::ValidationState::NoManifest);
  EXPECT_EQ(r.report["remote_manifest_url"], "http://127.0.0.1:9/never-contacted.c2pa");
  EXPECT_EQ(r.report["manifest_source"], "none");
}

TEST(C2paRemote, FetchedAndValidatedWhenAsked) {
  VT_REQUIRE_SHARED(shared);
  auto jpeg = vt_test::read_file(shared / "data/c2pa/made/sidecar/es256-sidecar.jpg");
  auto store = vt_test::read_file(shared / "data/c2pa/made/sidecar/es256-sidecar.c2pa");
  TinyHttpServer server("/m.c2pa", store);
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/m.c2pa";
  auto asset = with_provenance_xmp(jpeg, url);

  c2pa::ReadOptions options;
  options.fetch_remote = true;
  options.trust_anchor_files = {(shared / "tools/c2pa-ref/pki/root.pem").string()};
  c2pa::Reader reader(options);
  auto r = reader.read(*make_memory_source(asset, "asset.jpg"));
  EXPECT_EQ(r.report["manifest_source"], "remote");
  EXPECT_EQ(r.report["remote_manifest_url"], url);
  ASSERT_TRUE(r.report.contains("active_manifest"));
  // The signature and chain are fine, but inserting the XMP segment changed the bytes the
  // sidecar's data hash covers: the fetched manifest must say so.
  bool saw_signature = false, saw_mismatch = false;
  for (const auto& s : r.report["validation_results"]["activeManifest"]["success"]) {
    saw_signature |= s["code"] == "claimSignature.validated";
  }
  for (const auto& s : r.report["validation_results"]["activeManifest"]["failure"]) {
    saw_mismatch |= s["code"] == "assertion.dataHash.mismatch";
  }
  EXPECT_TRUE(saw_signature);
  EXPECT_TRUE(saw_mismatch);
  EXPECT_EQ(r.state, c2pa::ValidationState::Invalid);

  // The original, unmodified JPEG validates against the same store as a sidecar: Trusted.
  vt_test::TempDir dir;
  vt_test::write_file(dir.path() / "a.jpg", jpeg);
  vt_test::write_file(dir.path() / "a.c2pa", store);
  auto side = reader.read_with_sidecar((dir.path() / "a.jpg").string(), (dir.path() / "a.c2pa").string());
  EXPECT_EQ(side.state, c2pa::ValidationState::Trusted);
}

TEST(C2paRemote, MissingRemoteIsAnIoError) {
  VT_REQUIRE_SHARED(shared);
  auto jpeg = vt_test::read_file(shared / "data/c2pa/made/sidecar/es256-sidecar.jpg");
  TinyHttpServer server("/other", {});
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/m.c2pa";
  c2pa::ReadOptions options;
  options.fetch_remote = true;
  c2pa::Reader reader(options);
  try {
    reader.read(*make_memory_source(with_provenance_xmp(jpeg, url), "asset.jpg"));
    FAIL() << "expected an error for a 404";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
  }
}
