// verify_claim_signature: the claim signature checks in c2pa-rs 0.90.1's order — time-stamp,
// algorithm, certificate profile, trust, then the signature itself — with its status codes.
#include <openssl/x509v3.h>

#include <ctime>

#include "cose/internal.hpp"
#include "veritrace/core.hpp"

namespace veritrace::cose {
namespace {

using namespace detail;

constexpr const char* k_mismatch = "claimSignature.mismatch";
constexpr const char* k_not_valid = "claim signature is not valid";

struct ParsedChain {
  std::vector<X509Ptr> certs;  // leaf first; nullptr where a certificate does not parse
  const X509* leaf() const { return certs.empty() ? nullptr : certs.front().get(); }
  std::vector<const X509*> rest() const {
    std::vector<const X509*> out;
    for (size_t i = 1; i < certs.size(); ++i) out.push_back(certs[i].get());
    return out;
  }
};

ParsedChain parse_chain(const std::vector<std::vector<uint8_t>>& ders) {
  ParsedChain chain;
  for (const auto& der : ders) chain.certs.push_back(parse_certificate(der));
  return chain;
}

// c2pa-rs decides by the claim box label; the CBOR tells the same: only v2 has created_assertions.
int detect_claim_version(std::span<const uint8_t> claim) {
  try {
    cbor::Value value = cbor::decode(claim);
    if (value.get("created_assertions")) return 2;
    if (value.get("assertions")) return 1;
  } catch (const veritrace::Error&) {
  }
  return 2;
}

const char* key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: return "EC";
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_ED25519: return "Ed25519";
    default: return "other";
  }
}

nlohmann::json describe_certificate(const X509* cert) {
  nlohmann::json j;
  j["subject"] = name_to_text(X509_get_subject_name(cert));
  j["issuer"] = name_to_text(X509_get_issuer_name(cert));
  j["serial_number"] = serial_decimal(cert);
  if (auto t = asn1_time_to_epoch(X509_get0_notBefore(cert))) j["not_before"] = rfc3339(*t);
  if (auto t = asn1_time_to_epoch(X509_get0_notAfter(cert))) j["not_after"] = rfc3339(*t);
  j["signature_algorithm"] = OBJ_nid2sn(X509_get_signature_nid(cert));
  j["is_ca"] = is_ca(cert);
  if (const EVP_PKEY* key = X509_get0_pubkey(cert)) {
    j["key_type"] = key_type_name(key);
    j["key_bits"] = EVP_PKEY_get_bits(key);
  }
  return j;
}

nlohmann::json signature_info(const X509* leaf, std::optional<SigningAlg> alg,
                              const std::optional<TimeStampOutcome>& time_stamp) {
  nlohmann::json info = nlohmann::json::object();
  if (!leaf) return info;
  if (alg) info["alg"] = signing_alg_name(*alg);
  if (auto org = last_name_entry(X509_get_subject_name(leaf), NID_organizationName)) info["issuer"] = *org;
  if (auto cn = last_name_entry(X509_get_subject_name(leaf), NID_commonName)) info["common_name"] = *cn;
  info["cert_serial_number"] = serial_decimal(leaf);
  if (time_stamp && time_stamp->time) info["time"] = rfc3339(*time_stamp->time, time_stamp->time_fraction);
  return info;
}

nlohmann::json details_of(const ParsedChain& chain, const std::optional<TimeStampOutcome>& time_stamp,
                          const TrustSettings& trust) {
  nlohmann::json details = nlohmann::json::object();
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& cert : chain.certs) {
    certs.push_back(cert ? describe_certificate(cert.get()) : nlohmann::json{{"error", "unparsable certificate"}});
  }
  details["certificate_chain"] = certs;
  details["trust_mode"] = trust.mode() == TrustMode::NoCheck   ? "no_check"
                          : trust.mode() == TrustMode::Anchors ? "anchors"
                                                               : "empty_anchors";
  if (trust.strict()) details["strict"] = true;
  if (time_stamp) {
    nlohmann::json ts = nlohmann::json::object();
    if (time_stamp->time) ts["gen_time"] = rfc3339(*time_stamp->time, time_stamp->time_fraction);
    ts["tsa_subject"] = time_stamp->tsa_subject;
    ts["trusted"] = time_stamp->trusted;
    nlohmann::json tsa = nlohmann::json::array();
    for (const auto& der : time_stamp->tsa_chain) {
      if (auto cert = parse_certificate(der)) tsa.push_back(describe_certificate(cert.get()));
    }
    ts["tsa_certificates"] = tsa;
    details["time_stamp"] = ts;
  }
  return details;
}

