// Signing: keys and chains (PEM, store URIs, the pkcs11 engine with SoftHSM2), the C2PA profile
// checks before signing, COSE_Sign1 writing for every algorithm, exact-size padding, and RFC 3161
// time-stamps from a local `openssl ts -reply` authority. Every output must pass our verifier.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ts.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "cbor/cbor.hpp"
#include "cose/cose.hpp"
#include "cose/internal.hpp"
#include "cose/sign.hpp"
#include "support/cose_test_helpers.hpp"
#include "support/local_tsa.hpp"
#include "support/test_support.hpp"
#include "veritrace/core.hpp"

namespace {

namespace fs = std::filesystem;
namespace vc = veritrace::cose;
namespace th = vt_test::cose;
using veritrace::Error;
using veritrace::ErrorKind;

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::vector<uint8_t> claim_bytes(int version) {
  using veritrace::cbor::Value;
  Value claim = Value::make_map();
  claim.set("instanceID", Value::from_text("xmp:iid:2f1a3c4e-0000-4000-8000-000000000001"));
  claim.set("signature", Value::from_text("self#jumbf=c2pa.signature"));
  Value assertions = Value::make_array();
  claim.set(version == 2 ? "created_assertions" : "assertions", assertions);
  claim.set("alg", Value::from_text("sha256"));
  return veritrace::cbor::encode(claim);
}

bool has(const vc::SignatureResult& r, const std::string& code, vc::StatusKind kind) {
  for (const auto& s : r.statuses) {
    if (s.code == code && s.kind == kind) return true;
  }
  return false;
}

std::string dump(const vc::SignatureResult& r) {
  std::string out;
  for (const auto& s : r.statuses) {
    out += (s.kind == vc::StatusKind::Success ? "  + " : s.kind == vc::StatusKind::Failure ? "  - " : "  ~ ") +
           s.code + ": " + s.explanation + "\n";
  }
  return out;
}

// Files of a generated signer: key.pem, chain.pem, root.pem.
struct Creds {
  vt_test::TempDir dir;
  std::string key, chain, root;
  explicit Creds(vc::SigningAlg alg) {
    auto c = vc::generate_test_credentials(alg);
    key = (dir.path() / "key.pem").string();
    chain = (dir.path() / "chain.pem").string();
    root = (dir.path() / "root.pem").string();
    write_text(key, c.key_pem);
    write_text(chain, c.chain_pem);
    write_text(root, c.root_pem);
  }
};

const vc::SigningAlg k_all_algs[] = {vc::SigningAlg::Es256, vc::SigningAlg::Es384, vc::SigningAlg::Es512,
                                     vc::SigningAlg::Ps256, vc::SigningAlg::Ps384, vc::SigningAlg::Ps512,
                                     vc::SigningAlg::Ed25519};

// ---- every algorithm round-trips ---------------------------------------------------------------

TEST(CoseSign, EveryAlgorithmSignsAndVerifiesTrusted) {
  const char* expected_names[] = {"Es256", "Es384", "Es512", "Ps256", "Ps384", "Ps512", "Ed25519"};
  const int64_t ids[] = {-7, -35, -36, -37, -38, -39, -8};
  for (size_t i = 0; i < std::size(k_all_algs); ++i) {
    const auto alg = k_all_algs[i];
    SCOPED_TRACE(vc::signing_alg_name(alg));
    Creds creds(alg);
    // The default follows the key (RSA: PS256); PS384/PS512 are asked for.
    const bool rsa = alg == vc::SigningAlg::Ps256 || alg == vc::SigningAlg::Ps384 || alg == vc::SigningAlg::Ps512;
    EXPECT_EQ(vc::SigningKey::load(creds.key, creds.chain).alg(), rsa ? vc::SigningAlg::Ps256 : alg);
    auto key = vc::SigningKey::load(creds.key, creds.chain, alg);
    EXPECT_EQ(key.alg(), alg);
    EXPECT_EQ(key.chain_der().size(), 2u);
    const auto claim = claim_bytes(2);
    const auto cose = vc::sign_claim(claim, key, {});

    // Shape: tag 18, protected {1: alg, 33: [leaf, intermediate]}, {} unprotected, nil payload.
    auto sign1 = vc::detail::parse_cose_sign1(cose);
    ASSERT_TRUE(sign1);
    ASSERT_EQ(sign1->protected_header.map_size(), 2u);
    EXPECT_EQ(sign1->protected_header.map_key(0).as_int64(), 1);
    EXPECT_EQ(sign1->protected_header.get_int(1)->as_int64(), ids[i]);
    ASSERT_TRUE(sign1->protected_header.get_int(33)->is_array());
    EXPECT_EQ(sign1->unprotected_header.map_size(), 0u);
    EXPECT_EQ(veritrace::cbor::decode(cose).items[0].items[2].type, veritrace::cbor::Type::Null);
    EXPECT_LE(cose.size(), vc::max_sign1_size(key, false));

    auto trust = vc::TrustSettings::from_pem_files({creds.root});
    auto r = vc::verify_claim_signature(cose, claim, trust);
    EXPECT_TRUE(r.signature_valid) << dump(r);
    EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
    EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
    EXPECT_EQ(r.signature_info["alg"], std::string(expected_names[i]));
    for (const auto& s : r.statuses) EXPECT_NE(s.kind, vc::StatusKind::Failure) << dump(r);

    // A changed claim byte fails.
    auto tampered = claim;
    tampered[tampered.size() / 2] ^= 1;
    auto bad = vc::verify_claim_signature(cose, tampered, trust);
    EXPECT_FALSE(bad.signature_valid);
  }
}

TEST(CoseSign, AlgorithmNames) {
  for (auto alg : k_all_algs) EXPECT_EQ(vc::signing_alg_from_name(vc::signing_alg_name(alg)), alg);
  EXPECT_EQ(vc::signing_alg_from_name("ES384"), vc::SigningAlg::Es384);
  EXPECT_EQ(vc::signing_alg_from_name("EdDSA"), vc::SigningAlg::Ed25519);
  EXPECT_FALSE(vc::signing_alg_from_name("rs256"));
}

TEST(CoseSign, RsaKeySignsEveryPssHash) {
  Creds creds(vc::SigningAlg::Ps256);
  auto trust = vc::TrustSettings::from_pem_files({creds.root});
  const auto claim = claim_bytes(2);
  for (auto alg : {vc::SigningAlg::Ps384, vc::SigningAlg::Ps512}) {
    auto key = vc::SigningKey::load(creds.key, creds.chain, alg);
    EXPECT_EQ(key.alg(), alg);
    auto r = vc::verify_claim_signature(vc::sign_claim(claim, key, {}), claim, trust);
    EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
  }
}

TEST(CoseSign, SingleCertificateIsABstrX5chain) {
  th::TestCa ca;
  auto leaf_key = th::ec_key();
  auto leaf = th::make_cert({"Lone Signer"}, leaf_key.get(), ca.intermediate.get(), ca.intermediate_key.get());
  vt_test::TempDir dir;
  write_text(dir.path() / "k.pem", th::key_pem_of(leaf_key.get()));
  write_text(dir.path() / "c.pem", th::pem_of(leaf.get()));
  write_text(dir.path() / "anchor.pem", th::pem_of(ca.intermediate.get()));
  auto key = vc::SigningKey::load((dir.path() / "k.pem").string(), (dir.path() / "c.pem").string());
  const auto claim = claim_bytes(2);
  const auto cose = vc::sign_claim(claim, key, {});
  auto sign1 = vc::detail::parse_cose_sign1(cose);
  ASSERT_TRUE(sign1);
  ASSERT_TRUE(sign1->protected_header.get_int(33)->is_bytes());  // c2pa-rs: one certificate -> bstr
  auto r = vc::verify_claim_signature(cose, claim, vc::TrustSettings::from_pem_files({(dir.path() / "anchor.pem").string()}));
  EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
}

TEST(CoseSign, V1ClaimsVerify) {
  Creds creds(vc::SigningAlg::Es256);
  auto key = vc::SigningKey::load(creds.key, creds.chain);
  const auto claim = claim_bytes(1);
  auto r = vc::verify_claim_signature(vc::sign_claim(claim, key, {}, 1), claim,
                                      vc::TrustSettings::from_pem_files({creds.root}), 1);
  EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
}

// ---- key sources -------------------------------------------------------------------------------

TEST(CoseSign, KeyFormatsAndStoreUris) {
  th::TestCa ca;
  vt_test::TempDir dir;
  const auto claim = claim_bytes(2);
  auto trust = vc::TrustSettings::from_pem_files({[&] {
    write_text(dir.path() / "root.pem", th::pem_of(ca.root.get()));
    return (dir.path() / "root.pem").string();
  }()});
  struct Case {
    const char* name;
    th::Key key;
    bool traditional;
  };
  std::vector<Case> cases;
  cases.push_back({"ec-pkcs8", th::ec_key(), false});
  cases.push_back({"ec-traditional", th::ec_key("P-384"), true});
  cases.push_back({"rsa-traditional", th::rsa_key(2048), true});
  cases.push_back({"ed25519-pkcs8", th::ed25519_key(), false});
  long serial = 10;
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto leaf = th::make_cert({"Signer", "Veritrace Test", false, "critical,digitalSignature", "emailProtection",
                               -3600, 3600L * 24, serial++},
                              c.key.get(), ca.intermediate.get(), ca.intermediate_key.get());
    const auto key_path = dir.path() / (std::string(c.name) + ".key");
    const auto chain_path = dir.path() / (std::string(c.name) + ".chain");
    const std::string pem = th::key_pem_of(c.key.get(), c.traditional);
    if (c.traditional) {
      EXPECT_EQ(pem.find("BEGIN PRIVATE KEY"), std::string::npos);
    }
    write_text(key_path, pem);
    write_text(chain_path, th::pem_of(leaf.get()) + th::pem_of(ca.intermediate.get()));
    for (const std::string& spec : {key_path.string(), "file:" + key_path.string()}) {
      auto key = vc::SigningKey::load(spec, chain_path.string());
      auto r = vc::verify_claim_signature(vc::sign_claim(claim, key, {}), claim, trust);
      EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << spec << "\n" << dump(r);
      EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
    }
  }
}

