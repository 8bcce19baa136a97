// COSE_Sign1 (RFC 9052) verification of C2PA claim signatures, the C2PA certificate profile,
// chain building against trust anchors, and RFC 3161 time-stamps (sigTst / sigTst2).
// Internal to the library; all cryptography is OpenSSL 3.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace veritrace::cose {

enum class StatusKind { Success, Informational, Failure };

// One C2PA validation status, code named exactly as the spec / c2pa-rs name it
// (claimSignature.validated, signingCredential.untrusted, timeStamp.trusted, ...).
struct Status {
  StatusKind kind = StatusKind::Success;
  std::string code;
  std::string explanation;
};

// How the signing certificate's chain is judged.
enum class TrustMode {
  EmptyAnchors,  // default: trust checked against no anchors -> signingCredential.untrusted
  Anchors,       // trust checked against the anchors loaded from PEM files
  NoCheck,       // --no-trust-check: signatures, profile and validity still checked, trust not
};

// Trust anchors loaded once and shared by every file of a run. Thread-safe after construction.
class TrustSettings {
 public:
  TrustSettings();  // EmptyAnchors
  ~TrustSettings();
  TrustSettings(TrustSettings&&) noexcept;
  TrustSettings& operator=(TrustSettings&&) noexcept;
  // Loads every certificate of each PEM file as an anchor. Throws Error(Io) if unreadable,
  // Error(Key) if a file holds no certificate.
  static TrustSettings from_pem_files(const std::vector<std::string>& paths);
  static TrustSettings no_check();
  TrustMode mode() const;

  // Strict mode (off by default; default mode reproduces c2pa-rs 0.90.1). Adds, in every trust
  // mode, the rules where the reference is more lenient than the C2PA certificate profile and
  // RFC 5280 path validation (docs/conformance.md):
  //  - the signer's keyUsage asserts digitalSignature (else signingCredential.invalid);
  //  - every certificate of x5chain is inside its validity period at the validation time, the
  //    trusted time-stamp's time or else now (else signingCredential.expired);
  //  - every issuing certificate of x5chain is a v3 CA: basicConstraints cA=TRUE, keyCertSign
  //    when keyUsage is present, pathLenConstraint respected (else signingCredential.invalid);
  //  - with anchors, the chain must also pass OpenSSL's X509_verify_cert (X509_V_FLAG_X509_STRICT)
  //    at the validation time, on top of c2pa-rs's own trust rules (else signingCredential.untrusted).
  void set_strict(bool strict);
  TrustSettings with_strict(bool strict) &&;  // TrustSettings::from_pem_files(p).with_strict(true)
  bool strict() const;
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct SignatureResult {
  // Statuses in the order c2pa-rs reports them (success and failure mixed; kind tells which).
  std::vector<Status> statuses;
  // c2pa-rs's signature_info: {alg ("Es256", "Ps256", "Ed25519", ...), issuer, common_name,
  // cert_serial_number (decimal), time (RFC 3339, when a time-stamp gives one)}.
  nlohmann::json signature_info = nlohmann::json::object();
  // Extra detail for --detailed: the chain's subjects, issuers, validity periods, time-stamp.
  nlohmann::json details = nlohmann::json::object();
  bool signature_valid = false;  // the COSE signature over the claim verified
};

// Verifies `cose_sign1` (the bytes of the c2pa.signature box's cbor content) over the detached
// payload `claim` (the exact bytes of the claim's cbor content). Never throws for bad
// signatures, certificates or time-stamps: they become statuses. Bytes that are not a tagged
// COSE_Sign1 give the failure claimSignature.mismatch ("could not parse signature"), as in
// c2pa-rs; nothing is thrown for them either (callers may still catch Error defensively).
// The claim version (1 for c2pa.claim, 2 for c2pa.claim.v2) matters for time-stamps: c2pa-rs
// does not check the TSA's trust for v1 claims. This overload reads it from the claim CBOR
// (only v2 claims have created_assertions).
SignatureResult verify_claim_signature(std::span<const uint8_t> cose_sign1, std::span<const uint8_t> claim,
                                       const TrustSettings& trust);
// Same, with the claim version given by the caller (from the claim box label).
SignatureResult verify_claim_signature(std::span<const uint8_t> cose_sign1, std::span<const uint8_t> claim,
                                       const TrustSettings& trust, int claim_version);

}  // namespace veritrace::cose
