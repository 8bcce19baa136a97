// Test-only helpers for the COSE tests: pull the active manifest's COSE_Sign1 and claim out of a
// JPEG (APP11 → JUMBF, walked by hand so the COSE tests need no other module), and build keys,
// certificates and COSE_Sign1 structures with OpenSSL.
#pragma once
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cbor/cbor.hpp"
#include "cose/cose.hpp"

namespace vt_test::cose {

struct SignedClaim {
  std::vector<uint8_t> cose;
  std::vector<uint8_t> claim;
  int claim_version = 2;
  size_t cose_offset = 0;  // where the COSE bytes sit in the file (for tamper tests)
  size_t claim_offset = 0;
};

namespace detail {

inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

struct Box {
  std::string type;
  size_t payload_offset = 0;  // offset in the JUMBF buffer
  size_t payload_size = 0;
};

inline std::vector<Box> child_boxes(const std::vector<uint8_t>& buf, size_t begin, size_t end) {
  std::vector<Box> boxes;
  size_t pos = begin;
  while (pos + 8 <= end) {
    uint64_t size = be32(&buf[pos]);
    size_t header = 8;
    if (size == 1) {
      if (pos + 16 > end) break;
      size = (uint64_t{be32(&buf[pos + 8])} << 32) | be32(&buf[pos + 12]);
      header = 16;
    } else if (size == 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) break;
    boxes.push_back({std::string(reinterpret_cast<const char*>(&buf[pos + 4]), 4), pos + header,
                     static_cast<size_t>(size) - header});
    pos += static_cast<size_t>(size);
  }
  return boxes;
}

// The label of a jumb superbox (from its leading jumd box), or "".
inline std::string superbox_label(const std::vector<uint8_t>& buf, const Box& jumb) {
  auto kids = child_boxes(buf, jumb.payload_offset, jumb.payload_offset + jumb.payload_size);
  if (kids.empty() || kids[0].type != "jumd" || kids[0].payload_size < 17) return {};
  const size_t toggles_at = kids[0].payload_offset + 16;
  if (!(buf[toggles_at] & 0x02)) return {};
  std::string label;
  for (size_t i = toggles_at + 1; i < kids[0].payload_offset + kids[0].payload_size && buf[i]; ++i) {
    label += static_cast<char>(buf[i]);
  }
  return label;
}

inline std::optional<Box> cbor_box_of(const std::vector<uint8_t>& buf, const Box& jumb) {
  for (const auto& kid : child_boxes(buf, jumb.payload_offset, jumb.payload_offset + jumb.payload_size)) {
    if (kid.type == "cbor") return kid;
  }
  return std::nullopt;
}

}  // namespace detail

// JUMBF bytes of a JPEG's APP11 segments, with the file offset of every JUMBF byte.
struct Jumbf {
  std::vector<uint8_t> bytes;
  std::vector<size_t> file_offsets;
};

inline Jumbf jumbf_from_jpeg(const std::vector<uint8_t>& file) {
  Jumbf out;
  size_t pos = 2;
  bool first = true;
  while (pos + 4 <= file.size() && file[pos] == 0xFF) {
    const uint8_t marker = file[pos + 1];
    if (marker == 0xDA || marker == 0xD9) break;
    const size_t length = (size_t{file[pos + 2]} << 8) | file[pos + 3];
    if (length < 2 || pos + 2 + length > file.size()) break;
    const size_t payload = pos + 4;
    const size_t payload_size = length - 2;
    if (marker == 0xEB && payload_size > 8 && file[payload] == 'J' && file[payload + 1] == 'P') {
      size_t skip = first ? 8 : 16;  // CI, En, Z; later segments repeat LBox+TBox
      for (size_t i = payload + skip; i < payload + payload_size; ++i) {
        out.bytes.push_back(file[i]);
        out.file_offsets.push_back(i);
      }
      first = false;
    }
    pos += 2 + length;
  }
  return out;
}

inline std::optional<SignedClaim> active_signature_from_jpeg(const std::vector<uint8_t>& file) {
  using namespace detail;
  Jumbf jumbf = jumbf_from_jpeg(file);
  const auto& buf = jumbf.bytes;
  auto top = child_boxes(buf, 0, buf.size());
  if (top.empty() || top[0].type != "jumb") return std::nullopt;
  std::vector<Box> manifests;
  for (const auto& box : child_boxes(buf, top[0].payload_offset, top[0].payload_offset + top[0].payload_size)) {
    if (box.type == "jumb") manifests.push_back(box);
  }
  if (manifests.empty()) return std::nullopt;
  const Box& active = manifests.back();
  SignedClaim out;
  bool have_sig = false, have_claim = false;
  for (const auto& box : child_boxes(buf, active.payload_offset, active.payload_offset + active.payload_size)) {
    if (box.type != "jumb") continue;
    const std::string label = superbox_label(buf, box);
    auto cbor = cbor_box_of(buf, box);
    if (!cbor) continue;
    std::vector<uint8_t> payload(buf.begin() + static_cast<long>(cbor->payload_offset),
                                 buf.begin() + static_cast<long>(cbor->payload_offset + cbor->payload_size));
    if (label == "c2pa.signature") {
      out.cose = payload;
      out.cose_offset = jumbf.file_offsets[cbor->payload_offset];
      have_sig = true;
    } else if (label == "c2pa.claim" || label == "c2pa.claim.v2") {
      out.claim = payload;
      out.claim_version = label == "c2pa.claim" ? 1 : 2;
      out.claim_offset = jumbf.file_offsets[cbor->payload_offset];
      have_claim = true;
    }
  }
  if (!have_sig || !have_claim) return std::nullopt;
  return out;
}

// ---- OpenSSL builders ------------------------------------------------------------------------
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

inline Key ec_key(const char* curve = "P-256") { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)); }
inline Key rsa_key(unsigned bits) {
  return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}
