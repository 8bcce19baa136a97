// CAWG identity assertions (cawg.identity) against the reference (c2pa-rs 0.90.1): the five
// corpus files in both trust modes (INDEX.tsv), and tampered signatures whose expected statuses
// were taken from the reference reading the same tampered bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "support/test_support.hpp"
#include "veritrace/c2pa.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

struct Expected {
  std::string state_notrust, failures_notrust, state_trust, failures_trust;
};

std::map<std::string, Expected> read_index(const fs::path& tsv) {
  std::map<std::string, Expected> rows;
  std::ifstream in(tsv);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 7) continue;
    rows[cols[0]] = {cols[3], cols[4], cols[5], cols[6]};
  }
  return rows;
}

std::set<std::string> codes(const nlohmann::json& report, const char* kind) {
  std::set<std::string> out;
  if (!report.contains("validation_results")) return out;
  for (const auto& s : report["validation_results"]["activeManifest"][kind]) out.insert(s["code"].get<std::string>());
  return out;
}

std::string joined(const std::set<std::string>& s) {
  if (s.empty()) return "-";
  std::string out;
  for (const auto& c : s) out += (out.empty() ? "" : ",") + c;
  return out;
}

// Statuses of one code whose url is the identity assertion's.
size_t count_at(const nlohmann::json& report, const char* kind, const std::string& code, const std::string& url_suffix) {
  size_t n = 0;
  for (const auto& s : report["validation_results"]["activeManifest"][kind]) {
    const std::string url = s.value("url", "");
    if (s["code"] == code && url.size() >= url_suffix.size() &&
        url.compare(url.size() - url_suffix.size(), url_suffix.size(), url_suffix) == 0) {
      ++n;
    }
  }
  return n;
}

const char* const kFiles[] = {
    "fixtures/c2pa-rs/C_with_CAWG_data.jpg",
    "fixtures/c2pa-rs/cawg-no_hard_binding.jpg",
    "fixtures/c2pa-rs/cawg-adobe_connected_identities.jpg",
    "fixtures/c2pa-rs/cawg-ica-success.jpg",
    "fixtures/c2pa-rs/cawg-malformed_cbor.jpg",
};

void check_mode(bool trust_run) {
  VT_REQUIRE_SHARED(shared);
  const fs::path data = shared / "data" / "c2pa";
  auto index = read_index(data / "INDEX.tsv");
  c2pa::ReadOptions options;
  options.no_trust_check = !trust_run;
  if (trust_run) options.trust_anchor_files = {(shared / "tools" / "c2pa-ref" / "pki" / "root.pem").string()};
  c2pa::Reader reader(options);
  for (const char* file : kFiles) {
    SCOPED_TRACE(file);
    ASSERT_TRUE(index.count(file)) << "not in INDEX.tsv";
    const Expected& want = index[file];
    auto result = reader.read_file((data / file).string());
    EXPECT_EQ(c2pa::state_name(result.state), trust_run ? want.state_trust : want.state_notrust);
    EXPECT_EQ(joined(codes(result.report, "failure")), trust_run ? want.failures_trust : want.failures_notrust);
  }
}

std::vector<uint8_t> flip_in_identity_signature(std::vector<uint8_t> bytes) {
  // The signature byte string ends just before the "pad1" key (text(4) "pad1") of the assertion.
  const std::string label = "cawg.identity";
  auto at = std::search(bytes.begin(), bytes.end(), label.begin(), label.end());
  EXPECT_NE(at, bytes.end());
  const uint8_t key[] = {0x64, 'p', 'a', 'd', '1'};
  auto pad = std::search(at, bytes.end(), std::begin(key), std::end(key));
  EXPECT_NE(pad, bytes.end());
  if (pad == bytes.end() || pad - bytes.begin() < 10) return bytes;
  *(pad - 10) ^= 0x01;
  return bytes;
}

}  // namespace

TEST(C2paCawg, CorpusMatchesReferenceWithoutTrustCheck) { check_mode(false); }
TEST(C2paCawg, CorpusMatchesReferenceWithTrustAnchors) { check_mode(true); }

// The X.509 identity signer is judged against CAWG trust settings (empty in c2pa-rs by default),
// whatever C2PA anchors are given, and even with --no-trust-check.
TEST(C2paCawg, X509SignerIsCheckedForTrustSeparately) {
  VT_REQUIRE_SHARED(shared);
  const fs::path file = shared / "data" / "c2pa" / "fixtures/c2pa-rs/C_with_CAWG_data.jpg";
  for (bool no_trust : {true, false}) {
    c2pa::ReadOptions options;
    options.no_trust_check = no_trust;
    auto result = c2pa::Reader(options).read_file(file.string());
    EXPECT_EQ(count_at(result.report, "failure", "signingCredential.untrusted", "/c2pa.assertions/cawg.identity"), 1u);
    EXPECT_EQ(count_at(result.report, "success", "cawg.identity.well-formed", "/c2pa.assertions/cawg.identity"), 1u);
  }
}