// Profile, trust and signature once a certificate and an algorithm are known.
bool verify_with_certificate(const CoseSign1& sign1, SigningAlg alg, const ParsedChain& chain,
                             std::span<const uint8_t> claim, std::optional<int64_t> signing_time,
                             const TrustSettings& trust, StatusLog& log) {
  const X509* leaf = chain.leaf();
  const EkuPolicy ekus = EkuPolicy::claim_signing();
  const bool profile_ok = check_end_entity_profile(leaf, ekus, signing_time, log);
  const auto rest = chain.rest();
  // Strict mode: the validation time is the trusted time-stamp's, else now (RFC 5280 6.1.3 (a)(2)).
  const int64_t when = signing_time ? *signing_time : static_cast<int64_t>(std::time(nullptr));
  if (trust.strict()) {
    if (profile_ok) check_strict_signer_key_usage(leaf, log);  // else the profile already said why
    check_strict_chain(leaf, rest, when, log);
  }
  if (trust.mode() != TrustMode::NoCheck) {
    bool trusted = check_certificate_trust(trust.impl().anchors, ekus, leaf, rest, signing_time);
    std::string path_error;
    if (trusted && trust.strict()) {
      path_error = strict_path_error(trust.impl().anchors, leaf, rest, when);
      trusted = path_error.empty();
    }
    if (trusted) {
      log.success("signingCredential.trusted", "signing certificate trusted, found in System trust anchors");
    } else if (!path_error.empty()) {
      log.failure("signingCredential.untrusted",
                  "signing certificate untrusted: RFC 5280 path validation failed (strict): " + path_error);
    } else {
      log.failure("signingCredential.untrusted", "signing certificate untrusted");
    }
  }
  const std::vector<uint8_t> tbs = sig_structure(sign1, claim);
  if (!verify_raw_signature(alg, sign1.signature, tbs, X509_get0_pubkey(leaf))) return false;
  // c2pa-rs needs an organisation in the signer's subject to call the signature valid.
  return last_name_entry(X509_get_subject_name(leaf), NID_organizationName).has_value();
}

}  // namespace

SignatureResult verify_claim_signature(std::span<const uint8_t> cose_sign1, std::span<const uint8_t> claim,
                                       const TrustSettings& trust) {
  return verify_claim_signature(cose_sign1, claim, trust, detect_claim_version(claim));
}

SignatureResult verify_claim_signature(std::span<const uint8_t> cose_sign1, std::span<const uint8_t> claim,
                                       const TrustSettings& trust, int claim_version) {
  SignatureResult result;
  StatusLog log;
  auto finish = [&]() {
    result.statuses = std::move(log.statuses());
    return std::move(result);
  };

  auto sign1 = parse_cose_sign1(cose_sign1);
  if (!sign1) {
    log.failure(k_mismatch, "could not parse signature");
    return finish();
  }
  const auto chain_ders = certificate_chain(*sign1);
  const ParsedChain chain = chain_ders ? parse_chain(*chain_ders) : ParsedChain{};
  const auto alg = signing_alg(*sign1);
  // v1 claims: c2pa-rs does not ask for the TSA's trust.
  const auto time_stamp = validate_time_stamp(*sign1, claim, trust.impl().anchors, claim_version >= 2, log);
  result.signature_info = signature_info(chain.leaf(), alg, time_stamp);
  result.details = details_of(chain, time_stamp, trust);

  if (!chain.leaf()) {
    // c2pa-rs stops without a status of its own here; a signature without a readable signer
    // cannot be valid.
    log.failure(k_mismatch, k_not_valid);
    return finish();
  }
  if (!alg) {
    log.failure("algorithm.unsupported", "unsupported or missing Cose algorithm");
    log.failure(k_mismatch, k_not_valid);
    return finish();
  }
  const bool ecdsa = *alg == SigningAlg::Es256 || *alg == SigningAlg::Es384 || *alg == SigningAlg::Es512;
  if (ecdsa && ecdsa_signature_is_der(sign1->signature)) {
    log.failure("signingCredential.invalid",
                "unsupported signature format (EC signature should be in P1363 r|s format)");
    log.failure(k_mismatch, k_not_valid);
    return finish();
  }
  const std::optional<int64_t> signing_time =
      time_stamp && time_stamp->trusted ? time_stamp->time : std::optional<int64_t>{};
  if (!verify_with_certificate(*sign1, *alg, chain, claim, signing_time, trust, log)) {
    log.failure(k_mismatch, k_not_valid);
    return finish();
  }
  log.success("claimSignature.insideValidity", "claim signature valid");
  log.success("claimSignature.validated", "claim signature valid");
  result.signature_valid = true;
  return finish();
}

}  // namespace veritrace::cose
