// Signing C2PA claims: keys (PEM, OpenSSL PKCS#11 engine, provider URIs), COSE_Sign1 creation,
// the C2PA certificate profile check before signing, and RFC 3161 time-stamps. Internal.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace veritrace::cose {

enum class SigningAlg { Es256, Es384, Es512, Ps256, Ps384, Ps512, Ed25519 };
const char* signing_alg_name(SigningAlg alg);  // "es256", ...
std::optional<SigningAlg> signing_alg_from_name(const std::string& name);

// A private key and its certificate chain (leaf first). Owns OpenSSL objects.
class SigningKey {
 public:
  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;

  // key: a PEM file path, or an OpenSSL URI ("pkcs11:...", "file:..."; a provider's store URI),
  //      or "engine:<engine id>:<key id>" for an OpenSSL engine such as pkcs11 (SoftHSM2, HSMs).
  // chain_pem: leaf then intermediates. alg: nullopt = follow the key (P-256 -> ES256, P-384 ->
  // ES384, P-521 -> ES512, Ed25519, RSA -> PS256).
  // Throws Error(Key) with a clear reason: unreadable key or chain, key does not match the leaf,
  // chain out of order, algorithm not usable with this key, C2PA profile violation (no EKU, wrong
  // key usage, CA leaf, expired or not yet valid, RSA < 2048 bits).
  static SigningKey load(const std::string& key, const std::string& chain_pem, std::optional<SigningAlg> alg = {});

  SigningAlg alg() const;
  const std::vector<std::vector<uint8_t>>& chain_der() const;
  // The raw signature COSE wants (ECDSA: r||s of the curve's size; RSA-PSS: salt = hash size).
  std::vector<uint8_t> sign(std::span<const uint8_t> to_be_signed) const;

  struct Impl;

 private:
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct Sign1Options {
  std::optional<std::string> tsa_url;  // RFC 3161 authority; the token goes in sigTst2
  // Total size the COSE_Sign1 must have (0 = as small as it comes); padded with the unprotected
  // "pad" header so a manifest store can be sized before signing. Throws Error(Internal) if the
  // signature does not fit.
  size_t exact_size = 0;
};

// COSE_Sign1 (tag 18) over the detached claim: protected {alg, x5chain}, unprotected {sigTst2?,
// pad}, payload nil. v2 claims; `claim_version` 1 selects the v1 layout (sigTst).
std::vector<uint8_t> sign_claim(std::span<const uint8_t> claim, const SigningKey& key, const Sign1Options& options,
                                int claim_version = 2);

// An upper bound of sign_claim's size without a time-stamp, for sizing the store's slot.
size_t max_sign1_size(const SigningKey& key, bool with_time_stamp);

// RFC 3161: asks `url` to time-stamp `data` (SHA-256 message imprint); returns the DER
// TimeStampToken. Throws Error(Io) when unreachable or refused.
std::vector<uint8_t> request_time_stamp(const std::string& url, std::span<const uint8_t> data);

// ---- Additions (signing implementation) ---------------------------------------------------------
// request_time_stamp, keeping the whole TimeStampResp too (v1 claims store it in sigTst).
// The request carries a random nonce and certReq; the reply must be granted (or grantedWithMods)
// and its token's imprint and nonce must match the request (Error(Malformed) otherwise).
struct TimeStampReply {
  std::vector<uint8_t> response;  // DER TimeStampResp, as received
  std::vector<uint8_t> token;     // DER TimeStampToken (ContentInfo), the exact bytes inside it
};
TimeStampReply request_time_stamp_reply(const std::string& url, std::span<const uint8_t> data);

// The COSE algorithm identifier (-7 ES256, ..., -8 EdDSA).
int64_t cose_alg_id(SigningAlg alg);

// A throwaway test PKI in the C2PA profile, made with OpenSSL: a self-signed root CA, an
// intermediate CA and an end-entity signer (v3, basicConstraints CA:FALSE critical, keyUsage
// digitalSignature critical, EKU emailProtection + documentSigning, SKI/AKI), every key of the
// type `alg` needs (EC curve, RSA 2048 for PS256 and 3072 for PS384/PS512, Ed25519). For tests and
// `veritrace c2pa keygen`; never for production. PEM text; key_pem is PKCS#8, unencrypted.
struct TestCredentials {
  std::string root_pem;   // root CA certificate (a trust anchor for the chain)
  std::string chain_pem;  // leaf then intermediate
  std::string key_pem;    // the leaf's private key
};
TestCredentials generate_test_credentials(SigningAlg alg, const std::string& common_name = "Veritrace Test Signer",
                                          long valid_days = 365);

}  // namespace veritrace::cose