TEST(C2paCawg, MalformedAssertionFailsTheManifestLoad) {
  VT_REQUIRE_SHARED(shared);
  const fs::path file = shared / "data" / "c2pa" / "fixtures/c2pa-rs/cawg-malformed_cbor.jpg";
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  auto result = c2pa::Reader(options).read_file(file.string());
  bool found = false;
  for (const auto& s : result.report["validation_results"]["activeManifest"]["failure"]) {
    if (s["code"] == "assertion.required.missing") {
      found = true;
      EXPECT_EQ(s["url"], "self#jumbf=/c2pa/test:urn:uuid:48d44c17-30ba-4e47-bd58-e0987dbe2826");
      EXPECT_EQ(s["explanation"], "Failed to load manifest");
    }
  }
  EXPECT_TRUE(found);
}

// A flipped bit in the X.509 identity signature: the box hash breaks (C2PA) and c2pa-rs drops
// cawg.identity.well-formed without a status of its own; the trust check still reports.
TEST(C2paCawg, TamperedX509SignatureIsNotWellFormed) {
  VT_REQUIRE_SHARED(shared);
  auto bytes = vt_test::read_file(shared / "data" / "c2pa" / "fixtures/c2pa-rs/C_with_CAWG_data.jpg");
  auto source = make_memory_source(flip_in_identity_signature(bytes), "tampered.jpg");
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  auto result = c2pa::Reader(options).read(*source);
  EXPECT_EQ(c2pa::state_name(result.state), std::string("Invalid"));
  EXPECT_EQ(joined(codes(result.report, "failure")), "assertion.hashedURI.mismatch,signingCredential.untrusted");
  EXPECT_EQ(codes(result.report, "success").count("cawg.identity.well-formed"), 0u);
}

// A flipped bit in the identity claims aggregation credential's signature.
TEST(C2paCawg, TamperedIcaSignatureMismatches) {
  VT_REQUIRE_SHARED(shared);
  auto bytes = vt_test::read_file(shared / "data" / "c2pa" / "fixtures/c2pa-rs/cawg-ica-success.jpg");
  auto source = make_memory_source(flip_in_identity_signature(bytes), "tampered.jpg");
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  auto result = c2pa::Reader(options).read(*source);
  EXPECT_EQ(c2pa::state_name(result.state), std::string("Invalid"));
  EXPECT_EQ(joined(codes(result.report, "failure")), "assertion.hashedURI.mismatch,cawg.ica.signature_mismatch");
  // The assertion still yields a credential: c2pa-rs logs the outer "signature valid" status,
  // but not "ICA credential is valid".
  EXPECT_EQ(count_at(result.report, "success", "cawg.ica.credential_valid", "/c2pa.assertions/cawg.identity"), 1u);
}

TEST(C2paCawg, IcaSuccessLogsBothCredentialStatuses) {
  VT_REQUIRE_SHARED(shared);
  const fs::path file = shared / "data" / "c2pa" / "fixtures/c2pa-rs/cawg-ica-success.jpg";
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  auto result = c2pa::Reader(options).read_file(file.string());
  EXPECT_EQ(count_at(result.report, "success", "cawg.ica.credential_valid", "/c2pa.assertions/cawg.identity"), 2u);
}

// Untrusted input: single-byte changes anywhere in the identity assertion (CBOR structure, COSE,
// certificates, credential JSON) never crash or throw anything but veritrace::Error.
TEST(C2paCawg, MutatedAssertionsNeverCrash) {
  VT_REQUIRE_SHARED(shared);
  c2pa::ReadOptions options;
  options.no_trust_check = true;
  c2pa::Reader reader(options);
  const std::string label = "cawg.identity";
  uint32_t rng = 12345;
  auto next = [&rng]() {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  for (const char* file : kFiles) {
    SCOPED_TRACE(file);
    const auto original = vt_test::read_file(shared / "data" / "c2pa" / file);
    auto at = std::search(original.begin(), original.end(), label.begin(), label.end());
    ASSERT_NE(at, original.end());
    const size_t start = static_cast<size_t>(at - original.begin());
    const size_t span = std::min<size_t>(4000, original.size() - start);
    for (int i = 0; i < 60; ++i) {
      auto bytes = original;
      bytes[start + next() % span] ^= static_cast<uint8_t>(1u << (next() % 8));
      auto source = make_memory_source(std::move(bytes), "mutated.jpg");
      try {
        auto result = reader.read(*source);
        EXPECT_NE(c2pa::state_name(result.state), std::string("Trusted"));
      } catch (const Error&) {
      }
    }
  }
}