// ---- refusals ----------------------------------------------------------------------------------

struct BadCase {
  vt_test::TempDir dir;
  th::TestCa ca;
  std::string key_path, chain_path;
};

// Expects SigningKey::load to throw Error(Key) whose message contains `needle`.
void expect_key_error(const std::string& key, const std::string& chain, const std::string& needle,
                      std::optional<vc::SigningAlg> alg = {}) {
  try {
    vc::SigningKey::load(key, chain, alg);
    ADD_FAILURE() << "expected Error(Key) mentioning \"" << needle << "\"";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Key) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// A signer whose leaf is made from `spec` (issued by the test intermediate), written out.
void write_signer(BadCase& bc, const th::CertSpec& spec, EVP_PKEY* key) {
  auto leaf = th::make_cert(spec, key, bc.ca.intermediate.get(), bc.ca.intermediate_key.get());
  bc.key_path = (bc.dir.path() / "key.pem").string();
  bc.chain_path = (bc.dir.path() / "chain.pem").string();
  write_text(bc.key_path, th::key_pem_of(key));
  write_text(bc.chain_path, th::pem_of(leaf.get()) + th::pem_of(bc.ca.intermediate.get()));
}

th::CertSpec good_spec() { return th::CertSpec{"Signer"}; }

TEST(CoseSignRefusals, GoodSpecIsAccepted) {
  BadCase bc;
  auto key = th::ec_key();
  write_signer(bc, good_spec(), key.get());
  EXPECT_NO_THROW(vc::SigningKey::load(bc.key_path, bc.chain_path));
}

TEST(CoseSignRefusals, UnreadableKeyAndChain) {
  BadCase bc;
  auto key = th::ec_key();
  write_signer(bc, good_spec(), key.get());
  expect_key_error((bc.dir.path() / "missing.pem").string(), bc.chain_path, "no such file");
  write_text(bc.dir.path() / "junk.pem", "not a key\n");
  expect_key_error((bc.dir.path() / "junk.pem").string(), bc.chain_path, "cannot read a private key");
  expect_key_error(bc.key_path, (bc.dir.path() / "missing-chain.pem").string(), "cannot read certificate chain");
  expect_key_error(bc.key_path, (bc.dir.path() / "junk.pem").string(), "holds no PEM certificate");
  // An encrypted key is refused, never prompted for.
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                const_cast<char*>("secret-pass"));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  write_text(bc.dir.path() / "enc.pem", std::string(data, static_cast<size_t>(len)));
  BIO_free(bio);
  expect_key_error((bc.dir.path() / "enc.pem").string(), bc.chain_path, "cannot");
  expect_key_error("pkcs11:token=none;object=none", bc.chain_path, "engine:pkcs11:");
}

