// Strict mode (TrustSettings::strict) on chains built here with OpenSSL, so these tests need no
// shared data. Each case is one place where c2pa-rs 0.90.1 is lenient (docs/conformance.md):
// default mode must keep the reference's verdict, strict mode must give the documented code.
#include <gtest/gtest.h>

#include <set>

#include "cose/cose.hpp"
#include "support/cose_test_helpers.hpp"
#include "support/test_support.hpp"

using namespace veritrace;
using namespace vt_test::cose;

namespace {

constexpr long k_day = 24L * 3600;

// The explanation of the first failure with `code`, or "".
std::string explanation(const cose::SignatureResult& r, const std::string& code) {
  for (const auto& s : r.statuses) {
    if (s.kind == cose::StatusKind::Failure && s.code == code) return s.explanation;
  }
  return {};
}

const CertSpec k_ca_spec{.common_name = "Strict Test CA", .ca = true, .key_usage = "critical,keyCertSign,cRLSign", .eku = ""};

// root -> issuer -> leaf, all EC P-256. The issuer's and the leaf's specs vary per test.
struct Chain {
  Key root_key = ec_key();
  Key issuer_key = ec_key();
  Key leaf_key = ec_key();
  Cert root, issuer, leaf;
  vt_test::TempDir dir;

  Chain(CertSpec issuer_spec, CertSpec leaf_spec, CertSpec root_spec = k_ca_spec) {
    root_spec.common_name = "Strict Test Root";
    root_spec.serial = 1;
    root = make_cert(root_spec, root_key.get(), nullptr, nullptr);
    issuer_spec.serial = 2;
    issuer = make_cert(issuer_spec, issuer_key.get(), root.get(), root_key.get());
    leaf_spec.serial = 3;
    leaf = make_cert(leaf_spec, leaf_key.get(), issuer.get(), issuer_key.get());
  }
  std::string write_pem(const X509* cert, const std::string& name) const {
    const std::string pem = pem_of(cert);
    vt_test::write_file(dir.path() / name, std::vector<uint8_t>(pem.begin(), pem.end()));
    return (dir.path() / name).string();
  }
  cose::TrustSettings anchors(bool strict) const {
    return cose::TrustSettings::from_pem_files({write_pem(root.get(), "root.pem")}).with_strict(strict);
  }
  std::vector<uint8_t> sign(const std::vector<uint8_t>& claim) const {
    return make_cose({}, leaf_key.get(), {leaf.get(), issuer.get()}, claim);
  }
};

cose::TrustSettings no_check(bool strict) { return cose::TrustSettings::no_check().with_strict(strict); }

const std::vector<uint8_t> k_claim = veritrace::cbor::encode(
    veritrace::cbor::Value::make_map().set("created_assertions", veritrace::cbor::Value::make_array()));

CertSpec intermediate_spec() {
  CertSpec spec = k_ca_spec;
  spec.common_name = "Strict Test Intermediate";
  return spec;
}

const CertSpec k_leaf_spec{.common_name = "Strict Test Signer"};

}  // namespace

TEST(CoseStrict, SettingIsOffByDefaultAndAdditive) {
  cose::TrustSettings plain;
  EXPECT_FALSE(plain.strict());
  EXPECT_EQ(plain.mode(), cose::TrustMode::EmptyAnchors);
  plain.set_strict(true);
  EXPECT_TRUE(plain.strict());
  EXPECT_EQ(plain.mode(), cose::TrustMode::EmptyAnchors);
  EXPECT_FALSE(cose::TrustSettings::no_check().strict());
  auto strict_no_check = cose::TrustSettings::no_check().with_strict(true);
  EXPECT_TRUE(strict_no_check.strict());
  EXPECT_EQ(strict_no_check.mode(), cose::TrustMode::NoCheck);
}

TEST(CoseStrict, GoodChainIsTrustedInBothModes) {
  Chain chain(intermediate_spec(), k_leaf_spec);
  const auto cose_bytes = chain.sign(k_claim);
  for (bool strict : {false, true}) {
    auto trusted = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(strict));
    EXPECT_TRUE(failures(trusted).empty()) << "strict=" << strict;
    EXPECT_TRUE(has_success(trusted, "signingCredential.trusted")) << "strict=" << strict;
    EXPECT_TRUE(trusted.signature_valid);
    auto unchecked = cose::verify_claim_signature(cose_bytes, k_claim, no_check(strict));
    EXPECT_TRUE(failures(unchecked).empty()) << "strict=" << strict;
  }
  EXPECT_TRUE(cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true)).details.value("strict", false));
  EXPECT_FALSE(cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false)).details.contains("strict"));
}

