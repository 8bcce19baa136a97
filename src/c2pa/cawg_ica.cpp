// sig_type "cawg.identity_claims_aggregation": an identity claims aggregation credential (W3C VC
// 2.0 JSON) carried as the attached payload of a COSE_Sign1, as c2pa-rs 0.90.1's
// IcaSignatureVerifier checks it:
//   fatal (no credential): COSE structure, algorithm (EdDSA only), payload, VC grammar;
//   logged, then continued: content type, issuer signature (did:jwk resolved locally; did:web
//   would need the network, which we never use: cawg.ica.did_unavailable), time-stamp,
//   validFrom / validUntil, c2paAsset == signer_payload. "ICA credential is valid" only when
//   none of these failed.
#include <openssl/evp.h>

#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "c2pa/cawg_internal.hpp"
#include "cose/internal.hpp"

namespace veritrace::c2pa::cawg {

namespace {

using nlohmann::json;
using namespace cose::detail;

// ---- Small parsers -----------------------------------------------------------------------------

// A point in time with nanoseconds, for comparisons.
struct Instant {
  int64_t seconds = 0;
  int64_t nanos = 0;
  bool operator<(const Instant& o) const { return seconds != o.seconds ? seconds < o.seconds : nanos < o.nanos; }
};

Instant now_instant() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {ns / 1000000000, ns % 1000000000};
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// RFC 3339 date-time (chrono's relaxed form: 'T', 't' or ' ' between date and time).
std::optional<Instant> parse_rfc3339(const std::string& s) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1]) return std::nullopt;
  bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month == 2 && *day == 29 && !leap) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
                 *hour * 3600 + *minute * 60 + std::min(*second, 59) - offset;
  return Instant{secs, nanos};
}

