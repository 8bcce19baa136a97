// COSE verification against the reference verdicts of c2pa-rs 0.90.1 (../shared/data/c2pa).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cose/cose.hpp"
#include "support/cose_test_helpers.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace veritrace;

namespace {

struct IndexRow {
  std::string file, format, state_notrust, failures_notrust, state_trust, failures_trust;
};

std::vector<IndexRow> read_index(const fs::path& data) {
  std::ifstream in(data / "INDEX.tsv");
  std::vector<IndexRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 7) continue;
    rows.push_back({cols[0], cols[1], cols[3], cols[4], cols[5], cols[6]});
  }
  return rows;
}

bool is_signature_code(const std::string& code) {
  return code.starts_with("claimSignature.") || code.starts_with("signingCredential.") ||
         code.starts_with("timeStamp.") || code.starts_with("algorithm.");
}

std::set<std::string> signature_failures_of(const std::string& column) {
  std::set<std::string> codes;
  if (column == "-") return codes;
  std::stringstream ss(column);
  std::string code;
  while (std::getline(ss, code, ',')) {
    if (is_signature_code(code)) codes.insert(code);
  }
  return codes;
}

using vt_test::cose::failures;

std::vector<std::string> codes_of_kind(const cose::SignatureResult& r, cose::StatusKind kind) {
  std::vector<std::string> codes;
  for (const auto& s : r.statuses) {
    if (s.kind == kind) codes.push_back(s.code);
  }
  return codes;
}

std::string joined(const std::set<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) out += (out.empty() ? "" : ",") + c;
  return out.empty() ? "-" : out;
}

vt_test::cose::SignedClaim load(const fs::path& file) {
  auto signed_claim = vt_test::cose::active_signature_from_jpeg(vt_test::read_file(file));
  if (!signed_claim) throw std::runtime_error("no manifest in " + file.string());
  return *signed_claim;
}

cose::SignatureResult verify(const vt_test::cose::SignedClaim& s, const cose::TrustSettings& trust) {
  return cose::verify_claim_signature(s.cose, s.claim, trust, s.claim_version);
}

}  // namespace

