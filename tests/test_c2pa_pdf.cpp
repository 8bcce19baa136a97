// End-to-end C2PA reads of PDF: the shared corpus file (Adobe, linearized, manifest store as an
// associated embedded file) read like c2pa-rs 0.90.1 reads it, and tampered copies of it: a
// byte flipped in the page content or an image, an incremental update appended without a new
// manifest, and the file cut at many offsets. Places to tamper with are found here by searching
// the bytes, not through the product's PDF parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include <zlib.h>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

namespace fs = std::filesystem;
using namespace veritrace;
using Bytes = std::vector<uint8_t>;

namespace {

const char* kPdf = "data/c2pa/fixtures/public-testfiles/adobe-20240110-single_manifest_store.pdf";

std::string failures(const nlohmann::json& report) {
  std::vector<std::string> codes;
  if (report.contains("validation_results")) {
    for (const auto& f : report["validation_results"]["activeManifest"]["failure"]) codes.push_back(f["code"]);
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  std::string out;
  for (const auto& c : codes) out += (out.empty() ? "" : ",") + c;
  return out.empty() ? "-" : out;
}

c2pa::Reader reader(bool trust, const fs::path& shared) {
  c2pa::ReadOptions o;
  o.no_trust_check = !trust;
  if (trust) o.trust_anchor_files = {(shared / "tools" / "c2pa-ref" / "pki" / "root.pem").string()};
  return c2pa::Reader(o);
}

// Offset of the data of the stream of object `num` (after "stream" and its end of line).
size_t stream_data_of(const Bytes& pdf, const std::string& num) {
  std::string_view text(reinterpret_cast<const char*>(pdf.data()), pdf.size());
  size_t obj = text.find("\r" + num + " 0 obj");
  if (obj == std::string_view::npos) return std::string_view::npos;
  size_t kw = text.find("stream\r\n", obj);
  return kw == std::string_view::npos ? kw : kw + 8;
}

struct Outcome {
  std::string state;  // or "Error"
  std::string failures;
};

Outcome read_bytes(const c2pa::Reader& r, const Bytes& bytes) {
  auto src = make_span_source(bytes, "tampered.pdf");
  try {
    auto result = r.read(*src);
    return {c2pa::state_name(result.state), failures(result.report)};
  } catch (const Error&) {
    return {"Error", "-"};
  }
}

}  // namespace

TEST(C2paPdf, CorpusFileMatchesTheReference) {
  VT_REQUIRE_SHARED(shared);
  auto plain = reader(false, shared).read_file((shared / kPdf).string());
  EXPECT_STREQ(c2pa::state_name(plain.state), "Valid");
  EXPECT_EQ(failures(plain.report), "-");
  EXPECT_EQ(plain.report["manifests"].size(), 3u);
  EXPECT_EQ(plain.report["active_manifest"], "urn:uuid:64c58246-c169-4004-9298-f2cc7a0164f9");

  auto trusted = reader(true, shared).read_file((shared / kPdf).string());
  EXPECT_STREQ(c2pa::state_name(trusted.state), "Valid");
  EXPECT_EQ(failures(trusted.report), "signingCredential.untrusted");
  // The reference reports the ingredients' signers as untrusted deltas too.
  const auto& deltas = trusted.report["validation_results"]["ingredientDeltas"];
  ASSERT_EQ(deltas.size(), 2u);
  for (const auto& d : deltas) {
    ASSERT_EQ(d["validationDeltas"]["failure"].size(), 1u);
    EXPECT_EQ(d["validationDeltas"]["failure"][0]["code"], "signingCredential.untrusted");
  }
}

TEST(C2paPdf, FlippedPageContentOrImageByteIsADataHashMismatch) {
  VT_REQUIRE_SHARED(shared);
  Bytes pdf = vt_test::read_file(shared / kPdf);
  auto r = reader(false, shared);
  ASSERT_EQ(read_bytes(r, pdf).state, "Valid");
  for (const char* object : {"13", "20"}) {  // the page's content stream; an image XObject
    size_t at = stream_data_of(pdf, object);
    ASSERT_NE(at, std::string_view::npos) << object;
    Bytes tampered = pdf;
    tampered[at + 10] ^= 0x01;
    Outcome o = read_bytes(r, tampered);
    EXPECT_EQ(o.state, "Invalid") << object;
    EXPECT_EQ(o.failures, "assertion.dataHash.mismatch") << object;
  }
}

TEST(C2paPdf, FlippedManifestByteIsNeverValid) {
  VT_REQUIRE_SHARED(shared);
  Bytes pdf = vt_test::read_file(shared / kPdf);
  size_t at = stream_data_of(pdf, "1");
  ASSERT_NE(at, std::string_view::npos);
  auto r = reader(false, shared);
  // The store's first 25000 bytes hold the two ingredient manifests (covered by the ingredient
  // assertions' hashes), then the active manifest's assertions, claim and the start of its COSE
  // signature. After that comes its unprotected header (time-stamp token, certificate chain, pad),
  // which no signature covers as a whole (the reference too calls such flips Valid when trust is
  // not checked), and finally the signature value itself.
  std::vector<size_t> offsets;
  for (size_t delta = 40; delta < 25000; delta += 997) offsets.push_back(delta);
  for (size_t from_end : {1, 20, 60}) offsets.push_back(35046 - from_end);
  for (size_t delta : offsets) {
    Bytes tampered = pdf;
    tampered[at + delta] ^= 0x20;
    EXPECT_NE(read_bytes(r, tampered).state, "Valid") << "offset in store " << delta;
  }
}

TEST(C2paPdf, IncrementalUpdateWithoutNewManifestBreaksTheBinding) {
  VT_REQUIRE_SHARED(shared);
  Bytes pdf = vt_test::read_file(shared / kPdf);
  std::string_view text(reinterpret_cast<const char*>(pdf.data()), pdf.size());
  size_t last_xref = 626351;  // the main xref table of this file (its trailer's /Prev)
  ASSERT_EQ(text.substr(last_xref, 4), "xref");
  // A new Info dictionary, as an editor saving an incremental update would write it.
  std::string update = "\n6 0 obj\n<</Title(changed)>>\nendobj\n";
  size_t obj_offset = pdf.size() + 1;
  char entry[32];
  std::snprintf(entry, sizeof entry, "%010zu 00000 n\r\n", obj_offset);
  size_t xref_offset = pdf.size() + update.size();
  update += "xref\n6 1\n" + std::string(entry) + "trailer\n<</Size 23/Root 8 0 R/Info 6 0 R/Prev 116>>\nstartxref\n" +
            std::to_string(xref_offset) + "\n%%EOF\n";
  pdf.insert(pdf.end(), update.begin(), update.end());
  Outcome o = read_bytes(reader(false, shared), pdf);
  EXPECT_EQ(o.state, "Invalid");
  EXPECT_EQ(o.failures, "assertion.dataHash.mismatch");
}

// c2pa-rs 0.90.1 reads the embedded file's bytes as stored and fails on a Flate-compressed store
// ("invalid JUMBF header"); we decode it (docs/conformance.md). Here the same store, compressed,
// is written by an incremental update: it parses, its signature holds, and the binding breaks
// because the file grew.
TEST(C2paPdf, FlateCompressedStoreInAnUpdateIsDecoded) {
  VT_REQUIRE_SHARED(shared);
  Bytes pdf = vt_test::read_file(shared / kPdf);
  size_t at = stream_data_of(pdf, "1");
  ASSERT_NE(at, std::string_view::npos);
  uLongf packed_size = compressBound(35046);
  std::string packed(packed_size, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, &pdf[at], 35046, 6), Z_OK);
  packed.resize(packed_size);
  std::string update = "\n1 0 obj\n<</Type/EmbeddedFile/Subtype/application#2Fc2pa/Filter/FlateDecode/Length " +
                       std::to_string(packed.size()) + ">>stream\r\n" + packed + "\r\nendstream\nendobj\n";
  char entry[32];
  std::snprintf(entry, sizeof entry, "%010zu 00000 n\r\n", pdf.size() + 1);
  size_t xref_offset = pdf.size() + update.size();
  update += "xref\n1 1\n" + std::string(entry) + "trailer\n<</Size 23/Root 8 0 R/Prev 116>>\nstartxref\n" +
            std::to_string(xref_offset) + "\n%%EOF\n";
  pdf.insert(pdf.end(), update.begin(), update.end());
  auto result = reader(false, shared).read(*make_span_source(pdf, "flate.pdf"));
  EXPECT_STREQ(c2pa::state_name(result.state), "Invalid");
  EXPECT_EQ(failures(result.report), "assertion.dataHash.mismatch");
  EXPECT_EQ(result.report["manifests"].size(), 3u);
}

TEST(C2paPdf, TruncatedFileIsNeverValid) {
  VT_REQUIRE_SHARED(shared);
  Bytes pdf = vt_test::read_file(shared / kPdf);
  auto r = reader(false, shared);
  size_t store = stream_data_of(pdf, "1");
  std::vector<size_t> cuts;
  for (size_t len = 0; len < pdf.size(); len += pdf.size() / 97 + 1) cuts.push_back(len);
  for (size_t d : {0, 1, 9, 100, 20000, 35045, 35046, 35047}) cuts.push_back(store + d);
  for (size_t d = 1; d < 40; ++d) cuts.push_back(pdf.size() - d);  // inside the trailer
  int errors = 0;
  for (size_t len : cuts) {
    Bytes cut(pdf.begin(), pdf.begin() + long(len));
    Outcome o = read_bytes(r, cut);
    EXPECT_NE(o.state, "Valid") << "cut at " << len;
    EXPECT_NE(o.state, "Trusted") << "cut at " << len;
    errors += o.state == "Error";
  }
  EXPECT_GT(errors, 0);
}
