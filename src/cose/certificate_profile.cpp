// The C2PA signing-certificate profile, checked the way c2pa-rs 0.90.1 checks it (same order,
// same status codes and explanations). Some deviations from the C2PA text are on purpose, to
// agree with the reference: keyUsage nonRepudiation or keyCertSign counts as good as
// digitalSignature, and only self-signed *CA* certificates are refused.
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "cose/internal.hpp"

namespace veritrace::cose::detail {

bool is_allowed_certificate_signature(int nid) {
  switch (nid) {
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
    case NID_rsassaPss:
    case NID_ED25519:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr const char* k_invalid = "signingCredential.invalid";

bool is_sha2_digest(int nid) { return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512; }

enum class Check { Pass, Fail };

// RSASSA-PSS certificate signatures must name their hash and an MGF1 with that same hash.
Check check_pss_parameters(const X509* cert, StatusLog& log) {
  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(nullptr, &sig_alg, cert);
  const ASN1_OBJECT* oid = nullptr;
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, sig_alg);
  if (param_type != V_ASN1_SEQUENCE) {
    log.failure(k_invalid, "certificate missing algorithm parameters");
    return Check::Fail;
  }
  auto* pss =
      static_cast<RSA_PSS_PARAMS*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), sig_alg->parameter));
  if (!pss) return Check::Fail;
  Check result = Check::Fail;  // absent (defaulted) fields fail silently, as in c2pa-rs
  if (pss->hashAlgorithm && pss->maskGenAlgorithm && pss->maskGenAlgorithm->parameter &&
      pss->maskGenAlgorithm->parameter->type == V_ASN1_SEQUENCE) {
    auto* mask_hash = static_cast<X509_ALGOR*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), pss->maskGenAlgorithm->parameter));
    if (mask_hash) {
      const int hash_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
      if (OBJ_cmp(pss->hashAlgorithm->algorithm, mask_hash->algorithm) != 0) {
        log.failure(k_invalid, "certificate algorithm error");
      } else if (!is_sha2_digest(hash_nid)) {
        log.failure(k_invalid, "certificate hash algorithm not supported");
      } else {
        result = Check::Pass;
      }
      X509_ALGOR_free(mask_hash);
    }
  }
  RSA_PSS_PARAMS_free(pss);
  return result;
}

Check check_public_key(const X509* cert, StatusLog& log) {
  const X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  ASN1_OBJECT* key_oid = nullptr;
  X509_ALGOR* key_alg = nullptr;
  if (!spki || X509_PUBKEY_get0_param(&key_oid, nullptr, nullptr, &key_alg, spki) != 1) return Check::Fail;
  const int key_nid = OBJ_obj2nid(key_oid);
  if (key_nid == NID_X9_62_id_ecPublicKey) {
    int param_type = 0;
    const void* param = nullptr;
    X509_ALGOR_get0(nullptr, &param_type, &param, key_alg);
    if (param_type != V_ASN1_OBJECT) return Check::Fail;
    const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param));
    if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1 && curve != NID_secp521r1) {
      log.failure(k_invalid, "certificate unsupported EC curve");
      return Check::Fail;
    }
  }
  if (key_nid == NID_rsaEncryption || key_nid == NID_rsassaPss) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key) return Check::Fail;
    if (EVP_PKEY_get_bits(key) < 2048) {
      log.failure(k_invalid, "certificate key length too short");
      return Check::Fail;
    }
  }
  return Check::Pass;
}

struct EkuFlags {
  bool present = false;
  bool any = false, server = false, client = false, code = false, email = false, time_stamping = false,
       ocsp = false;
  std::vector<std::string> other;
};

std::optional<EkuFlags> read_eku(const X509* cert) {
  EkuFlags flags;
  int critical = 0;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, &critical, nullptr));
  if (!eku) {
    if (critical == -1) return flags;  // absent
    return std::nullopt;               // duplicated or unparsable
  }
  flags.present = true;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    const ASN1_OBJECT* oid = sk_ASN1_OBJECT_value(eku, i);
    switch (OBJ_obj2nid(oid)) {
      case NID_anyExtendedKeyUsage: flags.any = true; break;
      case NID_server_auth: flags.server = true; break;
      case NID_client_auth: flags.client = true; break;
      case NID_code_sign: flags.code = true; break;
      case NID_email_protect: flags.email = true; break;
      case NID_time_stamp: flags.time_stamping = true; break;
      case NID_OCSP_sign: flags.ocsp = true; break;
      default: {
        char text[128];
        OBJ_obj2txt(text, sizeof text, oid, 1);
        flags.other.emplace_back(text);
      }
    }
  }
  EXTENDED_KEY_USAGE_free(eku);
  return flags;
}

// c2pa-rs always accepts emailProtection, timeStamping and OCSPSigning, then the configured list.
bool has_allowed_eku(const EkuFlags& eku, const EkuPolicy& policy) {
  if (eku.email || eku.time_stamping || eku.ocsp) return true;
  for (const auto& oid : eku.other) {
    if (policy.allowed_oids.contains(oid)) return true;
  }
  return false;
}