TEST(CoseSignRefusals, MismatchedKey) {
  BadCase bc;
  auto key = th::ec_key();
  write_signer(bc, good_spec(), key.get());
  auto other = th::ec_key();
  write_text(bc.dir.path() / "other.pem", th::key_pem_of(other.get()));
  expect_key_error((bc.dir.path() / "other.pem").string(), bc.chain_path, "does not match the signing certificate");
}

TEST(CoseSignRefusals, ChainInTheWrongOrder) {
  BadCase bc;
  auto key = th::ec_key();
  auto leaf = th::make_cert(good_spec(), key.get(), bc.ca.intermediate.get(), bc.ca.intermediate_key.get());
  write_text(bc.dir.path() / "key.pem", th::key_pem_of(key.get()));
  const std::string key_path = (bc.dir.path() / "key.pem").string();
  // Intermediate first: the key belongs to the second certificate.
  write_text(bc.dir.path() / "swapped.pem", th::pem_of(bc.ca.intermediate.get()) + th::pem_of(leaf.get()));
  expect_key_error(key_path, (bc.dir.path() / "swapped.pem").string(), "must start with the signing certificate");
  // Leaf, root, intermediate: the leaf is not issued by the root.
  write_text(bc.dir.path() / "mixed.pem",
             th::pem_of(leaf.get()) + th::pem_of(bc.ca.root.get()) + th::pem_of(bc.ca.intermediate.get()));
  expect_key_error(key_path, (bc.dir.path() / "mixed.pem").string(), "certificate chain out of order");
  // Same names, another key: issued by name but not signed by it.
  th::Key impostor_key = th::ec_key();
  th::CertSpec mid{"Test Intermediate CA", "Veritrace Test", true, "critical,keyCertSign,cRLSign", "", -7200,
                   3600L * 24, 102};
  auto impostor = th::make_cert(mid, impostor_key.get(), bc.ca.root.get(), bc.ca.root_key.get());
  write_text(bc.dir.path() / "impostor.pem", th::pem_of(leaf.get()) + th::pem_of(impostor.get()));
  expect_key_error(key_path, (bc.dir.path() / "impostor.pem").string(), "is not signed by certificate 2");
}

