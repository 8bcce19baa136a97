// RFC 3161 time-stamps in the COSE unprotected header (sigTst: TimeStampResp over the claim;
// sigTst2: TimeStampToken over the signature), verified in the order c2pa-rs 0.90.1 uses, with
// its informational timeStamp.* statuses.
#include <openssl/err.h>
#include <openssl/ts.h>

#include <algorithm>

#include "cose/internal.hpp"

namespace veritrace::cose::detail {
namespace {

constexpr const char* k_malformed = "timeStamp.malformed";
constexpr const char* k_untrusted = "timeStamp.untrusted";
constexpr const char* k_mismatch = "timeStamp.mismatch";

struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, OpenSslDeleter<TS_TST_INFO_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, OpenSslDeleter<TS_RESP_free>>;

CmsPtr cms_from_der(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  return CmsPtr(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

// A sigTst value is a TimeStampResp (status must be granted); a sigTst2 value is the token.
CmsPtr signed_data_from_token(std::span<const uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  const unsigned char* p = bytes.data();
  TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(bytes.size())));
  CmsPtr cms;
  if (response) {
    const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get())));
    PKCS7* token = TS_RESP_get_token(response.get());
    if ((status != 0 && status != 1) || !token) return nullptr;
    int len = i2d_PKCS7(token, nullptr);
    if (len <= 0) return nullptr;
    std::vector<uint8_t> der(static_cast<size_t>(len));
    unsigned char* out = der.data();
    i2d_PKCS7(token, &out);
    cms = cms_from_der(der);
  } else {
    cms = cms_from_der(bytes);
  }
  ERR_clear_error();
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return nullptr;
  return cms;
}

const EVP_MD* digest_from_oid(const ASN1_OBJECT* oid) {
  switch (OBJ_obj2nid(oid)) {
    case NID_sha1: return EVP_sha1();
    case NID_sha256: return EVP_sha256();
    case NID_sha384: return EVP_sha384();
    case NID_sha512: return EVP_sha512();
    default: return nullptr;
  }
}

std::vector<uint8_t> digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
  out.resize(len);
  return out;
}

bool equals(const ASN1_OCTET_STRING* octets, const std::vector<uint8_t>& bytes) {
  return octets && static_cast<size_t>(ASN1_STRING_length(octets)) == bytes.size() &&
         std::equal(bytes.begin(), bytes.end(), ASN1_STRING_get0_data(octets));
}

std::span<const uint8_t> encapsulated_content(CMS_ContentInfo* cms) {
  ASN1_OCTET_STRING** content = CMS_get0_content(cms);
  if (!content || !*content) return {};
  return {ASN1_STRING_get0_data(*content), static_cast<size_t>(ASN1_STRING_length(*content))};
}

TstInfoPtr tst_info_of(CMS_ContentInfo* cms) {
  if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_id_smime_ct_TSTInfo) return nullptr;
  auto content = encapsulated_content(cms);
  if (content.empty()) return nullptr;
  const unsigned char* p = content.data();
  return TstInfoPtr(d2i_TS_TST_INFO(nullptr, &p, static_cast<long>(content.size())));
}

// Fractional seconds as chrono prints them (groups of 3 digits, none when zero).
std::string fraction_digits(const ASN1_GENERALIZEDTIME* time) {
  std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(time)),
                   static_cast<size_t>(ASN1_STRING_length(time)));
  auto dot = text.find_first_of(".,");
  if (dot == std::string::npos) return {};
  std::string digits;
  for (size_t i = dot + 1; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    digits += text[i];
  }
  digits = digits.substr(0, 9);
  if (digits.find_first_not_of('0') == std::string::npos) return {};
  while (digits.size() % 3 != 0) digits += '0';
  while (digits.size() > 3 && digits.ends_with("000")) digits.resize(digits.size() - 3);
  return digits;
}

const X509_ATTRIBUTE* signed_attribute(CMS_SignerInfo* signer, int nid) {
  int index = CMS_signed_get_attr_by_NID(signer, nid, -1);
  return index < 0 ? nullptr : CMS_signed_get_attr(signer, index);
}