TEST(CoseStrict, IntermediateAsAnchorStaysTrusted) {
  // c2pa-rs accepts any certificate as an anchor; strict path validation must too (partial chain).
  Chain chain(intermediate_spec(), k_leaf_spec);
  auto trust = cose::TrustSettings::from_pem_files({chain.write_pem(chain.issuer.get(), "inter.pem")}).with_strict(true);
  auto r = cose::verify_claim_signature(chain.sign(k_claim), k_claim, trust);
  EXPECT_TRUE(failures(r).empty());
  EXPECT_TRUE(has_success(r, "signingCredential.trusted"));
}

TEST(CoseStrict, SignerWithoutDigitalSignatureIsInvalid) {
  // C2PA certificate profile: a claim signer's keyUsage asserts digitalSignature. c2pa-rs 0.90.1
  // accepts nonRepudiation instead.
  CertSpec leaf = k_leaf_spec;
  leaf.key_usage = "critical,nonRepudiation,keyEncipherment";
  Chain chain(intermediate_spec(), leaf);
  const auto cose_bytes = chain.sign(k_claim);

  auto reference = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false));
  EXPECT_TRUE(failures(reference).empty());
  EXPECT_TRUE(has_success(reference, "signingCredential.trusted"));

  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_EQ(failures(strict), std::set<std::string>{"signingCredential.invalid"});
  EXPECT_NE(explanation(strict, "signingCredential.invalid").find("digitalSignature"), std::string::npos);
  EXPECT_NE(explanation(strict, "signingCredential.invalid").find("C2PA Certificate Profile"), std::string::npos);
  EXPECT_EQ(failures(cose::verify_claim_signature(cose_bytes, k_claim, no_check(true))),
            std::set<std::string>{"signingCredential.invalid"});
}

TEST(CoseStrict, MissingKeyUsageIsReportedOnce) {
  // Both modes refuse a signer without keyUsage; strict mode must not add a second status.
  CertSpec leaf = k_leaf_spec;
  leaf.key_usage = "";
  Chain chain(intermediate_spec(), leaf);
  auto r = cose::verify_claim_signature(chain.sign(k_claim), k_claim, no_check(true));
  size_t invalid = 0;
  for (const auto& s : r.statuses) invalid += s.code == "signingCredential.invalid" ? 1 : 0;
  EXPECT_EQ(invalid, 1u);
}

TEST(CoseStrict, ExpiredIntermediateWithoutTimeStampIsExpired) {
  // RFC 5280 6.1.3 (a)(2): every certificate of the path must be valid at the validation time.
  CertSpec inter = intermediate_spec();
  inter.valid_from_seconds = -400 * k_day;
  inter.valid_to_seconds = -k_day;
  Chain chain(inter, k_leaf_spec);
  const auto cose_bytes = chain.sign(k_claim);

  auto reference = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false));
  EXPECT_TRUE(failures(reference).empty());
  EXPECT_TRUE(has_success(reference, "signingCredential.trusted"));

  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_EQ(failures(strict), (std::set<std::string>{"signingCredential.expired", "signingCredential.untrusted"}));
  EXPECT_NE(explanation(strict, "signingCredential.expired").find("6.1.3 (a)(2)"), std::string::npos);
  EXPECT_NE(explanation(strict, "signingCredential.untrusted").find("expired"), std::string::npos);
  EXPECT_FALSE(has_success(strict, "signingCredential.trusted"));
  EXPECT_EQ(failures(cose::verify_claim_signature(cose_bytes, k_claim, no_check(true))),
            std::set<std::string>{"signingCredential.expired"});
  EXPECT_TRUE(failures(cose::verify_claim_signature(cose_bytes, k_claim, no_check(false))).empty());
}

TEST(CoseStrict, NotYetValidIntermediateIsExpired) {
  CertSpec inter = intermediate_spec();
  inter.valid_from_seconds = 30 * k_day;
  inter.valid_to_seconds = 400 * k_day;
  Chain chain(inter, k_leaf_spec);
  auto r = cose::verify_claim_signature(chain.sign(k_claim), k_claim, no_check(true));
  EXPECT_EQ(failures(r), std::set<std::string>{"signingCredential.expired"});
}