TEST(CoseSignRefusals, ExpiredAndNotYetValid) {
  BadCase bc;
  auto key = th::ec_key();
  auto spec = good_spec();
  spec.valid_from_seconds = -3600L * 48;
  spec.valid_to_seconds = -3600L * 24;
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "has expired");
  spec.valid_from_seconds = 3600L * 24;
  spec.valid_to_seconds = 3600L * 48;
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "is not yet valid");
}

TEST(CoseSignRefusals, ProfileViolations) {
  BadCase bc;
  auto key = th::ec_key();
  auto spec = good_spec();
  spec.eku = "";
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "has no extendedKeyUsage");

  spec = good_spec();
  spec.eku = "serverAuth";
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "extendedKeyUsage without a purpose C2PA allows");

  spec = good_spec();
  spec.key_usage = "critical,nonRepudiation";
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "without digitalSignature");

  spec = good_spec();
  spec.ca = true;
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "is a CA certificate");

  auto small = th::rsa_key(1024);
  write_signer(bc, good_spec(), small.get());
  expect_key_error(bc.key_path, bc.chain_path, "1024 bits");

  // Profile rules only the shared check (c2pa-rs's) names: 'any' EKU.
  spec = good_spec();
  spec.eku = "emailProtection,anyExtendedKeyUsage";
  write_signer(bc, spec, key.get());
  expect_key_error(bc.key_path, bc.chain_path, "certificate 'any' EKU not allowed");
}