// iref's IRI / URI grammar, roughly: a scheme, then no spaces, controls or forbidden characters.
bool valid_iri(const std::string& s, bool ascii_only) {
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c == 0x7f) return false;
    if (ascii_only && c >= 0x80) return false;
    if (c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|' || c == '\\' || c == '^' || c == '`') {
      return false;
    }
  }
  return true;
}

bool is_uri(const json& j) { return j.is_string() && valid_iri(j.get<std::string>(), true); }
bool is_nonempty_string(const json& j) { return j.is_string() && !j.get<std::string>().empty(); }

// Option<T> with serde(default): absent or null is None.
const json* optional_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// serde_bytes from JSON: a string gives its UTF-8, an array its numbers.
std::optional<std::vector<uint8_t>> json_bytes(const json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return std::vector<uint8_t>(s.begin(), s.end());
  }
  if (!j.is_array()) return std::nullopt;
  std::vector<uint8_t> out;
  for (const auto& e : j) {
    if (!e.is_number_unsigned() || e.get<uint64_t>() > 255) return std::nullopt;
    out.push_back(static_cast<uint8_t>(e.get<uint64_t>()));
  }
  return out;
}

std::optional<SignerPayload> json_signer_payload(const json& j) {
  if (!j.is_object()) return std::nullopt;
  SignerPayload sp;
  auto refs = j.find("referenced_assertions");
  if (refs == j.end() || !refs->is_array()) return std::nullopt;
  for (const auto& r : *refs) {
    if (!r.is_object()) return std::nullopt;
    HashedUri h;
    auto url = r.find("url");
    if (url == r.end() || !url->is_string()) return std::nullopt;
    h.url = url->get<std::string>();
    if (const json* alg = optional_field(r, "alg")) {
      if (!alg->is_string()) return std::nullopt;
      h.alg = alg->get<std::string>();
    }
    auto hash = r.find("hash");
    if (hash == r.end()) return std::nullopt;
    auto bytes = json_bytes(*hash);
    if (!bytes) return std::nullopt;
    // c2pa-rs then reads these bytes as base64 text.
    std::string text(bytes->begin(), bytes->end());
    auto decoded = base64_decode_strict(text, false, Base64Padding::Canonical);
    if (!decoded) {
      const std::string fallback = "invalid base64";
      decoded = std::vector<uint8_t>(fallback.begin(), fallback.end());
    }
    h.hash = std::move(*decoded);
    sp.referenced_assertions.push_back(std::move(h));
  }
  auto sig_type = j.find("sig_type");
  if (sig_type == j.end() || !sig_type->is_string()) return std::nullopt;
  sp.sig_type = sig_type->get<std::string>();
  if (auto roles = j.find("role"); roles != j.end()) {
    if (!roles->is_array()) return std::nullopt;
    for (const auto& r : *roles) {
      if (!r.is_string()) return std::nullopt;
      sp.roles.push_back(r.get<std::string>());
    }
  }
  return sp;
}

bool valid_verified_identity(const json& j) {
  if (!j.is_object()) return false;
  auto type = j.find("type");
  if (type == j.end() || !is_nonempty_string(*type)) return false;
  for (const char* k : {"name", "username", "address"}) {
    if (const json* v = optional_field(j, k); v && !is_nonempty_string(*v)) return false;
  }
  if (const json* uri = optional_field(j, "uri"); uri && !is_uri(*uri)) return false;
  auto at = j.find("verifiedAt");
  if (at == j.end() || !at->is_string() || !parse_rfc3339(at->get<std::string>())) return false;
  auto provider = j.find("provider");
  if (provider == j.end() || !provider->is_object()) return false;
  auto pid = provider->find("id");
  auto pname = provider->find("name");
  return pid != provider->end() && is_uri(*pid) && pname != provider->end() && is_nonempty_string(*pname);
}

struct IcaCredential {
  std::string issuer;
  std::optional<Instant> valid_from, valid_until;
  SignerPayload c2pa_asset;  // of the first credential subject
};

// CredentialV2<IdentityClaimsAggregationVc> as serde reads it; nullopt on any grammar error.
std::optional<IcaCredential> parse_credential(std::span<const uint8_t> payload) {
  json j = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  IcaCredential vc;
  auto contexts = j.find("@context");
  if (contexts == j.end() || !contexts->is_array() || contexts->empty()) return std::nullopt;
  for (const auto& c : *contexts) {
    if (!c.is_string() || !valid_iri(c.get<std::string>(), false)) return std::nullopt;
  }
  if (auto id = j.find("id"); id != j.end() && !is_uri(*id)) return std::nullopt;
  auto types = j.find("type");
  if (types == j.end() || !types->is_array() || types->empty()) return std::nullopt;
  for (const auto& t : *types) {
    if (!t.is_string()) return std::nullopt;
  }
  auto subjects = j.find("credentialSubject");
  if (subjects == j.end()) return std::nullopt;
  std::vector<const json*> subject_list;
  if (subjects->is_object()) {
    subject_list.push_back(&*subjects);
  } else if (subjects->is_array() && !subjects->empty()) {
    for (const auto& s : *subjects) subject_list.push_back(&s);
  } else {
    return std::nullopt;
  }
  bool first = true;
  for (const json* s : subject_list) {
    if (!s->is_object()) return std::nullopt;
    auto ids = s->find("verifiedIdentities");
    if (ids == s->end() || !ids->is_array() || ids->empty()) return std::nullopt;
    for (const auto& vi : *ids) {
      if (!valid_verified_identity(vi)) return std::nullopt;
    }
    auto asset = s->find("c2paAsset");
    if (asset == s->end()) return std::nullopt;
    auto sp = json_signer_payload(*asset);
    if (!sp) return std::nullopt;
    if (first) vc.c2pa_asset = std::move(*sp);
    first = false;
  }
  auto issuer = j.find("issuer");
  if (issuer == j.end() || !is_uri(*issuer)) return std::nullopt;
  vc.issuer = issuer->get<std::string>();
  for (auto [key, slot] : {std::pair{"validFrom", &vc.valid_from}, std::pair{"validUntil", &vc.valid_until}}) {
    if (const json* v = optional_field(j, key)) {
      if (!v->is_string()) return std::nullopt;
      *slot = parse_rfc3339(v->get<std::string>());
      if (!*slot) return std::nullopt;
    }
  }
  return vc;
}

// ---- Issuer key and signature ------------------------------------------------------------------

enum class IssuerError { None, UnsupportedDid, DidUnavailable, InvalidDidDocument, SignatureMismatch };

// c2pa-rs's DID grammar check: ^did:[a-z0-9]+:[A-Za-z0-9/.%#?_-]+ (a prefix match).
bool did_syntax_ok(const std::string& s) {
  if (s.rfind("did:", 0) != 0) return false;
  size_t i = 4;
  size_t start = i;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) ++i;
  if (i == start || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (i >= s.size()) return false;
  char c = s[i];
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
         c == '%' || c == '#' || c == '?' || c == '_' || c == '-';
}

// The JWK c2pa-rs accepts: kty "OKP" with crv and x (base64url), optional typed members.
std::optional<std::pair<std::string, std::vector<uint8_t>>> parse_okp_jwk(std::span<const uint8_t> bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto b64url = [](const json& v) {
    return v.is_string() ? base64_decode_strict(v.get<std::string>(), true, Base64Padding::Indifferent) : std::nullopt;
  };
  for (const char* k : {"use", "kid", "x5u"}) {
    if (const json* v = optional_field(j, k); v && !v->is_string()) return std::nullopt;
  }
  for (const char* k : {"key_ops", "x5c"}) {
    if (const json* v = optional_field(j, k)) {
      if (!v->is_array()) return std::nullopt;
      for (const auto& e : *v) {
        if (!e.is_string()) return std::nullopt;
      }
    }
  }
  if (const json* alg = optional_field(j, "alg"); alg && !(*alg == "EdDSA" || *alg == "None")) return std::nullopt;
  for (const char* k : {"x5t", "x5t#S256", "d"}) {
    if (const json* v = optional_field(j, k); v && !b64url(*v)) return std::nullopt;
  }
  auto kty = j.find("kty");
  if (kty == j.end() || *kty != "OKP") return std::nullopt;
  auto crv = j.find("crv");
  auto x = j.find("x");
  if (crv == j.end() || !crv->is_string() || x == j.end()) return std::nullopt;
  auto key = b64url(*x);
  if (!key) return std::nullopt;
  return std::pair{crv->get<std::string>(), std::move(*key)};
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

bool ed25519_verify(std::span<const uint8_t> public_key, std::span<const uint8_t> sig, std::span<const uint8_t> tbs) {
  if (public_key.size() != 32 || sig.size() != 64) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), tbs.data(), tbs.size()) == 1;
}

IssuerError check_issuer_signature(const CoseSign1& sign1, std::span<const uint8_t> payload, const std::string& issuer) {
  if (!did_syntax_ok(issuer)) return IssuerError::UnsupportedDid;
  const std::string primary = issuer.substr(0, issuer.find('#'));
  const size_t sep = primary.find(':', 4);
  if (sep == std::string::npos) return IssuerError::UnsupportedDid;
  const std::string method = primary.substr(4, sep - 4);
  const std::string method_id = primary.substr(sep + 1);
  std::string curve;
  std::vector<uint8_t> key;
  if (method == "jwk") {
    auto jwk_bytes = base64_decode_strict(method_id, true, Base64Padding::Canonical);
    if (!jwk_bytes) return IssuerError::InvalidDidDocument;
    auto jwk = parse_okp_jwk(*jwk_bytes);
    if (!jwk) return IssuerError::InvalidDidDocument;
    curve = std::move(jwk->first);
    key = std::move(jwk->second);
  } else if (method == "web") {
    // Resolving did:web means fetching https://<domain>/.well-known/did.json: never done here.
    return IssuerError::DidUnavailable;
  } else {
    return IssuerError::UnsupportedDid;
  }
  if (curve != "Ed25519") return IssuerError::InvalidDidDocument;
  const std::vector<uint8_t> tbs = sig_structure(sign1, payload);
  return ed25519_verify(key, sign1.signature, tbs) ? IssuerError::None : IssuerError::SignatureMismatch;
}

// ---- The verifier ------------------------------------------------------------------------------

void cross_check(const IcaCredential& vc, const SignerPayload& signer_payload, Sink& sink, bool& ok) {
  // c2pa-rs fills a missing alg from the VC's entry at the same position (pairs only: zip).
  SignerPayload sp = signer_payload;
  const auto& vc_refs = vc.c2pa_asset.referenced_assertions;
  std::vector<HashedUri> zipped;
  for (size_t i = 0; i < sp.referenced_assertions.size() && i < vc_refs.size(); ++i) {
    HashedUri h = sp.referenced_assertions[i];
    if (!h.alg) h.alg = vc_refs[i].alg;
    zipped.push_back(std::move(h));
  }
  sp.referenced_assertions = std::move(zipped);
  if (!same_signer_payload(sp, vc.c2pa_asset)) {
    ok = false;
    sink.failure("cawg.ica.signer_payload.mismatch", "c2paAsset does not match signer_payload");
  }
}

}  // namespace

bool verify_ica(const SignerPayload& payload, std::span<const uint8_t> signature, Sink& sink) {
  auto sign1 = parse_cose_sign1(signature);
  std::optional<cbor::Value> raw;
  if (sign1) {
    try {
      raw = cbor::decode(signature);
    } catch (const std::exception&) {
      sign1.reset();
    }
  }
  const cbor::Value* items = raw ? &raw->untagged() : nullptr;
  if (!sign1 || !items || !items->is_array() || items->items.size() != 4) {
    sink.failure("cawg.ica.invalid_cose_sign1", "Invalid COSE_Sign1 data structure");
    return false;
  }

  const cbor::Value* alg = sign1->protected_header.get_int(1);
  if (!alg) {
    sink.failure("cawg.ica.invalid_alg", "Missing COSE_Sign1 signature algorithm");
    return false;
  }
  if (alg->as_int64() != std::optional<int64_t>(-8)) {
    sink.failure("cawg.ica.invalid_alg", "Invalid COSE_Sign1 signature algorithm");
    return false;
  }

  bool ok = true;
  const cbor::Value* cty = sign1->protected_header.get_int(3);
  if (!cty || !cty->is_text() || cty->text != "application/vc") {
    sink.failure("cawg.ica.invalid_content_type", "Invalid COSE_Sign1 content type header");
    ok = false;
  }

  const cbor::Value& payload_item = items->items[2].untagged();
  if (!payload_item.is_bytes()) {
    sink.failure("cawg.ica.invalid_verifiable_credential", "Missing COSE_Sign1 payload");
    return false;
  }
  const std::vector<uint8_t>& vc_bytes = payload_item.bytes;

  auto vc = parse_credential(vc_bytes);
  if (!vc) {
    sink.failure("cawg.ica.invalid_verifiable_credential", "Invalid JSON-LD for verifiable credential");
    return false;
  }

  switch (check_issuer_signature(*sign1, vc_bytes, vc->issuer)) {
    case IssuerError::None: break;
    case IssuerError::UnsupportedDid:
      ok = false;
      sink.failure("cawg.ica.invalid_issuer", "Invalid issuer DID");
      break;
    case IssuerError::DidUnavailable:
      ok = false;
      sink.failure("cawg.ica.did_unavailable", "Unable to resolve issuer DID");
      break;
    case IssuerError::InvalidDidDocument:
      ok = false;
      sink.failure("cawg.ica.invalid_did_document", "Invalid issuer DID document");
      break;
    case IssuerError::SignatureMismatch:
      ok = false;
      sink.failure("cawg.ica.signature_mismatch", "Signature does not match credential");
      break;
  }

  // Time-stamp of the credential's COSE (checked with a pass-through trust policy).
  std::optional<Instant> tst_time;
  {
    StatusLog ts_log;
    const Anchors no_anchors;
    auto outcome = validate_time_stamp(*sign1, vc_bytes, no_anchors, false, ts_log);
    auto has = [&](const char* code) {
      for (const auto& s : ts_log.statuses()) {
        if (s.code == code) return true;
      }
      return false;
    };
    if (outcome && outcome->time) {
      tst_time = Instant{*outcome->time, 0};
      sink.success("cawg.ica.time_stamp.validated", "Time stamp validated");
    } else if (outcome) {
      if (has("timeStamp.malformed") || has("timeStamp.mismatch")) {
        ok = false;
        sink.failure("cawg.ica.time_stamp.invalid", "Time stamp does not match credential");
      } else if (has("timeStamp.validated") && has("timeStamp.trusted")) {
        ok = true;  // as c2pa-rs does: this resets earlier failures
      } else if (!ts_log.statuses().empty()) {
        ok = false;
        sink.failure("cawg.ica.time_stamp.invalid", "Unable to process time stamp");
      }
    }
  }

  const Instant now = now_instant();
  if (!vc->valid_from) {
    ok = false;
    sink.failure("cawg.ica.valid_from.missing", "credential does not have a validFrom date");
  } else if (now < *vc->valid_from) {
    ok = false;
    sink.failure("cawg.ica.valid_from.invalid",
                 "credential's validFrom date is unacceptable (validFrom is after current date/time)");
  } else if (tst_time && *tst_time < *vc->valid_from) {
    ok = false;
    sink.failure("cawg.ica.valid_from.invalid",
                 "credential's validFrom date is unacceptable (validFrom is after CAWG signature time stamp)");
  }
  if (vc->valid_until) {
    if (*vc->valid_until < now) {
      ok = false;
      sink.failure("cawg.ica.valid_until.invalid",
                   "credential's validUntil date is unacceptable (validUntil is before current date/time)");
    } else if (tst_time && *vc->valid_until < *tst_time) {
      ok = false;
      sink.failure("cawg.ica.valid_until.invalid",
                   "credential's validUntil date is unacceptable (validUntil is before CAWG signature time stamp)");
    }
  }

  cross_check(*vc, payload, sink, ok);

  if (ok) sink.success("cawg.ica.credential_valid", "ICA credential is valid");
  return true;
}

}  // namespace veritrace::c2pa::cawg