// The signed signingTime attribute, when there is exactly one; c2pa-rs prefers it to genTime.
std::optional<int64_t> signed_signing_time(CMS_SignerInfo* signer) {
  const X509_ATTRIBUTE* attr = signed_attribute(signer, NID_pkcs9_signingTime);
  if (!attr || X509_ATTRIBUTE_count(attr) != 1) return std::nullopt;
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(const_cast<X509_ATTRIBUTE*>(attr), 0);
  if (!value || (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) return std::nullopt;
  return asn1_time_to_epoch(value->type == V_ASN1_UTCTIME ? value->value.utctime : value->value.generalizedtime);
}

enum class Step { Ok, Skip };

// The messageDigest attribute must match the encapsulated TSTInfo.
Step check_message_digest_attribute(CMS_SignerInfo* signer, CMS_ContentInfo* cms, StatusLog& log) {
  const X509_ATTRIBUTE* attr = signed_attribute(signer, NID_pkcs9_messageDigest);
  if (!attr) {
    log.informational(k_malformed, "timestamp no message digest");
    return Step::Skip;
  }
  if (X509_ATTRIBUTE_count(attr) != 1) {
    log.informational(k_malformed, "timestamp response contained multiple message digests");
    return Step::Skip;
  }
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(const_cast<X509_ATTRIBUTE*>(attr), 0);
  if (!value || value->type != V_ASN1_OCTET_STRING) {
    log.informational(k_malformed, "timestamp could not decode signed message data");
    return Step::Skip;
  }
  X509_ALGOR* digest_alg = nullptr;
  CMS_SignerInfo_get0_algs(signer, nullptr, nullptr, &digest_alg, nullptr);
  const EVP_MD* md = digest_alg ? digest_from_oid(digest_alg->algorithm) : nullptr;
  if (!md) {
    log.informational(k_malformed, "timestamp bad message digest algorithm");
    return Step::Skip;
  }
  if (!equals(value->value.octet_string, digest(md, encapsulated_content(cms)))) {
    log.informational(k_mismatch, "timestamp bad message digest");
    return Step::Skip;
  }
  return Step::Ok;
}

// The token's certificates from the signer up, following issuer names.
std::vector<X509*> order_leaf_to_root(STACK_OF(X509) * certs, X509* signer_cert) {
  std::vector<X509*> ordered{signer_cert};
  std::vector<bool> used(static_cast<size_t>(sk_X509_num(certs)), false);
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    if (sk_X509_value(certs, i) == signer_cert) used[static_cast<size_t>(i)] = true;
  }
  for (bool found = true; found;) {
    found = false;
    for (int i = 0; i < sk_X509_num(certs); ++i) {
      X509* next = sk_X509_value(certs, i);
      if (used[static_cast<size_t>(i)]) continue;
      if (X509_NAME_cmp(X509_get_issuer_name(ordered.back()), X509_get_subject_name(next)) == 0) {
        ordered.push_back(next);
        used[static_cast<size_t>(i)] = true;
        found = true;
        break;
      }
    }
  }
  return ordered;
}

std::string all_common_names(const X509* cert) {
  std::string names;
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    if (len >= 0) names.append(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return names;
}

struct TokenContext {
  CMS_ContentInfo* cms;
  STACK_OF(X509) * certs;
  std::span<const uint8_t> message;  // what the token's imprint must hash
  const Anchors& anchors;
  bool verify_trust;
};

// One SignerInfo, in c2pa-rs's order. Fills `outcome` as far as the signer gets.
Step verify_signer(const TokenContext& token, CMS_SignerInfo* signer, TimeStampOutcome& outcome, StatusLog& log) {
  X509* cert = nullptr;
  for (int i = 0; i < sk_X509_num(token.certs) && !cert; ++i) {
    if (CMS_SignerInfo_cert_cmp(signer, sk_X509_value(token.certs, i)) == 0) cert = sk_X509_value(token.certs, i);
  }
  if (!cert) return Step::Skip;
  const std::string common_name = all_common_names(cert);

  TstInfoPtr tst = tst_info_of(token.cms);
  if (!tst) {
    log.informational(k_malformed, "timestamp response had no TstInfo");
    return Step::Skip;
  }
  const ASN1_GENERALIZEDTIME* gen_time = TS_TST_INFO_get_time(tst.get());
  auto signing_time = asn1_time_to_epoch(gen_time);
  std::string fraction = gen_time ? fraction_digits(gen_time) : std::string();
  if (!signing_time) {
    log.informational(k_malformed, "timestamp response had no TstInfo");
    return Step::Skip;
  }
  if (CMS_signed_get_attr_count(signer) >= 0) {
    if (auto signed_time = signed_signing_time(signer)) {
      signing_time = signed_time;
      fraction.clear();
    }
    if (check_message_digest_attribute(signer, token.cms, log) == Step::Skip) return Step::Skip;
  }
  if (CMS_SignerInfo_set1_signer_cert(signer, cert); CMS_SignerInfo_verify(signer) != 1) {
    ERR_clear_error();
    log.informational(k_untrusted, "timestamp signed data did not match signature");
    return Step::Skip;
  }
  if (!valid_at(cert, *signing_time)) {
    log.informational("timeStamp.outsideValidity", "timestamp signer outside of certificate validity");
    return Step::Skip;
  }
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst.get());
  const EVP_MD* md = digest_from_oid(TS_MSG_IMPRINT_get_algo(imprint)->algorithm);
  if (!md) {
    log.informational(k_untrusted, "timestamp unknown message digest algorithm");
    return Step::Skip;
  }
  if (!equals(TS_MSG_IMPRINT_get_msg(imprint), digest(md, token.message))) {
    log.informational(k_mismatch, "timestamp message digest did not match: " + common_name);
    return Step::Skip;
  }
  log.success("timeStamp.validated", "timestamp message digest matched: " + common_name);
  if (!outcome.time) {
    outcome.time = signing_time;
    outcome.time_fraction = fraction;
    outcome.tsa_subject = name_to_text(X509_get_subject_name(cert));
  }

  if (token.verify_trust) {
    std::vector<X509*> ordered = order_leaf_to_root(token.certs, cert);
    std::vector<const X509*> rest(ordered.begin() + 1, ordered.end());
    const EkuPolicy ekus = EkuPolicy::time_stamping();
    if (!check_end_entity_profile(cert, ekus, signing_time, log) ||
        !check_certificate_trust(token.anchors, ekus, cert, rest, signing_time)) {
      log.informational(k_untrusted, "timestamp cert untrusted: " + common_name);
      return Step::Skip;
    }
  }
  log.success("timeStamp.trusted", "timestamp cert trusted: " + common_name);
  outcome.trusted = true;
  outcome.time = signing_time;
  outcome.time_fraction = fraction;
  return Step::Ok;
}

