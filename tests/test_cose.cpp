// COSE verification on data generated here with OpenSSL (no shared data needed).
#include <gtest/gtest.h>

#include <set>

#include "cose/cose.hpp"
#include "veritrace/core.hpp"
#include "support/cose_test_helpers.hpp"
#include "support/test_support.hpp"

using namespace veritrace;
using namespace vt_test::cose;

namespace {

// A root CA and a leaf signer it issued, plus anchors written to a PEM file.
struct Pki {
  Key root_key = ec_key();
  Cert root;
  Key leaf_key;
  Cert leaf;
  vt_test::TempDir dir;
  std::string anchors_path;

  explicit Pki(Key signer_key, CertSpec leaf_spec = {.common_name = "Test Signer"}) : leaf_key(std::move(signer_key)) {
    root = make_cert({.common_name = "Test Root", .ca = true, .key_usage = "critical,keyCertSign,cRLSign", .eku = ""},
                     root_key.get(), nullptr, nullptr);
    leaf_spec.serial = 4242;
    leaf = make_cert(leaf_spec, leaf_key.get(), root.get(), root_key.get());
    anchors_path = (dir.path() / "root.pem").string();
    const std::string pem = pem_of(root.get());
    vt_test::write_file(dir.path() / "root.pem", std::vector<uint8_t>(pem.begin(), pem.end()));
  }
  cose::TrustSettings anchors() const { return cose::TrustSettings::from_pem_files({anchors_path}); }
  std::vector<uint8_t> sign(const std::vector<uint8_t>& claim, CoseSpec spec = {}) const {
    return make_cose(spec, leaf_key.get(), {leaf.get(), root.get()}, claim);
  }
};

const std::vector<uint8_t> k_claim = veritrace::cbor::encode(
    veritrace::cbor::Value::make_map().set("created_assertions", veritrace::cbor::Value::make_array()));

}  // namespace

TEST(Cose, GeneratedEs256IsValidAndTrusted) {
  Pki pki(ec_key());
  const auto cose_bytes = pki.sign(k_claim);
  auto trusted = cose::verify_claim_signature(cose_bytes, k_claim, pki.anchors());
  EXPECT_TRUE(trusted.signature_valid);
  EXPECT_TRUE(failures(trusted).empty());
  EXPECT_TRUE(has_success(trusted, "signingCredential.trusted"));
  EXPECT_TRUE(has_success(trusted, "claimSignature.validated"));
  EXPECT_EQ(trusted.signature_info.value("alg", ""), "Es256");
  EXPECT_EQ(trusted.signature_info.value("issuer", ""), "Veritrace Test");
  EXPECT_EQ(trusted.signature_info.value("common_name", ""), "Test Signer");
  EXPECT_EQ(trusted.signature_info.value("cert_serial_number", ""), "4242");
  EXPECT_FALSE(trusted.signature_info.contains("time"));
  EXPECT_EQ(trusted.details["certificate_chain"].size(), 2u);

  auto empty = cose::verify_claim_signature(cose_bytes, k_claim, cose::TrustSettings());
  EXPECT_EQ(failures(empty), std::set<std::string>{"signingCredential.untrusted"});
  EXPECT_TRUE(empty.signature_valid);

  auto no_check = cose::verify_claim_signature(cose_bytes, k_claim, cose::TrustSettings::no_check());
  EXPECT_TRUE(failures(no_check).empty());
  for (const auto& s : no_check.statuses) EXPECT_FALSE(s.code.starts_with("signingCredential.")) << s.code;
}

TEST(Cose, GeneratedOtherAlgorithms) {
  struct Case {
    Alg alg;
    Key key;
  };
  std::vector<Case> cases;
  cases.push_back({Alg::Es384, ec_key("P-384")});
  cases.push_back({Alg::Es512, ec_key("P-521")});
  cases.push_back({Alg::Ps256, rsa_key(2048)});
  cases.push_back({Alg::Ed25519, ed25519_key()});
  for (auto& c : cases) {
    const auto alg = c.alg;
    Pki pki(std::move(c.key));
    auto r = cose::verify_claim_signature(pki.sign(k_claim, {.alg = alg}), k_claim, pki.anchors());
    EXPECT_TRUE(r.signature_valid) << static_cast<int>(alg);
    EXPECT_TRUE(failures(r).empty()) << static_cast<int>(alg);
  }
}

TEST(Cose, WrongKeyOrTamperingIsMismatch) {
  Pki pki(ec_key());
  auto cose_bytes = pki.sign(k_claim);
  auto other_claim = k_claim;
  other_claim.push_back(0);
  EXPECT_EQ(failures(cose::verify_claim_signature(cose_bytes, other_claim, cose::TrustSettings::no_check())),
            std::set<std::string>{"claimSignature.mismatch"});
  cose_bytes.back() ^= 0x80;
  auto r = cose::verify_claim_signature(cose_bytes, k_claim, cose::TrustSettings::no_check());
  EXPECT_EQ(failures(r), std::set<std::string>{"claimSignature.mismatch"});
  EXPECT_FALSE(r.signature_valid);
}