// Every JPEG row of INDEX.tsv with a manifest: the signature-related failure codes of both
// runs must equal the reference's.
TEST(CoseCorpus, JpegRowsMatchReferenceFailureCodes) {
  VT_REQUIRE_SHARED(shared);
  const fs::path data = shared / "data/c2pa";
  const auto no_check = cose::TrustSettings::no_check();
  const auto test_root = cose::TrustSettings::from_pem_files({(shared / "tools/c2pa-ref/pki/root.pem").string()});
  const auto badcert_root =
      cose::TrustSettings::from_pem_files({(data / "made/badcert/root-badcert.pem").string()});
  int checked = 0;
  for (const auto& row : read_index(data)) {
    if (row.format != "image/jpeg" || row.state_trust == "Error" || row.state_trust == "NoManifest") continue;
    auto signed_claim = vt_test::cose::active_signature_from_jpeg(vt_test::read_file(data / row.file));
    if (!signed_claim) continue;  // sidecar copies etc.
    // CAWG identity assertions add their own signingCredential.* codes (not the claim signature's).
    if (row.file.find("cawg") != std::string::npos || row.file.find("CAWG") != std::string::npos) continue;
    const bool badcert = row.file.starts_with("made/badcert/");
    SCOPED_TRACE(row.file);
    EXPECT_EQ(joined(failures(verify(*signed_claim, no_check))), joined(signature_failures_of(row.failures_notrust)));
    EXPECT_EQ(joined(failures(verify(*signed_claim, badcert ? badcert_root : test_root))),
              joined(signature_failures_of(row.failures_trust)));
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

// The badcert rows explicitly, so that a regression names the case.
struct BadCertCase {
  const char* file;
  const char* notrust;
  const char* trust;
};

class CoseBadCert : public ::testing::TestWithParam<BadCertCase> {};

TEST_P(CoseBadCert, MatchesReference) {
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const auto signed_claim = load(dir / GetParam().file);
  const auto root = cose::TrustSettings::from_pem_files({(dir / "root-badcert.pem").string()});
  EXPECT_EQ(joined(failures(verify(signed_claim, cose::TrustSettings::no_check()))), GetParam().notrust);
  EXPECT_EQ(joined(failures(verify(signed_claim, root))), GetParam().trust);
}

INSTANTIATE_TEST_SUITE_P(
    Reference, CoseBadCert,
    ::testing::Values(
        BadCertCase{"ps256-rsa2048-control.jpg", "-", "-"},
        BadCertCase{"leaf-expired.jpg", "signingCredential.expired", "signingCredential.expired"},
        BadCertCase{"leaf-not-yet-valid.jpg", "signingCredential.expired", "signingCredential.expired"},
        BadCertCase{"leaf-expired-timestamped-while-valid.jpg", "signingCredential.expired", "-"},
        BadCertCase{"leaf-ku-nonrepudiation-no-digitalsignature.jpg", "-", "-"},
        BadCertCase{"leaf-no-keyusage.jpg", "signingCredential.invalid", "signingCredential.invalid"},
        BadCertCase{"leaf-no-eku.jpg", "signingCredential.invalid",
                    "signingCredential.invalid,signingCredential.untrusted"},
        BadCertCase{"leaf-eku-serverauth-only.jpg", "signingCredential.invalid",
                    "signingCredential.invalid,signingCredential.untrusted"},
        BadCertCase{"leaf-ca-true.jpg", "signingCredential.invalid", "signingCredential.invalid"},
        BadCertCase{"leaf-rsa1024-ps256.jpg", "signingCredential.invalid", "signingCredential.invalid"},
        BadCertCase{"leaf-x509-v1.jpg", "signingCredential.invalid",
                    "signingCredential.invalid,signingCredential.untrusted"},
        BadCertCase{"chain-leaf-not-first.jpg", "claimSignature.mismatch,signingCredential.invalid",
                    "claimSignature.mismatch,signingCredential.invalid,signingCredential.untrusted"},
        BadCertCase{"chain-missing-intermediate.jpg", "-", "signingCredential.untrusted"},
        BadCertCase{"leaf-self-signed.jpg", "-", "signingCredential.untrusted"},
        BadCertCase{"intermediate-expired.jpg", "-", "-"},
        BadCertCase{"issuer-not-ca.jpg", "-", "-"}),
    [](const auto& param_info) {
      std::string name = param_info.param.file;
      name = name.substr(0, name.find('.'));
      for (auto& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

// Explanations, as c2pa-rs words them, for the cases the README names.
TEST(CoseCorpus, BadCertExplanations) {
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const std::map<std::string, std::string> expected = {
      {"leaf-ca-true.jpg", "expected end-entity certificate"},
      {"leaf-eku-serverauth-only.jpg", "certificate missing required EKU"},
      {"leaf-no-eku.jpg", "certificate params incorrect"},
      {"leaf-no-keyusage.jpg", "certificate params incorrect"},
      {"leaf-rsa1024-ps256.jpg", "certificate key length too short"},
      {"leaf-x509-v1.jpg", "certificate version incorrect"},
      {"leaf-expired.jpg", "certificate expired"},
  };
  for (const auto& [file, explanation] : expected) {
    SCOPED_TRACE(file);
    auto r = verify(load(dir / file), cose::TrustSettings::no_check());
    bool found = false;
    for (const auto& s : r.statuses) found |= s.kind == cose::StatusKind::Failure && s.explanation == explanation;
    EXPECT_TRUE(found);
  }
}

// A TSA under the badcert root makes the expired leaf pass only when that root is trusted.
TEST(CoseCorpus, TimeStampDecidesExpiredLeaf) {
  VT_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "data/c2pa/made/badcert";
  const auto s = load(dir / "leaf-expired-timestamped-while-valid.jpg");
  auto untrusted = verify(s, cose::TrustSettings::no_check());
  EXPECT_EQ(codes_of_kind(untrusted, cose::StatusKind::Informational), std::vector<std::string>{"timeStamp.untrusted"});
  auto trusted = verify(s, cose::TrustSettings::from_pem_files({(dir / "root-badcert.pem").string()}));
  EXPECT_EQ(codes_of_kind(trusted, cose::StatusKind::Success),
            (std::vector<std::string>{"timeStamp.validated", "timeStamp.trusted", "signingCredential.trusted",
                                      "claimSignature.insideValidity", "claimSignature.validated"}));
  EXPECT_EQ(trusted.signature_info.value("time", ""), "2024-06-01T12:00:00+00:00");
  EXPECT_EQ(trusted.signature_info.value("common_name", ""), "BadCert leaf expired 2025-01-01");
  EXPECT_EQ(trusted.signature_info.value("cert_serial_number", ""), "332649878714884729740501711577075529620");
}

TEST(CoseCorpus, SevenAlgorithmsValidateAndAreTrusted) {
  VT_REQUIRE_SHARED(shared);
  const auto root = cose::TrustSettings::from_pem_files({(shared / "tools/c2pa-ref/pki/root.pem").string()});
  const std::map<std::string, std::string> algs = {{"es256", "Es256"}, {"es384", "Es384"}, {"es512", "Es512"},
                                                   {"ps256", "Ps256"}, {"ps384", "Ps384"}, {"ps512", "Ps512"},
                                                   {"ed25519", "Ed25519"}};
  for (const auto& [file, alg] : algs) {
    SCOPED_TRACE(file);
    auto r = verify(load(shared / "data/c2pa/made/jpeg" / (file + ".jpg")), root);
    EXPECT_TRUE(r.signature_valid);
    EXPECT_EQ(codes_of_kind(r, cose::StatusKind::Success),
              (std::vector<std::string>{"signingCredential.trusted", "claimSignature.insideValidity",
                                        "claimSignature.validated"}));
    EXPECT_TRUE(failures(r).empty());
    EXPECT_EQ(r.signature_info.value("alg", ""), alg);
    // Default settings: trust checked against no anchors.
    EXPECT_EQ(joined(failures(verify(load(shared / "data/c2pa/made/jpeg" / (file + ".jpg")), cose::TrustSettings()))),
              "signingCredential.untrusted");
  }
}

TEST(CoseCorpus, DigiCertTimeStampOfV1Claim) {
  VT_REQUIRE_SHARED(shared);
  auto r = verify(load(shared / "data/c2pa/fixtures/c2pa-rs/CA.jpg"), cose::TrustSettings());
  EXPECT_EQ(r.signature_info.value("time", ""), "2024-08-06T21:53:37+00:00");
  EXPECT_EQ(r.signature_info.value("issuer", ""), "C2PA Test Signing Cert");
  EXPECT_EQ(r.signature_info.value("alg", ""), "Ps256");
  ASSERT_GE(r.statuses.size(), 2u);
  EXPECT_EQ(r.statuses[0].code, "timeStamp.validated");
  EXPECT_EQ(r.statuses[0].explanation, "timestamp message digest matched: DigiCert Timestamp 2023");
  EXPECT_EQ(r.statuses[1].code, "timeStamp.trusted");
  EXPECT_TRUE(r.signature_valid);
}

TEST(CoseCorpus, V2ClaimWithUntrustedTsaStillReportsTime) {
  VT_REQUIRE_SHARED(shared);
  auto r = verify(load(shared / "data/c2pa/fixtures/c2pa-rs/CACA.jpg"), cose::TrustSettings());
  EXPECT_EQ(r.signature_info.value("time", ""), "2025-10-16T17:31:55+00:00");
  EXPECT_EQ(codes_of_kind(r, cose::StatusKind::Informational), std::vector<std::string>{"timeStamp.untrusted"});
}

TEST(CoseCorpus, TamperedBytesNeverValidate) {
  VT_REQUIRE_SHARED(shared);
  const auto root = cose::TrustSettings::from_pem_files({(shared / "tools/c2pa-ref/pki/root.pem").string()});
  const auto original = load(shared / "data/c2pa/made/jpeg/es256.jpg");
  ASSERT_TRUE(verify(original, root).signature_valid);

  auto sig_flipped = original;
  sig_flipped.cose[sig_flipped.cose.size() - 5] ^= 0x01;  // the signature is the last item
  EXPECT_EQ(joined(failures(verify(sig_flipped, root))), "claimSignature.mismatch");

  auto claim_flipped = original;
  claim_flipped.claim[claim_flipped.claim.size() / 2] ^= 0x01;
  EXPECT_EQ(joined(failures(verify(claim_flipped, root))), "claimSignature.mismatch");

  // One byte inside the leaf certificate (in the protected header): always some failure.
  for (size_t offset : {40u, 120u, 200u, 300u, 400u}) {
    auto cert_flipped = original;
    cert_flipped.cose[offset] ^= 0x04;
    auto r = verify(cert_flipped, root);
    EXPECT_FALSE(failures(r).empty()) << "offset " << offset;
    EXPECT_FALSE(r.signature_valid) << "offset " << offset;
  }
}

// Every JPEG with a full reference report (trust run): the statuses about the active manifest's
// signature — code, explanation and order per kind — and signature_info must equal c2pa-rs's.
TEST(CoseCorpus, StatusesAndSignatureInfoEqualReferenceReports) {
  VT_REQUIRE_SHARED(shared);
  const fs::path data = shared / "data/c2pa";
  const auto test_root = cose::TrustSettings::from_pem_files({(shared / "tools/c2pa-ref/pki/root.pem").string()});
  const auto badcert_root =
      cose::TrustSettings::from_pem_files({(data / "made/badcert/root-badcert.pem").string()});
  int compared = 0;
  for (const auto& row : read_index(data)) {
    if (row.format != "image/jpeg") continue;
    const bool badcert = row.file.starts_with("made/badcert/");
    const fs::path report_path = badcert ? data / "made/badcert/ref" / (fs::path(row.file).filename().string() + ".json")
                                         : data / "ref" / (row.file + ".json");
    if (!fs::exists(report_path)) continue;
    auto signed_claim = vt_test::cose::active_signature_from_jpeg(vt_test::read_file(data / row.file));
    if (!signed_claim) continue;
    SCOPED_TRACE(row.file);
    auto report = nlohmann::json::parse(std::ifstream(report_path));
    const std::string active = report.value("active_manifest", "");
    if (active.empty()) continue;
    const std::string signature_url = "self#jumbf=/c2pa/" + active + "/c2pa.signature";
    const auto result = verify(*signed_claim, badcert ? badcert_root : test_root);
    const std::pair<const char*, cose::StatusKind> kinds[] = {{"success", cose::StatusKind::Success},
                                                              {"informational", cose::StatusKind::Informational},
                                                              {"failure", cose::StatusKind::Failure}};
    for (const auto& [kind_name, kind] : kinds) {
      std::vector<std::string> expected, actual;
      for (const auto& s : report["validation_results"]["activeManifest"][kind_name]) {
        if (s.value("url", "") == signature_url && is_signature_code(s.value("code", ""))) {
          expected.push_back(s.value("code", "") + " | " + s.value("explanation", ""));
        }
      }
      for (const auto& s : result.statuses) {
        if (s.kind == kind) actual.push_back(s.code + " | " + s.explanation);
      }
      EXPECT_EQ(actual, expected) << kind_name;
    }
    // (cawg-malformed_cbor.jpg: the reference reports no signature_info for a store it half reads.)
    const auto& expected_info = report["manifests"][active]["signature_info"];
    if (!expected_info.is_null()) {
      EXPECT_EQ(result.signature_info, expected_info);
    }
    ++compared;
  }
  EXPECT_GE(compared, 30);
}
