// generate_test_credentials: a throwaway root -> intermediate -> signer PKI in the C2PA
// certificate profile, for tests and `veritrace c2pa keygen` (docs/signing-keys.md gives the
// same with the openssl command line).
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cose/internal.hpp"
#include "cose/sign.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace {

using detail::EvpPkeyPtr;
using detail::OpenSslDeleter;
using detail::X509Ptr;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;

[[noreturn]] void fail(const std::string& what) {
  unsigned long code = ERR_peek_error();
  char buf[256] = "no detail from OpenSSL";
  if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  throw Error(ErrorKind::Internal, "test credentials: " + what + ": " + buf);
}

EvpPkeyPtr make_key(SigningAlg alg, bool ca) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case SigningAlg::Es256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case SigningAlg::Es384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case SigningAlg::Es512: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"); break;
    case SigningAlg::Ps256:
    case SigningAlg::Ps384:
    case SigningAlg::Ps512: {
      // CA keys stay at 2048 bits (fast to make); the signer's is 3072 for PS384 and PS512.
      size_t bits = ca || alg == SigningAlg::Ps256 ? 2048 : 3072;
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits);
      break;
    }
    case SigningAlg::Ed25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (!key) fail("key generation");
  return EvpPkeyPtr(key);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail(std::string("extension ") + OBJ_nid2sn(nid));
}

enum class Role { Root, Intermediate, Signer };

X509Ptr make_cert(Role role, const std::string& common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                  long valid_days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("certificate");
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    fail("serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // an hour of clock skew
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(valid_days), 0, nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Veritrace Test"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  if (X509_set_pubkey(cert.get(), key) != 1) fail("public key");
  X509* ctx_issuer = issuer ? issuer : cert.get();
  switch (role) {
    case Role::Root:
      add_ext(cert.get(), ctx_issuer, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(cert.get(), ctx_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::Intermediate:
      add_ext(cert.get(), ctx_issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      add_ext(cert.get(), ctx_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::Signer:
      add_ext(cert.get(), ctx_issuer, NID_basic_constraints, "critical,CA:FALSE");
      add_ext(cert.get(), ctx_issuer, NID_key_usage, "critical,digitalSignature");
      // emailProtection + documentSigning (RFC 9336)
      add_ext(cert.get(), ctx_issuer, NID_ext_key_usage, "emailProtection,1.3.6.1.5.5.7.3.36");
      break;
  }
  add_ext(cert.get(), ctx_issuer, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), ctx_issuer, NID_authority_key_identifier, "keyid:always");
  EVP_PKEY* signer = issuer_key ? issuer_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), signer, md) <= 0) fail("signing a certificate");
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string cert_pem(std::initializer_list<const X509*> certs) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("out of memory");
  for (const X509* cert : certs) {
    if (PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM");
  }
  return bio_text(bio.get());
}

}  // namespace

TestCredentials generate_test_credentials(SigningAlg alg, const std::string& common_name, long valid_days) {
  EvpPkeyPtr root_key = make_key(alg, true);
  EvpPkeyPtr intermediate_key = make_key(alg, true);
  EvpPkeyPtr signer_key = make_key(alg, false);
  X509Ptr root = make_cert(Role::Root, "Veritrace Test Root CA", root_key.get(), nullptr, nullptr, 3650);
  X509Ptr intermediate = make_cert(Role::Intermediate, "Veritrace Test Intermediate CA", intermediate_key.get(),
                                   root.get(), root_key.get(), 1825);
  X509Ptr signer =
      make_cert(Role::Signer, common_name, signer_key.get(), intermediate.get(), intermediate_key.get(), valid_days);

  TestCredentials out;
  out.root_pem = cert_pem({root.get()});
  out.chain_pem = cert_pem({signer.get(), intermediate.get()});
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), signer_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("private key PEM");
  }
  out.key_pem = bio_text(bio.get());
  return out;
}

}  // namespace veritrace::cose