TEST(Cose, MalformedInputIsMismatchNotThrow) {
  for (const auto& bytes : std::vector<std::vector<uint8_t>>{{}, {0x00}, {0xd2, 0x80}, {0xff, 0xff}}) {
    auto r = cose::verify_claim_signature(bytes, k_claim, cose::TrustSettings());
    EXPECT_EQ(failures(r), std::set<std::string>{"claimSignature.mismatch"});
    EXPECT_EQ(r.statuses.at(0).explanation, "could not parse signature");
  }
  // Untagged COSE_Sign1: c2pa-rs (coset) requires tag 18.
  Pki pki(ec_key());
  auto r = cose::verify_claim_signature(pki.sign(k_claim, {.tagged = false}), k_claim, cose::TrustSettings());
  EXPECT_EQ(failures(r), std::set<std::string>{"claimSignature.mismatch"});
}

TEST(Cose, MissingAlgorithmIsUnsupported) {
  Pki pki(ec_key());
  auto r = cose::verify_claim_signature(pki.sign(k_claim, {.include_alg = false}), k_claim, cose::TrustSettings());
  EXPECT_EQ(failures(r), (std::set<std::string>{"algorithm.unsupported", "claimSignature.mismatch"}));
}

TEST(Cose, ChainInUnprotectedHeaderIsAccepted) {
  Pki pki(ec_key());
  auto r = cose::verify_claim_signature(pki.sign(k_claim, {.chain_in_unprotected = true}), k_claim, pki.anchors());
  EXPECT_TRUE(r.signature_valid);
  EXPECT_TRUE(failures(r).empty());
}

TEST(Cose, ProfileViolations) {
  struct Case {
    CertSpec spec;
    std::set<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{.common_name = "expired", .valid_from_seconds = -7200, .valid_to_seconds = -3600},
       {"signingCredential.expired"}},
      {{.common_name = "future", .valid_from_seconds = 3600, .valid_to_seconds = 7200}, {"signingCredential.expired"}},
      {{.common_name = "no eku", .eku = ""}, {"signingCredential.invalid", "signingCredential.untrusted"}},
      {{.common_name = "server", .eku = "serverAuth"}, {"signingCredential.invalid", "signingCredential.untrusted"}},
      {{.common_name = "any", .eku = "anyExtendedKeyUsage"},
       {"signingCredential.invalid", "signingCredential.untrusted"}},
      {{.common_name = "no ku", .key_usage = ""}, {"signingCredential.invalid"}},
      {{.common_name = "ca", .ca = true, .key_usage = "critical,digitalSignature,keyCertSign"},
       {"signingCredential.invalid"}},
      {{.common_name = "ts+ocsp", .eku = "timeStamping,OCSPSigning"}, {"signingCredential.invalid"}},
      {{.common_name = "document signing", .eku = "1.3.6.1.5.5.7.3.36"}, {}},
      {{.common_name = "nonRepudiation", .key_usage = "critical,nonRepudiation"}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec.common_name);
    Pki pki(ec_key(), c.spec);
    auto r = cose::verify_claim_signature(pki.sign(k_claim), k_claim, pki.anchors());
    EXPECT_EQ(failures(r), c.expected);
    EXPECT_TRUE(r.signature_valid);  // profile failures do not touch the signature verdict
  }
}

TEST(Cose, ShortRsaKeyIsInvalid) {
  Pki pki(rsa_key(1024));
  auto r = cose::verify_claim_signature(pki.sign(k_claim, {.alg = Alg::Ps256}), k_claim, cose::TrustSettings::no_check());
  EXPECT_EQ(failures(r), std::set<std::string>{"signingCredential.invalid"});
}

TEST(Cose, UntrustedRootAndMissingIntermediate) {
  Pki pki(ec_key());
  Pki other(ec_key());
  auto r = cose::verify_claim_signature(pki.sign(k_claim), k_claim, other.anchors());
  EXPECT_EQ(failures(r), std::set<std::string>{"signingCredential.untrusted"});
  // Leaf alone still chains when its issuer is an anchor.
  auto leaf_only = make_cose({}, pki.leaf_key.get(), {pki.leaf.get()}, k_claim);
  EXPECT_TRUE(failures(cose::verify_claim_signature(leaf_only, k_claim, pki.anchors())).empty());
}

TEST(Cose, TrustSettingsErrors) {
  EXPECT_THROW(cose::TrustSettings::from_pem_files({"/nonexistent/anchors.pem"}), veritrace::Error);
  vt_test::TempDir dir;
  vt_test::write_file(dir.path() / "empty.pem", {'x', '\n'});
  try {
    cose::TrustSettings::from_pem_files({(dir.path() / "empty.pem").string()});
    FAIL() << "expected Error(Key)";
  } catch (const veritrace::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Key);
  }
  EXPECT_EQ(cose::TrustSettings().mode(), cose::TrustMode::EmptyAnchors);
  EXPECT_EQ(cose::TrustSettings::no_check().mode(), cose::TrustMode::NoCheck);
}