bool is_handled_extension(int nid) {
  switch (nid) {
    case NID_authority_key_identifier:
    case NID_subject_key_identifier:
    case NID_key_usage:
    case NID_certificate_policies:
    case NID_policy_mappings:
    case NID_subject_alt_name:
    case NID_basic_constraints:
    case NID_name_constraints:
    case NID_policy_constraints:
    case NID_ext_key_usage:
    case NID_crl_distribution_points:
    case NID_inhibit_any_policy:
    case NID_info_access:
    case NID_netscape_cert_type:
    case NID_crl_number:
    case NID_crl_reason:
    case NID_invalidity_date:
      return true;
    default:
      return false;
  }
}

Check check_extensions(const X509* cert, const EkuPolicy& policy, StatusLog& log) {
  const bool ca = is_ca(cert);
  auto eku = read_eku(cert);
  if (!eku) return Check::Fail;
  bool eku_good = ca;  // a non-CA certificate must carry an EKU
  if (eku->present) {
    if (eku->any) {
      log.failure(k_invalid, "certificate 'any' EKU not allowed");
      return Check::Fail;
    }
    if (!has_allowed_eku(*eku, policy)) {
      log.failure(k_invalid, "certificate missing required EKU");
      return Check::Fail;
    }
    const bool others = eku->client || eku->code || eku->email || eku->server || !eku->other.empty();
    if ((eku->ocsp && eku->time_stamping) || ((eku->ocsp != eku->time_stamping) && others)) {
      log.failure(k_invalid, "certificate invalid set of EKUs");
      return Check::Fail;
    }
    eku_good = true;
  }

  bool aki = false, ski = false, key_usage_good = false, all_critical_handled = true;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid == NID_authority_key_identifier) aki = true;
    if (nid == NID_subject_key_identifier) ski = true;
    if (nid == NID_key_usage) {
      auto* usage = static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(ext));
      if (!usage) {
        if (X509_EXTENSION_get_critical(ext)) all_critical_handled = false;
        continue;
      }
      const bool digital_signature = ASN1_BIT_STRING_get_bit(usage, 0) != 0;
      const bool non_repudiation = ASN1_BIT_STRING_get_bit(usage, 1) != 0;
      const bool key_cert_sign = ASN1_BIT_STRING_get_bit(usage, 5) != 0;
      ASN1_BIT_STRING_free(usage);
      if (digital_signature && key_cert_sign && !ca) {
        log.failure(k_invalid, "certificate missing digitalSignature EKU");
        return Check::Fail;
      }
      if (digital_signature || key_cert_sign || non_repudiation) key_usage_good = true;
    } else if (!is_handled_extension(nid) && X509_EXTENSION_get_critical(ext)) {
      all_critical_handled = false;
    }
  }
  if (!ca) ski = true;  // only CAs need a subject key identifier
  if (aki && ski && key_usage_good && eku_good && all_critical_handled) return Check::Pass;
  log.failure(k_invalid, "certificate params incorrect");
  return Check::Fail;
}

bool check_certificate_profile(const X509* cert, const EkuPolicy& ekus, std::optional<int64_t> signing_time,
                               StatusLog& log) {
  if (X509_get_version(cert) != X509_VERSION_3) {
    log.failure(k_invalid, "certificate version incorrect");
    return false;
  }
  const int64_t when = signing_time ? *signing_time : static_cast<int64_t>(std::time(nullptr));
  if (!valid_at(cert, when)) {
    log.failure("signingCredential.expired", "certificate expired");
    return false;
  }
  const int sig_nid = X509_get_signature_nid(cert);
  if (!is_allowed_certificate_signature(sig_nid)) {
    log.failure(k_invalid, "certificate algorithm not supported");
    return false;
  }
  if (sig_nid == NID_rsassaPss && check_pss_parameters(cert, log) == Check::Fail) return false;
  if (check_public_key(cert, log) == Check::Fail) return false;
  if (is_ca(cert) && X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(cert)) == 0) {
    log.failure(k_invalid, "certificate issuer and subject cannot be the same (self-signed disallowed)");
    return false;
  }
  const ASN1_BIT_STRING* issuer_uid = nullptr;
  const ASN1_BIT_STRING* subject_uid = nullptr;
  X509_get0_uids(cert, &issuer_uid, &subject_uid);
  if (issuer_uid || subject_uid) {
    log.failure(k_invalid, "certificate issuer/subject unique ids are not allowed");
    return false;
  }
  return check_extensions(cert, ekus, log) == Check::Pass;
}

}  // namespace

EkuPolicy EkuPolicy::claim_signing() {
  // c2pa-rs valid_eku_oids.cfg: emailProtection, documentSigning, timeStamping, OCSPSigning,
  // MS C2PA signing, C2PA signing.
  return EkuPolicy{{"1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36", "1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.9",
                    "1.3.6.1.4.1.311.76.59.1.9", "1.3.6.1.4.1.62558.2.1"}};
}

bool has_allowed_eku(const X509* cert, const EkuPolicy& ekus) {
  auto eku = read_eku(cert);
  return eku && eku->present && has_allowed_eku(*eku, ekus);
}

EkuPolicy EkuPolicy::time_stamping() { return EkuPolicy{{"1.3.6.1.5.5.7.3.8"}}; }

bool check_end_entity_profile(const X509* cert, const EkuPolicy& ekus, std::optional<int64_t> signing_time,
                              StatusLog& log) {
  if (!check_certificate_profile(cert, ekus, signing_time, log)) return false;
  if (is_ca(cert)) {
    log.failure(k_invalid, "expected end-entity certificate");
    return false;
  }
  return true;
}

}  // namespace veritrace::cose::detail