TEST(CoseStrict, IssuerThatIsNotACaIsInvalid) {
  // RFC 5280 6.1.4 (k): an issuing certificate has basicConstraints cA=TRUE.
  CertSpec not_ca = k_leaf_spec;
  not_ca.common_name = "End entity used as issuer";
  Chain chain(not_ca, k_leaf_spec);
  const auto cose_bytes = chain.sign(k_claim);

  auto reference = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false));
  EXPECT_TRUE(failures(reference).empty());
  EXPECT_TRUE(has_success(reference, "signingCredential.trusted"));

  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_EQ(failures(strict), (std::set<std::string>{"signingCredential.invalid", "signingCredential.untrusted"}));
  EXPECT_NE(explanation(strict, "signingCredential.invalid").find("6.1.4 (k)"), std::string::npos);
  EXPECT_EQ(failures(cose::verify_claim_signature(cose_bytes, k_claim, no_check(true))),
            std::set<std::string>{"signingCredential.invalid"});
  // With no anchors the file is untrusted anyway; strict adds the defect.
  cose::TrustSettings empty;
  empty.set_strict(true);
  EXPECT_EQ(failures(cose::verify_claim_signature(cose_bytes, k_claim, empty)),
            (std::set<std::string>{"signingCredential.invalid", "signingCredential.untrusted"}));
}

TEST(CoseStrict, CaIssuerWithoutKeyCertSignIsInvalid) {
  // RFC 5280 6.1.4 (n): when keyUsage is present on an issuer, keyCertSign must be set.
  CertSpec inter = intermediate_spec();
  inter.key_usage = "critical,digitalSignature,cRLSign";
  Chain chain(inter, k_leaf_spec);
  const auto cose_bytes = chain.sign(k_claim);
  EXPECT_TRUE(failures(cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false))).empty());
  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_EQ(failures(strict), (std::set<std::string>{"signingCredential.invalid", "signingCredential.untrusted"}));
  EXPECT_NE(explanation(strict, "signingCredential.invalid").find("6.1.4 (n)"), std::string::npos);
}

TEST(CoseStrict, PathLengthConstraintIsEnforced) {
  // RFC 5280 6.1.4 (l), (m): root with pathLenConstraint 0 may not issue an intermediate CA.
  Key root_key = ec_key(), inter_key = ec_key(), leaf_key = ec_key();
  CertSpec root_spec = k_ca_spec;
  root_spec.common_name = "Pathlen Root";
  Cert root = make_cert(root_spec, root_key.get(), nullptr, nullptr, "critical,CA:TRUE,pathlen:0");
  CertSpec inter_spec = intermediate_spec();
  inter_spec.serial = 2;
  Cert inter = make_cert(inter_spec, inter_key.get(), root.get(), root_key.get());
  CertSpec leaf_spec = k_leaf_spec;
  leaf_spec.serial = 3;
  Cert leaf = make_cert(leaf_spec, leaf_key.get(), inter.get(), inter_key.get());
  const auto cose_bytes = make_cose({}, leaf_key.get(), {leaf.get(), inter.get(), root.get()}, k_claim);

  EXPECT_TRUE(failures(cose::verify_claim_signature(cose_bytes, k_claim, no_check(false))).empty());
  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, no_check(true));
  EXPECT_EQ(failures(strict), std::set<std::string>{"signingCredential.invalid"});
  EXPECT_NE(explanation(strict, "signingCredential.invalid").find("pathLenConstraint"), std::string::npos);
}

TEST(CoseStrict, ExpiredAnchorFailsPathValidation) {
  // The anchor is not in x5chain: only the strict path validation (X509_verify_cert) sees it.
  CertSpec root = k_ca_spec;
  root.valid_from_seconds = -800 * k_day;
  root.valid_to_seconds = -k_day;
  Chain chain(intermediate_spec(), k_leaf_spec, root);
  const auto cose_bytes = chain.sign(k_claim);
  auto reference = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false));
  EXPECT_TRUE(failures(reference).empty());
  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_EQ(failures(strict), std::set<std::string>{"signingCredential.untrusted"});
  EXPECT_NE(explanation(strict, "signingCredential.untrusted").find("RFC 5280"), std::string::npos);
}

TEST(CoseStrict, ReferenceTrustRulesStillApply) {
  // Strict mode adds rules; it never trusts what the reference would not (here: no EKU).
  CertSpec leaf = k_leaf_spec;
  leaf.eku = "";
  Chain chain(intermediate_spec(), leaf);
  const auto cose_bytes = chain.sign(k_claim);
  auto reference = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(false));
  auto strict = cose::verify_claim_signature(cose_bytes, k_claim, chain.anchors(true));
  EXPECT_TRUE(failures(reference).contains("signingCredential.untrusted"));
  EXPECT_EQ(failures(strict), failures(reference));
}