inline Key ed25519_key() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

struct CertSpec {
  std::string common_name;
  std::string organization = "Veritrace Test";
  bool ca = false;
  std::string key_usage = "critical,digitalSignature";
  std::string eku = "emailProtection";  // empty: no EKU extension
  long valid_from_seconds = -3600;      // relative to now
  long valid_to_seconds = 3600L * 24 * 365;
  long serial = 1;
};

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (value.empty()) return;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// issuer == nullptr: self-signed with `key`. `basic_constraints` overrides the spec's CA flag
// (e.g. "critical,CA:TRUE,pathlen:0").
inline Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                      const std::string& basic_constraints = "") {
  Cert cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.valid_from_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.valid_to_seconds);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.organization.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509* issuer_cert = issuer ? issuer : cert.get();
  add_extension(cert.get(), issuer_cert, NID_basic_constraints,
                !basic_constraints.empty() ? basic_constraints : spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), issuer_cert, NID_key_usage, spec.key_usage);
  add_extension(cert.get(), issuer_cert, NID_ext_key_usage, spec.eku);
  add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
  EVP_PKEY* signer = issuer_key ? issuer_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  X509_sign(cert.get(), signer, md);
  return cert;
}

// The failure codes of a verification, and whether a success code is present.
inline std::set<std::string> failures(const veritrace::cose::SignatureResult& r) {
  std::set<std::string> codes;
  for (const auto& st : r.statuses) {
    if (st.kind == veritrace::cose::StatusKind::Failure) codes.insert(st.code);
  }
  return codes;
}

inline bool has_success(const veritrace::cose::SignatureResult& r, const std::string& code) {
  for (const auto& st : r.statuses) {
    if (st.kind == veritrace::cose::StatusKind::Success && st.code == code) return true;
  }
  return false;
}

inline std::vector<uint8_t> der_of(const X509* cert) {
  int len = i2d_X509(cert, nullptr);
  std::vector<uint8_t> out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

inline std::string pem_of(const X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(len));
  BIO_free(bio);
  return text;
}

enum class Alg : int64_t { Es256 = -7, Es384 = -35, Es512 = -36, Ps256 = -37, Ed25519 = -8 };