TEST(CoseSignRefusals, VersionOneCertificate) {
  BadCase bc;
  auto key = th::ec_key();
  auto leaf = th::make_cert(good_spec(), key.get(), bc.ca.intermediate.get(), bc.ca.intermediate_key.get());
  X509_set_version(leaf.get(), X509_VERSION_1);
  X509_sign(leaf.get(), bc.ca.intermediate_key.get(), EVP_sha256());
  write_text(bc.dir.path() / "key.pem", th::key_pem_of(key.get()));
  write_text(bc.dir.path() / "chain.pem", th::pem_of(leaf.get()) + th::pem_of(bc.ca.intermediate.get()));
  expect_key_error((bc.dir.path() / "key.pem").string(), (bc.dir.path() / "chain.pem").string(), "not an X.509 v3");
}

TEST(CoseSignRefusals, AlgorithmNotUsableWithKey) {
  Creds creds(vc::SigningAlg::Es256);
  expect_key_error(creds.key, creds.chain, "cannot be used with an EC key of 256 bits", vc::SigningAlg::Es384);
  expect_key_error(creds.key, creds.chain, "cannot be used", vc::SigningAlg::Ps256);
  expect_key_error(creds.key, creds.chain, "cannot be used", vc::SigningAlg::Ed25519);
  Creds rsa(vc::SigningAlg::Ps256);
  expect_key_error(rsa.key, rsa.chain, "cannot be used with an RSA key", vc::SigningAlg::Es256);
}

// ---- exact size --------------------------------------------------------------------------------

TEST(CoseSign, ExactSizePadding) {
  Creds creds(vc::SigningAlg::Es256);
  auto key = vc::SigningKey::load(creds.key, creds.chain);
  auto trust = vc::TrustSettings::from_pem_files({creds.root});
  const auto claim = claim_bytes(2);
  const size_t natural = vc::sign_claim(claim, key, {}).size();
  EXPECT_EQ(natural, vc::max_sign1_size(key, false));  // ECDSA signatures have a fixed size
  // Every size from natural+5 across the bstr head boundaries (24, 256) and a large one.
  std::vector<size_t> extras;
  for (size_t e = 5; e < 300; ++e) extras.push_back(e);
  extras.push_back(65536 + 40);
  for (size_t extra : extras) {
    vc::Sign1Options options;
    options.exact_size = natural + extra;
    std::vector<uint8_t> cose;
    ASSERT_NO_THROW(cose = vc::sign_claim(claim, key, options)) << extra;
    ASSERT_EQ(cose.size(), natural + extra);
    auto sign1 = vc::detail::parse_cose_sign1(cose);
    ASSERT_TRUE(sign1);
    ASSERT_TRUE(sign1->unprotected_header.get("pad"));
    if (extra % 37 == 0 || extra == 29 || extra == 65576) {
      auto r = vc::verify_claim_signature(cose, claim, trust);
      EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << extra << dump(r);
      EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
    }
  }
  vc::Sign1Options same;
  same.exact_size = natural;
  EXPECT_EQ(vc::sign_claim(claim, key, same).size(), natural);
  for (size_t bad : {natural - 1, natural + 1, natural + 4}) {
    vc::Sign1Options options;
    options.exact_size = bad;
    try {
      vc::sign_claim(claim, key, options);
      ADD_FAILURE() << "no error for exact_size " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Internal);
    }
  }
}

// ---- RFC 3161 ----------------------------------------------------------------------------------

using vt_test::LocalTsa;
using vt_test::TinyPostServer;
using vt_test::have_openssl_cli;