void verify_token(std::span<const uint8_t> token_bytes, std::span<const uint8_t> message, const Anchors& anchors,
                  bool verify_trust, TimeStampOutcome& outcome, StatusLog& log) {
  CmsPtr cms = signed_data_from_token(token_bytes);
  if (!cms) {
    log.informational(k_malformed, "could not parse timestamp data");
    return;
  }
  CertStackPtr certs(CMS_get1_certs(cms.get()));
  if (!certs) {
    log.informational(k_untrusted, "could not parse timestamp data");
    return;
  }
  for (int i = 0; i < sk_X509_num(certs.get()); ++i) outcome.tsa_chain.push_back(certificate_der(sk_X509_value(certs.get(), i)));

  TokenContext context{cms.get(), certs.get(), message, anchors, verify_trust};
  STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms.get());
  StatusLog signer_log;  // only the last signer's statuses are kept, as in c2pa-rs
  for (int i = 0; i < sk_CMS_SignerInfo_num(signers); ++i) {
    signer_log = StatusLog();
    if (verify_signer(context, sk_CMS_SignerInfo_value(signers, i), outcome, signer_log) == Step::Ok) break;
  }
  log.append(signer_log);
}

const cbor::Value* time_stamp_header(const CoseSign1& sign1, bool& is_v2) {
  const cbor::Value& map = sign1.unprotected_header;
  for (size_t i = 0; i < map.map_size(); ++i) {
    const cbor::Value& key = map.map_key(i);
    if (!key.is_text()) continue;
    if (key.text == "sigTst2" || key.text == "sigTst") {
      is_v2 = key.text == "sigTst2";
      return &map.map_value(i);
    }
  }
  return nullptr;
}

// {"tstTokens": [{"val": bstr}, ...]}; nullopt when the container does not have that shape.
std::optional<std::vector<std::vector<uint8_t>>> tokens_of(const cbor::Value& container) {
  const cbor::Value* tokens = container.get("tstTokens");
  if (!tokens || !tokens->untagged().is_array()) return std::nullopt;
  std::vector<std::vector<uint8_t>> values;
  for (const auto& token : tokens->untagged().items) {
    const std::vector<uint8_t>* val = token.get_bytes("val");
    if (!val) return std::nullopt;
    values.push_back(*val);
  }
  return values;
}

}  // namespace

std::optional<TimeStampOutcome> validate_time_stamp(const CoseSign1& sign1, std::span<const uint8_t> claim,
                                                    const Anchors& anchors, bool verify_trust, StatusLog& log) {
  bool is_v2 = false;
  const cbor::Value* header = time_stamp_header(sign1, is_v2);
  if (!header) return std::nullopt;
  TimeStampOutcome outcome;
  auto tokens = tokens_of(*header);
  if (!tokens) return outcome;
  if (tokens->size() > 1) {
    log.informational(k_malformed, "only a single timestamp response is allowed in a manifest");
    return outcome;
  }
  // sigTst covers the claim; sigTst2 covers the signature bytes (as a CBOR bstr).
  std::vector<uint8_t> covered = is_v2 ? cbor::encode(cbor::Value::from_bytes(sign1.signature))
                                       : std::vector<uint8_t>(claim.begin(), claim.end());
  const std::vector<uint8_t> message = countersign_structure(sign1, covered);
  for (const auto& token : *tokens) verify_token(token, message, anchors, verify_trust, outcome, log);
  return outcome;
}

}  // namespace veritrace::cose::detail
