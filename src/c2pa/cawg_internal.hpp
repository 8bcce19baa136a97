// Internals of the CAWG identity assertion validation (cawg.cpp, cawg_x509.cpp, cawg_ica.cpp).
#pragma once
#include "core/encoding.hpp"
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "c2pa/store_model.hpp"
#include "c2pa/validation_log.hpp"

namespace veritrace::c2pa::cawg {

// Statuses of one manifest's identity assertions, collected before they go to the log.
// An empty url means "the assertion being validated" (c2pa-rs: the tracker's current URI).
class Sink {
 public:
  explicit Sink(std::string current_uri) : current_uri_(std::move(current_uri)) {}
  void add(StatusKind kind, std::string code, std::string explanation, std::string url = {});
  void success(std::string code, std::string explanation, std::string url = {}) {
    add(StatusKind::Success, std::move(code), std::move(explanation), std::move(url));
  }
  void failure(std::string code, std::string explanation, std::string url = {}) {
    add(StatusKind::Failure, std::move(code), std::move(explanation), std::move(url));
  }
  void set_current_uri(std::string uri) { current_uri_ = std::move(uri); }
  const std::vector<LogEntry>& entries() const { return entries_; }

 private:
  std::string current_uri_;
  std::vector<LogEntry> entries_;
};

// The signer payload as c2pa-rs models it: only these fields survive its decoding, and only they
// are serialised again for the X.509 signature check.
struct SignerPayload {
  std::vector<HashedUri> referenced_assertions;
  std::string sig_type;
  std::vector<std::string> roles;  // "role"
};

bool same_hashed_uri(const HashedUri& a, const HashedUri& b);
bool same_signer_payload(const SignerPayload& a, const SignerPayload& b);

// c2pa-rs's CBOR serialisation of the signer payload: a definite map {referenced_assertions:
// [{url, alg?, hash}], sig_type, role?} with preferred (shortest) heads.
std::vector<uint8_t> serialize_signer_payload(const SignerPayload& payload);

// sig_type "cawg.x509.cose": COSE_Sign1 over the serialised signer payload (detached), with the
// certificate profile and trust checked against CAWG trust settings (empty: always untrusted).
// Returns true when the signature verified (c2pa-rs then logs cawg.identity.well-formed).
bool verify_x509(const SignerPayload& payload, std::span<const uint8_t> signature, Sink& sink);

// sig_type "cawg.identity_claims_aggregation": a W3C VC 2.0 secured with COSE (EdDSA), issuer
// key from did:jwk (did:web is never fetched: cawg.ica.did_unavailable). Returns true when
// c2pa-rs's verifier returns a credential (even with logged failures), false on a fatal error.
bool verify_ica(const SignerPayload& payload, std::span<const uint8_t> signature, Sink& sink);

// Base64 (RFC 4648). `url_safe` picks the alphabet; `padding`: Canonical = padding required
// when the length is not a multiple of 4 and must be exact; Indifferent = optional.
using veritrace::Base64Padding;
using veritrace::base64_decode_strict;

}  // namespace veritrace::c2pa::cawg
