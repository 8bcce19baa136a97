// End-to-end reads of C2PA in the formats added after JPEG/PNG/BMFF/WAV: WebP, TIFF (both byte
// orders), DNG, GIF, MP3, SVG. The signed samples in tests/fixtures/formats_more/ were made with
// the reference signer (c2pa-rs 0.90.1, tools/c2pa-ref/sign.mjs, es256 test PKI, no thumbnail).
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

fs::path fixture(const std::string& name) { return vt_test::source_dir() / "tests" / "fixtures" / "formats_more" / name; }

std::string failures(const c2pa::ReadResult& r) {
  std::string out;
  if (!r.report.contains("validation_results")) return "-";
  for (const auto& f : r.report["validation_results"]["activeManifest"]["failure"]) {
    out += (out.empty() ? "" : ",") + f["code"].get<std::string>();
  }
  return out.empty() ? "-" : out;
}

c2pa::Reader trusting_reader(const fs::path& shared) {
  c2pa::ReadOptions o;
  o.trust_anchor_files = {(shared / "tools" / "c2pa-ref" / "pki" / "root.pem").string()};
  return c2pa::Reader(o);
}

c2pa::Reader no_trust_reader() {
  c2pa::ReadOptions o;
  o.no_trust_check = true;
  return c2pa::Reader(o);
}

// Flips one byte of the image/audio data (found by `find`), outside the manifest store.
std::vector<uint8_t> tampered(std::vector<uint8_t> bytes, size_t at) {
  bytes.at(at) ^= 0x5A;
  return bytes;
}

size_t find_bytes(const std::vector<uint8_t>& hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); });
  return it == hay.end() ? std::string::npos : size_t(it - hay.begin());
}

c2pa::ReadResult read_bytes(const c2pa::Reader& reader, const std::vector<uint8_t>& bytes) {
  auto src = make_span_source(bytes, "tampered");
  return reader.read(*src);
}

}  // namespace

TEST(C2paFormatsMore, SignedSamplesValidateWithoutTrustCheck) {
  auto reader = no_trust_reader();
  for (const char* f : {"es256.webp", "es256-ii.tif", "es256-mm.tif", "es256.gif", "es256.mp3"}) {
    auto r = reader.read_file(fixture(f).string());
    EXPECT_STREQ(c2pa::state_name(r.state), "Valid") << f;
    EXPECT_EQ(failures(r), "-") << f;
  }
}

TEST(C2paFormatsMore, SignedSamplesAreTrustedWithTheTestRoot) {
  VT_REQUIRE_SHARED(shared);
  auto reader = trusting_reader(shared);
  for (const char* f : {"es256.webp", "es256-ii.tif", "es256-mm.tif", "es256.gif", "es256.mp3"}) {
    auto r = reader.read_file(fixture(f).string());
    EXPECT_STREQ(c2pa::state_name(r.state), "Trusted") << f;
    EXPECT_EQ(failures(r), "-") << f;
  }
  // Without anchors nothing is trusted, as in c2pa-rs.
  auto r = c2pa::Reader().read_file(fixture("es256.webp").string());
  EXPECT_EQ(failures(r), "signingCredential.untrusted");
}

TEST(C2paFormatsMore, TamperedPixelsGiveDataHashMismatch) {
  auto reader = no_trust_reader();
  {
    auto bytes = vt_test::read_file(fixture("es256.webp"));
    size_t vp8 = find_bytes(bytes, "VP8");
    ASSERT_NE(vp8, std::string::npos);
    auto r = read_bytes(reader, tampered(bytes, vp8 + 20));
    EXPECT_STREQ(c2pa::state_name(r.state), "Invalid");
    EXPECT_EQ(failures(r), "assertion.dataHash.mismatch");
  }
  for (const char* f : {"es256.gif", "es256.mp3"}) {
    // Both end with image/audio data: the last image's data sub-blocks, the last MPEG frames.
    auto bytes = vt_test::read_file(fixture(f));
    auto r = read_bytes(reader, tampered(bytes, bytes.size() - 20));
    EXPECT_STREQ(c2pa::state_name(r.state), "Invalid") << f;
    EXPECT_EQ(failures(r), "assertion.dataHash.mismatch") << f;
  }
  for (const char* f : {"es256-ii.tif", "es256-mm.tif"}) {
    auto bytes = vt_test::read_file(fixture(f));
    // The samples' first pixel row is 0, 16, 32, ... 240.
    std::string row;
    for (int x = 0; x < 16; ++x) row += char(x * 16);
    size_t pixels = find_bytes(bytes, row);
    ASSERT_NE(pixels, std::string::npos) << f;
    auto r = read_bytes(reader, tampered(bytes, pixels + 3));
    EXPECT_STREQ(c2pa::state_name(r.state), "Invalid") << f;
    EXPECT_EQ(failures(r), "assertion.dataHash.mismatch") << f;
  }
}

TEST(C2paFormatsMore, SharedDngAndWebPMatchTheReference) {
  VT_REQUIRE_SHARED(shared);
  fs::path data = shared / "data" / "c2pa" / "fixtures";
  auto dng = no_trust_reader().read_file((data / "c2pa-python" / "C.dng").string());
  EXPECT_STREQ(c2pa::state_name(dng.state), "Valid");
  EXPECT_EQ(failures(dng), "-");
  auto trusted = trusting_reader(shared).read_file((data / "c2pa-python" / "C.dng").string());
  EXPECT_STREQ(c2pa::state_name(trusted.state), "Valid");
  EXPECT_EQ(failures(trusted), "signingCredential.untrusted");
  auto webp = no_trust_reader().read_file((data / "c2pa-rs" / "test.webp").string());
  EXPECT_STREQ(c2pa::state_name(webp.state), "NoManifest");
}

// PDF is supported (tests/test_c2pa_pdf.cpp); a bare header has no cross-reference data.
TEST(C2paFormatsMore, HeaderOnlyPdfIsMalformed) {
  vt_test::TempDir dir;
  auto pdf = dir.path() / "x.pdf";
  vt_test::write_file(pdf, std::vector<uint8_t>{'%', 'P', 'D', 'F', '-', '1', '.', '7', '\n'});
  try {
    (void)no_trust_reader().read_file(pdf.string());
    FAIL() << "a header-only PDF must be malformed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
  }
}