TEST(CoseSignTsa, V2SignatureTimeStampValidatesAndIsTrusted) {
  if (!have_openssl_cli()) GTEST_SKIP() << "openssl command line tool not found: skipping the local TSA tests";
  th::TestCa ca;
  LocalTsa tsa(ca);
  vt_test::TempDir dir;
  auto leaf_key = th::ec_key();
  auto leaf = th::make_cert(good_spec(), leaf_key.get(), ca.intermediate.get(), ca.intermediate_key.get());
  write_text(dir.path() / "k.pem", th::key_pem_of(leaf_key.get()));
  write_text(dir.path() / "c.pem", th::pem_of(leaf.get()) + th::pem_of(ca.intermediate.get()));
  write_text(dir.path() / "root.pem", th::pem_of(ca.root.get()));
  auto key = vc::SigningKey::load((dir.path() / "k.pem").string(), (dir.path() / "c.pem").string());
  auto trust = vc::TrustSettings::from_pem_files({(dir.path() / "root.pem").string()});
  const auto claim = claim_bytes(2);

  vc::Sign1Options options;
  options.tsa_url = tsa.server->url();
  const auto cose = vc::sign_claim(claim, key, options);
  auto sign1 = vc::detail::parse_cose_sign1(cose);
  ASSERT_TRUE(sign1);
  const auto* sigtst2 = sign1->unprotected_header.get("sigTst2");
  ASSERT_TRUE(sigtst2);
  EXPECT_FALSE(sign1->unprotected_header.get("sigTst"));
  auto r = vc::verify_claim_signature(cose, claim, trust);
  EXPECT_TRUE(has(r, "timeStamp.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "timeStamp.trusted", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(r.signature_info.contains("time")) << r.signature_info.dump();

  // Without the root as anchor the time-stamp is validated but not trusted.
  auto untrusted = vc::verify_claim_signature(cose, claim, vc::TrustSettings());
  EXPECT_TRUE(has(untrusted, "timeStamp.validated", vc::StatusKind::Success)) << dump(untrusted);
  EXPECT_FALSE(has(untrusted, "timeStamp.trusted", vc::StatusKind::Success)) << dump(untrusted);

  // Padded to an exact size with a time-stamp, as a builder reserving max_sign1_size would.
  vc::Sign1Options padded = options;
  padded.exact_size = vc::max_sign1_size(key, true);
  const auto sized = vc::sign_claim(claim, key, padded);
  EXPECT_EQ(sized.size(), padded.exact_size);
  auto rs = vc::verify_claim_signature(sized, claim, trust);
  EXPECT_TRUE(has(rs, "timeStamp.trusted", vc::StatusKind::Success)) << dump(rs);
  EXPECT_TRUE(has(rs, "claimSignature.validated", vc::StatusKind::Success)) << dump(rs);
}

TEST(CoseSignTsa, V1ClaimTimeStampValidates) {
  if (!have_openssl_cli()) GTEST_SKIP() << "openssl command line tool not found";
  th::TestCa ca;
  LocalTsa tsa(ca);
  Creds creds(vc::SigningAlg::Ed25519);
  auto key = vc::SigningKey::load(creds.key, creds.chain);
  const auto claim = claim_bytes(1);
  vc::Sign1Options options;
  options.tsa_url = tsa.server->url();
  const auto cose = vc::sign_claim(claim, key, options, 1);
  auto sign1 = vc::detail::parse_cose_sign1(cose);
  ASSERT_TRUE(sign1);
  const auto* sigtst = sign1->unprotected_header.get("sigTst");
  ASSERT_TRUE(sigtst);
  // v1 stores the whole TimeStampResp (c2pa-rs sigtst.rs).
  const auto* tokens = sigtst->get("tstTokens");
  ASSERT_TRUE(tokens && tokens->is_array() && tokens->items.size() == 1);
  const auto* val = tokens->items[0].get_bytes("val");
  ASSERT_TRUE(val);
  const unsigned char* p = val->data();
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(val->size()));
  EXPECT_TRUE(resp);
  TS_RESP_free(resp);
  auto r = vc::verify_claim_signature(cose, claim, vc::TrustSettings::from_pem_files({creds.root}), 1);
  EXPECT_TRUE(has(r, "timeStamp.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
}

TEST(CoseSignTsa, TokenMatchesRequest) {
  if (!have_openssl_cli()) GTEST_SKIP() << "openssl command line tool not found";
  th::TestCa ca;
  LocalTsa tsa(ca);
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  auto reply = vc::request_time_stamp_reply(tsa.server->url(), data);
  EXPECT_FALSE(reply.response.empty());
  ASSERT_FALSE(reply.token.empty());
  // The token is the exact tail of the response.
  ASSERT_LT(reply.token.size(), reply.response.size());
  EXPECT_TRUE(std::equal(reply.token.begin(), reply.token.end(), reply.response.end() - static_cast<long>(reply.token.size())));
  EXPECT_EQ(vc::request_time_stamp(tsa.server->url(), data).front(), 0x30);
}

TEST(CoseSignTsa, Errors) {
  const std::vector<uint8_t> data = {1, 2, 3};
  // Nothing listening: Error(Io).
  int port = 0;
  {
    TinyPostServer closed("text/plain", [](const std::vector<uint8_t>&) { return std::nullopt; });
    port = std::stoi(closed.url().substr(17, closed.url().find('/', 17) - 17));
  }
  try {
    vc::request_time_stamp("http://127.0.0.1:" + std::to_string(port) + "/tsa", data);
    ADD_FAILURE() << "expected Error(Io)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
  }
  // HTTP 500: Error(Io).
  TinyPostServer failing("text/plain", [](const std::vector<uint8_t>&) { return std::nullopt; });
  try {
    vc::request_time_stamp(failing.url(), data);
    ADD_FAILURE() << "expected Error(Io)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
  }
  // Not a TimeStampResp: Error(Malformed).
  TinyPostServer junk("application/timestamp-reply",
                      [](const std::vector<uint8_t>&) { return std::vector<uint8_t>{'n', 'o', 'p', 'e'}; });
  try {
    vc::request_time_stamp(junk.url(), data);
    ADD_FAILURE() << "expected Error(Malformed)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
  }
  // Rejected (PKIStatus 2): Error(Io), naming the status.
  TinyPostServer rejecting("application/timestamp-reply", [](const std::vector<uint8_t>&) {
    return std::vector<uint8_t>{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02};
  });
  try {
    vc::request_time_stamp(rejecting.url(), data);
    ADD_FAILURE() << "expected Error(Io)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
    EXPECT_NE(std::string(e.what()).find("rejection"), std::string::npos) << e.what();
  }
}

TEST(CoseSignTsa, TokenForOtherDataIsRefused) {
  if (!have_openssl_cli()) GTEST_SKIP() << "openssl command line tool not found";
  th::TestCa ca;
  LocalTsa tsa(ca);
  // A proxy that answers every request with a reply made for another request.
  std::vector<uint8_t> canned = vc::request_time_stamp_reply(tsa.server->url(), std::vector<uint8_t>{9, 9}).response;
  TinyPostServer replay("application/timestamp-reply", [&](const std::vector<uint8_t>&) { return canned; });
  try {
    vc::request_time_stamp(replay.url(), std::vector<uint8_t>{1, 2, 3});
    ADD_FAILURE() << "expected Error(Malformed)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
  }
}

// ---- SoftHSM2 through the OpenSSL pkcs11 engine -------------------------------------------------

TEST(CoseSignHsm, SoftHsmKeyThroughPkcs11Engine) {
  const char* module = "/usr/lib/softhsm/libsofthsm2.so";
  const bool have = fs::exists(module) && std::system("softhsm2-util --version >/dev/null 2>&1") == 0 &&
                    std::system("command -v pkcs11-tool >/dev/null 2>&1") == 0 &&
                    (fs::exists("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so") ||
                     fs::exists("/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so"));
  if (!have) {
    GTEST_SKIP() << "SoftHSM2 / pkcs11 engine / pkcs11-tool missing (apt-get install softhsm2 "
                    "libengine-pkcs11-openssl opensc): skipping the hardware-key test";
  }
  vt_test::TempDir dir;
  const fs::path d = dir.path();
  fs::create_directories(d / "tokens");
  write_text(d / "softhsm2.conf", "directories.tokendir = " + (d / "tokens").string() +
                                      "\nobjectstore.backend = file\nlog.level = ERROR\n");
  ::setenv("SOFTHSM2_CONF", (d / "softhsm2.conf").c_str(), 1);
  ::setenv("VERITRACE_PKCS11_MODULE", module, 1);

  th::TestCa ca;
  auto leaf_key = th::ec_key();
  auto leaf = th::make_cert(good_spec(), leaf_key.get(), ca.intermediate.get(), ca.intermediate_key.get());
  write_text(d / "k.pem", th::key_pem_of(leaf_key.get()));
  vt_test::write_file(d / "leaf.der", th::der_of(leaf.get()));
  write_text(d / "chain.pem", th::pem_of(leaf.get()) + th::pem_of(ca.intermediate.get()));
  write_text(d / "root.pem", th::pem_of(ca.root.get()));
  const auto q = [](const fs::path& p) { return vt_test::shell_quote(p.string()); };
  auto init = vt_test::run("softhsm2-util --init-token --free --label veritrace --pin 1234 --so-pin 5678");
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  auto import = vt_test::run("softhsm2-util --import " + q(d / "k.pem") +
                             " --token veritrace --label signer --id 01 --pin 1234");
  ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
  auto cert = vt_test::run(std::string("pkcs11-tool --module ") + module + " --token-label veritrace --login --pin 1234 "
                           "--write-object " + q(d / "leaf.der") + " --type cert --id 01 --label signer");
  ASSERT_EQ(cert.exit_code, 0) << cert.out << cert.err;
  // The key file is gone: only the token holds it now.
  fs::remove(d / "k.pem");

  const std::string uri = "engine:pkcs11:pkcs11:token=veritrace;object=signer;type=private;pin-value=1234";
  auto key = vc::SigningKey::load(uri, (d / "chain.pem").string());
  EXPECT_EQ(key.alg(), vc::SigningAlg::Es256);
  const auto claim = claim_bytes(2);
  const auto cose = vc::sign_claim(claim, key, {});
  auto r = vc::verify_claim_signature(cose, claim, vc::TrustSettings::from_pem_files({(d / "root.pem").string()}));
  EXPECT_TRUE(has(r, "claimSignature.validated", vc::StatusKind::Success)) << dump(r);
  EXPECT_TRUE(has(r, "signingCredential.trusted", vc::StatusKind::Success)) << dump(r);

  // A wrong PIN or object is a clear Error(Key).
  expect_key_error("engine:pkcs11:pkcs11:token=veritrace;object=nothing;type=private;pin-value=1234",
                   (d / "chain.pem").string(), "cannot load private key");
  // The PIN never appears in a message.
  try {
    vc::SigningKey::load("engine:pkcs11:pkcs11:token=veritrace;object=nothing;pin-value=98765;type=private",
                         (d / "chain.pem").string());
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("98765"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pin-value=***;type=private"), std::string::npos) << e.what();
  }
  // The token's key does not match another chain.
  Creds other(vc::SigningAlg::Es256);
  expect_key_error(uri, other.chain, "does not match");
  ::unsetenv("VERITRACE_PKCS11_MODULE");
}

// ---- test credentials ---------------------------------------------------------------------------

TEST(CoseSign, GeneratedCredentialsFollowTheProfile) {
  auto c = vc::generate_test_credentials(vc::SigningAlg::Es256, "Someone");
  EXPECT_NE(c.key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  BIO* bio = BIO_new_mem_buf(c.chain_pem.data(), static_cast<int>(c.chain_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_get_version(leaf), X509_VERSION_3);
  EXPECT_FALSE(vc::detail::is_ca(leaf));
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(leaf, NID_basic_constraints, &crit, nullptr));
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(X509_get_key_usage(leaf), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(X509_get_extended_key_usage(leaf) & XKU_SMIME);
  EXPECT_TRUE(X509_get0_subject_key_id(leaf));
  EXPECT_TRUE(X509_get0_authority_key_id(leaf));
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, nullptr, nullptr));
  bool document_signing = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    char text[64];
    OBJ_obj2txt(text, sizeof text, sk_ASN1_OBJECT_value(eku, i), 1);
    document_signing |= std::string(text) == "1.3.6.1.5.5.7.3.36";
  }
  EXTENDED_KEY_USAGE_free(eku);
  EXPECT_TRUE(document_signing);
  X509_free(leaf);
}

}  // namespace