inline std::vector<uint8_t> sign_bytes(Alg alg, EVP_PKEY* key, const std::vector<uint8_t>& tbs) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Alg::Ed25519 ? nullptr
                     : alg == Alg::Es384 ? EVP_sha384()
                     : alg == Alg::Es512 ? EVP_sha512()
                                         : EVP_sha256();
  EVP_DigestSignInit(ctx, &pctx, md, nullptr, key);
  if (alg == Alg::Ps256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, tbs.data(), tbs.size());
  std::vector<uint8_t> sig(len);
  EVP_DigestSign(ctx, sig.data(), &len, tbs.data(), tbs.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg == Alg::Es256 || alg == Alg::Es384 || alg == Alg::Es512) {
    // DER → r||s
    const unsigned char* p = sig.data();
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    const int field = (EVP_PKEY_get_bits(key) + 7) / 8;
    std::vector<uint8_t> raw(static_cast<size_t>(2 * field));
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), raw.data(), field);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), raw.data() + field, field);
    ECDSA_SIG_free(ecdsa);
    return raw;
  }
  return sig;
}

struct CoseSpec {
  Alg alg = Alg::Es256;
  bool tagged = true;
  bool include_alg = true;
  bool chain_in_unprotected = false;
};

// A detached COSE_Sign1 over `claim`, x5chain = `chain` (leaf first).
inline std::vector<uint8_t> make_cose(const CoseSpec& spec, EVP_PKEY* key, const std::vector<const X509*>& chain,
                                      const std::vector<uint8_t>& claim) {
  using veritrace::cbor::Value;
  Value x5chain = Value::make_array();
  for (const X509* cert : chain) x5chain.push(Value::from_bytes(der_of(cert)));
  Value protected_map = Value::make_map();
  if (spec.include_alg) protected_map.set_int(1, Value::from_int(static_cast<int64_t>(spec.alg)));
  Value unprotected = Value::make_map();
  if (spec.chain_in_unprotected) {
    unprotected.set("x5chain", x5chain);
  } else {
    protected_map.set_int(33, x5chain);
  }
  const std::vector<uint8_t> protected_bytes = veritrace::cbor::encode(protected_map);
  Value to_sign = Value::make_array();
  to_sign.push(Value::from_text("Signature1"));
  to_sign.push(Value::from_bytes(protected_bytes));
  to_sign.push(Value::from_bytes({}));
  to_sign.push(Value::from_bytes(claim));
  const auto signature = sign_bytes(spec.alg, key, veritrace::cbor::encode(to_sign));
  Value sign1 = Value::make_array();
  sign1.push(Value::from_bytes(protected_bytes));
  sign1.push(unprotected);
  sign1.push(Value());  // nil: detached payload
  sign1.push(Value::from_bytes(signature));
  return veritrace::cbor::encode(spec.tagged ? Value::make_tag(18, sign1) : sign1);
}

}  // namespace vt_test::cose

// ---- Signing tests (additive) ------------------------------------------------------------------
namespace vt_test::cose {

// PKCS#8 PEM of a private key (traditional = the older "BEGIN EC/RSA PRIVATE KEY" form).
inline std::string key_pem_of(EVP_PKEY* key, bool traditional = false) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(len));
  BIO_free(bio);
  return text;
}

// A test root CA (self-signed, keyCertSign) and an intermediate under it, both P-256.
struct TestCa {
  Key root_key = ec_key();
  Key intermediate_key = ec_key();
  Cert root;
  Cert intermediate;
  TestCa() {
    CertSpec root_spec{"Test Root CA", "Veritrace Test", true, "critical,keyCertSign,cRLSign", "", -7200,
                       3600L * 24 * 3650, 100};
    root = make_cert(root_spec, root_key.get(), nullptr, nullptr);
    CertSpec mid_spec{"Test Intermediate CA", "Veritrace Test", true, "critical,keyCertSign,cRLSign", "", -7200,
                      3600L * 24 * 1825, 101};
    intermediate = make_cert(mid_spec, intermediate_key.get(), root.get(), root_key.get());
  }
};

}  // namespace vt_test::cose
