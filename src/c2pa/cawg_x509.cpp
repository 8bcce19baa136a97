// sig_type "cawg.x509.cose": the identity assertion's signature is a COSE_Sign1 whose payload is
// detached: c2pa-rs re-serialises the decoded signer payload and verifies the Sig_structure
// ["Signature1", protected, h'', payload]. Checks run in c2pa-rs's Verifier order: algorithm,
// EC signature encoding, certificate profile, trust (against CAWG trust settings, which are
// c2pa-rs's defaults here: no anchors, so the signer is never trusted), then the signature.
// Only the algorithm/encoding failures and profile/trust statuses are logged; a parse failure is
// claimSignature.mismatch at "Cose_Sign1"; a bad signature returns silently (no well-formed).
#include <openssl/x509v3.h>

#include "c2pa/cawg_internal.hpp"
#include "cose/internal.hpp"

namespace veritrace::c2pa::cawg {

namespace {

using namespace cose::detail;

void copy_statuses(const StatusLog& from, Sink& sink) {
  for (const auto& s : from.statuses()) sink.add(s.kind, s.code, s.explanation);
}

}  // namespace

bool verify_x509(const SignerPayload& payload, std::span<const uint8_t> signature, Sink& sink) {
  const std::vector<uint8_t> data = serialize_signer_payload(payload);
  auto sign1 = parse_cose_sign1(signature);
  if (!sign1) {
    sink.failure("claimSignature.mismatch", "could not parse signature", "Cose_Sign1");
    return false;
  }
  const auto alg = signing_alg(*sign1);
  if (!alg) {
    sink.failure("algorithm.unsupported", "unsupported or missing Cose algorithm", "Cose_Sign1");
    return false;
  }
  const bool ecdsa = *alg == SigningAlg::Es256 || *alg == SigningAlg::Es384 || *alg == SigningAlg::Es512;
  if (ecdsa && ecdsa_signature_is_der(sign1->signature)) {
    sink.failure("signingCredential.invalid",
                 "unsupported signature format (EC signature should be in P1363 r|s format)", "Cose_Sign1");
    return false;
  }
  const auto chain_ders = certificate_chain(*sign1);
  if (!chain_ders || chain_ders->empty()) return false;  // c2pa-rs: an error, nothing logged

  std::vector<X509Ptr> certs;
  for (const auto& der : *chain_ders) certs.push_back(parse_certificate(der));
  const X509* leaf = certs.front().get();
  const EkuPolicy ekus = EkuPolicy::claim_signing();

  // Certificate profile (no time-stamp: validity is checked at the current time).
  if (!leaf) {
    sink.failure("signingCredential.invalid", "certificate could not be parsed");
  } else {
    StatusLog profile_log;
    check_end_entity_profile(leaf, ekus, std::nullopt, profile_log);
    copy_statuses(profile_log, sink);
  }

  // Trust against the CAWG trust settings: c2pa-rs's defaults, i.e. no anchors at all.
  std::vector<const X509*> rest;
  bool all_parsed = leaf != nullptr;
  for (size_t i = 1; i < certs.size(); ++i) {
    all_parsed = all_parsed && certs[i] != nullptr;
    rest.push_back(certs[i].get());
  }
  const Anchors cawg_anchors;
  if (all_parsed && check_certificate_trust(cawg_anchors, ekus, leaf, rest, std::nullopt)) {
    sink.success("signingCredential.trusted", "signing certificate trusted, found in System trust anchors");
  } else {
    sink.failure("signingCredential.untrusted", "signing certificate untrusted");
  }

  if (!leaf) return false;
  const std::vector<uint8_t> tbs = sig_structure(*sign1, data);
  if (!verify_raw_signature(*alg, sign1->signature, tbs, X509_get0_pubkey(leaf))) return false;
  // c2pa-rs reads the signer's organisation after verifying; without one it returns an error.
  return last_name_entry(X509_get_subject_name(leaf), NID_organizationName).has_value();
}

}  // namespace veritrace::c2pa::cawg
