// Shared internals of the COSE module: OpenSSL ownership helpers, the parsed COSE_Sign1, and the
// building blocks (profile, trust, time-stamp) that verify.cpp strings together.
#pragma once
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cbor/cbor.hpp"
#include "cose/cose.hpp"

namespace veritrace::cose::detail {

// ---- OpenSSL ownership -------------------------------------------------------------------------
template <auto FreeFn>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OpenSslDeleter<CMS_ContentInfo_free>>;

// Parses one DER certificate that must fill the whole span; nullptr if it does not.
X509Ptr parse_certificate(std::span<const uint8_t> der);
std::vector<uint8_t> certificate_der(const X509* cert);
// Seconds since the epoch of an ASN.1 time; nullopt if unparsable.
std::optional<int64_t> asn1_time_to_epoch(const ASN1_TIME* t);
bool valid_at(const X509* cert, int64_t epoch_seconds);
// Last value of the attribute (NID_organizationName, NID_commonName) of a name, UTF-8.
std::optional<std::string> last_name_entry(const X509_NAME* name, int nid);
std::string name_to_text(const X509_NAME* name);
std::string serial_decimal(const X509* cert);
std::string rfc3339(int64_t epoch_seconds, const std::string& fraction_digits = {});
bool is_ca(const X509* cert);

// ---- Status sink -------------------------------------------------------------------------------
class StatusLog {
 public:
  void success(std::string code, std::string explanation);
  void informational(std::string code, std::string explanation);
  void failure(std::string code, std::string explanation);
  void append(const StatusLog& other);
  const std::vector<Status>& statuses() const { return statuses_; }
  std::vector<Status>& statuses() { return statuses_; }

 private:
  std::vector<Status> statuses_;
};

// ---- COSE_Sign1 --------------------------------------------------------------------------------
enum class SigningAlg { Es256, Es384, Es512, Ps256, Ps384, Ps512, Ed25519 };
const char* signing_alg_name(SigningAlg alg);  // "Es256", ... as c2pa-rs prints it

struct CoseSign1 {
  std::vector<uint8_t> protected_bytes;  // the exact bstr content, as signed
  cbor::Value protected_header;          // decoded map (empty map for an empty bstr)
  cbor::Value unprotected_header;        // map
  std::vector<uint8_t> signature;
};

// nullopt when the bytes are not a tagged COSE_Sign1 (c2pa-rs: "could not parse signature").
std::optional<CoseSign1> parse_cose_sign1(std::span<const uint8_t> bytes);
std::optional<SigningAlg> signing_alg(const CoseSign1& sign1);
// x5chain, leaf first; nullopt when missing, malformed or present in both headers.
std::optional<std::vector<std::vector<uint8_t>>> certificate_chain(const CoseSign1& sign1);
// ["Signature1", protected, h'', payload]
std::vector<uint8_t> sig_structure(const CoseSign1& sign1, std::span<const uint8_t> payload);
// ["CounterSignature", protected, h'', payload] (the time-stamp's message, as c2pa-rs builds it)
std::vector<uint8_t> countersign_structure(const CoseSign1& sign1, std::span<const uint8_t> payload);
bool ecdsa_signature_is_der(std::span<const uint8_t> signature);
// Verifies the raw COSE signature with the leaf's public key.
bool verify_raw_signature(SigningAlg alg, std::span<const uint8_t> signature, std::span<const uint8_t> tbs,
                          EVP_PKEY* public_key);

// ---- Certificate profile and trust -------------------------------------------------------------
struct EkuPolicy {
  std::set<std::string> allowed_oids;  // dotted OIDs beyond the three always allowed
  static EkuPolicy claim_signing();    // c2pa-rs's valid_eku_oids.cfg
  static EkuPolicy time_stamping();
};

// C2PA end-entity profile as c2pa-rs checks it. Logs signingCredential.* failures; returns false
// on any failure (some failures are silent, as in c2pa-rs). `signing_time` (a time-stamp's time)
// replaces the current time for the validity check.
bool check_end_entity_profile(const X509* cert, const EkuPolicy& ekus, std::optional<int64_t> signing_time,
                              StatusLog& log);

// The certificate has an EKU extension naming an allowed purpose (trust check's EKU rule).
bool has_allowed_eku(const X509* cert, const EkuPolicy& ekus);

struct Anchors {
  std::vector<X509Ptr> certs;
};
// Chain check as c2pa-rs 0.90.1 (native) does it: EKU present and allowed, each certificate
// signed by the next, and a certificate of the chain issued by an anchor. Validity of the chain
// is only checked at `signing_time`, when given.
// `leaf` is the certificate judged, `rest` the certificates that came with it.
// Certificate signature algorithms c2pa-rs accepts (RSA PKCS#1 / PSS, ECDSA with SHA-2, Ed25519).
bool is_allowed_certificate_signature(int signature_nid);

bool check_certificate_trust(const Anchors& anchors, const EkuPolicy& ekus, const X509* leaf,
                             std::span<const X509* const> rest, std::optional<int64_t> signing_time);

// ---- Strict mode (TrustSettings::strict; strict.cpp) ------------------------------------------
// C2PA certificate profile: the signer's keyUsage must assert digitalSignature. Logs
// signingCredential.invalid and returns false when it does not.
bool check_strict_signer_key_usage(const X509* leaf, StatusLog& log);
// RFC 5280 6.1.3 (a)(2) and 6.1.4 (k), (l), (n) over x5chain: every certificate valid at `when`
// (signingCredential.expired), every issuing certificate a v3 CA with keyCertSign when keyUsage is
// present and its pathLenConstraint respected (signingCredential.invalid). Returns false on any
// failure. `rest` may start with a repeat of the leaf, as c2pa-rs allows.
bool check_strict_chain(const X509* leaf, std::span<const X509* const> rest, int64_t when, StatusLog& log);
// X509_verify_cert with X509_V_FLAG_X509_STRICT (and X509_V_FLAG_PARTIAL_CHAIN, since c2pa-rs
// accepts an intermediate as an anchor) at `when`. Empty string when the path verifies, else
// OpenSSL's reason.
std::string strict_path_error(const Anchors& anchors, const X509* leaf, std::span<const X509* const> rest,
                              int64_t when);

// ---- RFC 3161 time-stamps ----------------------------------------------------------------------
struct TimeStampOutcome {
  std::optional<int64_t> time;          // genTime (or signed signingTime), when the token verified
  std::string time_fraction;            // fractional-second digits of genTime, if any
  bool trusted = false;                 // passed the trust step (or trust was not asked)
  std::string tsa_subject;
  std::vector<std::vector<uint8_t>> tsa_chain;
};

// Validates sigTst / sigTst2 of the unprotected header. Logs timeStamp.* statuses into `log`.
// Returns nullopt when there is no time-stamp header. `verify_trust` = false checks everything
// except the TSA's profile and trust (c2pa-rs does so for v1 claims).
std::optional<TimeStampOutcome> validate_time_stamp(const CoseSign1& sign1, std::span<const uint8_t> claim,
                                                    const Anchors& anchors, bool verify_trust, StatusLog& log);

}  // namespace veritrace::cose::detail

struct veritrace::cose::TrustSettings::Impl {
  TrustMode mode = TrustMode::EmptyAnchors;
  detail::Anchors anchors;
  bool strict = false;
};
