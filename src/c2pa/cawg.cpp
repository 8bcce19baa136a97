// CAWG identity assertions, validated as c2pa-rs 0.90.1 does when it loads a manifest
// (Manifest::from_store with decode_identity_assertions on, the default):
//  * the assertion is decoded as c2pa-rs decodes it (CBOR -> JSON -> IdentityAssertion); when
//    that fails the whole manifest fails to load: assertion.required.missing, "Failed to load
//    manifest", at the manifest's URI;
//  * padding, the referenced assertions against the claim, hard binding, duplicates;
//  * the signature, by sig_type (cawg_x509.cpp, cawg_ica.cpp).
// Statuses carry the assertion's URI built from its base label (c2pa-rs uses the label without
// the "__N" suffix), and belong to the active manifest's list even for ingredient manifests,
// since c2pa-rs logs them while loading every manifest, outside any ingredient context.
#include "c2pa/cawg.hpp"

#include <algorithm>
#include <set>

#include "c2pa/cawg_internal.hpp"

namespace veritrace::c2pa {

namespace cawg {

void Sink::add(StatusKind kind, std::string code, std::string explanation, std::string url) {
  LogEntry e;
  e.kind = kind;
  e.code = std::move(code);
  e.url = url.empty() ? current_uri_ : std::move(url);
  e.explanation = std::move(explanation);
  entries_.push_back(std::move(e));
}

bool same_hashed_uri(const HashedUri& a, const HashedUri& b) {
  return a.url == b.url && a.alg == b.alg && a.hash == b.hash;
}

bool same_signer_payload(const SignerPayload& a, const SignerPayload& b) {
  if (a.sig_type != b.sig_type || a.roles != b.roles) return false;
  if (a.referenced_assertions.size() != b.referenced_assertions.size()) return false;
  for (size_t i = 0; i < a.referenced_assertions.size(); ++i) {
    if (!same_hashed_uri(a.referenced_assertions[i], b.referenced_assertions[i])) return false;
  }
  return true;
}

std::vector<uint8_t> serialize_signer_payload(const SignerPayload& payload) {
  cbor::Value refs = cbor::Value::make_array();
  for (const auto& r : payload.referenced_assertions) {
    cbor::Value h = cbor::Value::make_map();
    h.set("url", cbor::Value::from_text(r.url));
    if (r.alg) h.set("alg", cbor::Value::from_text(*r.alg));
    h.set("hash", cbor::Value::from_bytes(r.hash));
    refs.push(std::move(h));
  }
  cbor::Value sp = cbor::Value::make_map();
  sp.set("referenced_assertions", std::move(refs));
  sp.set("sig_type", cbor::Value::from_text(payload.sig_type));
  if (!payload.roles.empty()) {
    cbor::Value roles = cbor::Value::make_array();
    for (const auto& r : payload.roles) roles.push(cbor::Value::from_text(r));
    sp.set("role", std::move(roles));
  }
  return cbor::encode(sp);
}

}  // namespace cawg

namespace {

using cawg::SignerPayload;
using cawg::Sink;

// ---- Decoding as c2pa-rs does: CBOR transcoded to JSON, then serde into its structs --------------

// serde_json only takes map keys it can write as JSON strings.
bool transcodable(const cbor::Value& v, int depth = 0) {
  if (depth > 128) return false;
  const cbor::Value& u = v.untagged();
  if (u.is_array()) {
    return std::all_of(u.items.begin(), u.items.end(), [&](const cbor::Value& e) { return transcodable(e, depth + 1); });
  }
  if (u.is_map()) {
    for (size_t i = 0; i < u.map_size(); ++i) {
      const cbor::Value& k = u.map_key(i).untagged();
      bool key_ok = k.is_text() || k.is_integer() || k.type == cbor::Type::Bool || k.type == cbor::Type::Float;
      if (!key_ok || !transcodable(u.map_value(i), depth + 1)) return false;
    }
  }
  return true;
}

// A struct field: the last value under a text key (JSON objects keep the last duplicate).
const cbor::Value* field(const cbor::Value& map, std::string_view key) {
  const cbor::Value* found = nullptr;
  for (size_t i = 0; i < map.map_size(); ++i) {
    const cbor::Value& k = map.map_key(i).untagged();
    if (k.is_text() && k.text == key) found = &map.map_value(i).untagged();
  }
  return found;
}

bool is_null(const cbor::Value& v) { return v.type == cbor::Type::Null || v.type == cbor::Type::Undefined; }

// serde_bytes from JSON: a byte string became an array of numbers; a string gives its UTF-8.
std::optional<std::vector<uint8_t>> as_bytes(const cbor::Value& v) {
  if (v.is_bytes()) return v.bytes;
  if (v.is_text()) return std::vector<uint8_t>(v.text.begin(), v.text.end());
  if (v.is_array()) {
    std::vector<uint8_t> out;
    out.reserve(v.items.size());
    for (const auto& e : v.items) {
      const cbor::Value& u = e.untagged();
      if (u.type != cbor::Type::Unsigned || u.uint > 255) return std::nullopt;
      out.push_back(static_cast<uint8_t>(u.uint));
    }
    return out;
  }
  return std::nullopt;
}

std::optional<HashedUri> decode_hashed_uri(const cbor::Value& v) {
  if (!v.is_map()) return std::nullopt;
  HashedUri h;
  const cbor::Value* url = field(v, "url");
  if (!url || !url->is_text()) return std::nullopt;
  h.url = url->text;
  if (const cbor::Value* alg = field(v, "alg"); alg && !is_null(*alg)) {
    if (!alg->is_text()) return std::nullopt;
    h.alg = alg->text;
  }
  const cbor::Value* hash = field(v, "hash");
  if (!hash) return std::nullopt;
  auto bytes = as_bytes(*hash);
  if (!bytes) return std::nullopt;
  h.hash = std::move(*bytes);
  return h;
}

std::optional<SignerPayload> decode_signer_payload(const cbor::Value& v) {
  if (!v.is_map()) return std::nullopt;
  SignerPayload sp;
  const cbor::Value* refs = field(v, "referenced_assertions");
  if (!refs || !refs->is_array()) return std::nullopt;
  for (const auto& r : refs->items) {
    auto h = decode_hashed_uri(r.untagged());
    if (!h) return std::nullopt;
    sp.referenced_assertions.push_back(std::move(*h));
  }
  const cbor::Value* sig_type = field(v, "sig_type");
  if (!sig_type || !sig_type->is_text()) return std::nullopt;
  sp.sig_type = sig_type->text;
  if (const cbor::Value* roles = field(v, "role")) {
    if (!roles->is_array()) return std::nullopt;
    for (const auto& r : roles->items) {
      if (!r.untagged().is_text()) return std::nullopt;
      sp.roles.push_back(r.untagged().text);
    }
  }
  return sp;
}

struct IdentityAssertion {
  SignerPayload signer_payload;
  std::vector<uint8_t> signature;
  std::vector<uint8_t> pad1;
  std::optional<std::vector<uint8_t>> pad2;
};

std::optional<IdentityAssertion> decode_identity_assertion(const cbor::Value& root) {
  if (!transcodable(root)) return std::nullopt;
  const cbor::Value& v = root.untagged();
  if (!v.is_map()) return std::nullopt;
  IdentityAssertion ia;
  const cbor::Value* sp = field(v, "signer_payload");
  if (!sp) return std::nullopt;
  auto payload = decode_signer_payload(*sp);
  if (!payload) return std::nullopt;
  ia.signer_payload = std::move(*payload);
  const cbor::Value* sig = field(v, "signature");
  const cbor::Value* pad1 = field(v, "pad1");
  if (!sig || !pad1) return std::nullopt;
  auto sig_bytes = as_bytes(*sig);
  auto pad1_bytes = as_bytes(*pad1);
  if (!sig_bytes || !pad1_bytes) return std::nullopt;
  ia.signature = std::move(*sig_bytes);
  ia.pad1 = std::move(*pad1_bytes);
  if (const cbor::Value* pad2 = field(v, "pad2"); pad2 && !is_null(*pad2)) {
    auto pad2_bytes = as_bytes(*pad2);
    if (!pad2_bytes) return std::nullopt;
    ia.pad2 = std::move(*pad2_bytes);
  }
  return ia;
}

// The assertion's value as c2pa-rs reads it (CBOR, or JSON for a JSON assertion box).
std::optional<cbor::Value> assertion_value(const AssertionBox& box) {
  if (box.kind == AssertionKind::Cbor) {
    if (box.decode_failed || !box.cbor) return std::nullopt;
    return *box.cbor;
  }
  if (box.kind == AssertionKind::Json) {
    auto j = nlohmann::json::parse(box.content.begin(), box.content.end(), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    try {
      return cbor::from_json(j);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// ---- Checks ------------------------------------------------------------------------------------

bool all_zero(const std::vector<uint8_t>& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

void check_padding(const IdentityAssertion& ia, Sink& sink) {
  if (!all_zero(ia.pad1) || (ia.pad2 && !all_zero(*ia.pad2))) {
    sink.failure("cawg.identity.pad.invalid", "invalid value in pad fields");
  }
}

// c2pa-rs strips the first "/c2pa/<manifest>/" of a claim's absolute assertion URL before
// comparing it with a referenced assertion's URL.
std::string strip_manifest_part(const std::string& url) {
  size_t from = 0;
  while (true) {
    size_t pos = url.find("/c2pa/", from);
    if (pos == std::string::npos) return url;
    size_t start = pos + 6;
    size_t end = start;
    while (end < url.size() && url[end] != '/') ++end;
    if (end > start && end < url.size()) return url.substr(0, pos) + url.substr(end + 1);
    from = pos + 1;
  }
}

// Returns false when c2pa-rs stops silently (a referenced assertion whose hash differs from the
// claim's: an error that is returned, not logged).
bool check_against_claim(const SignerPayload& sp, const std::vector<HashedUri>& claim_refs, Sink& sink) {
  for (const auto& ra : sp.referenced_assertions) {
    auto it = std::find_if(claim_refs.begin(), claim_refs.end(), [&](const HashedUri& a) {
      return a.url == ra.url || strip_manifest_part(a.url) == ra.url;
    });
    if (it == claim_refs.end()) {
      sink.failure("cawg.identity.assertion.mismatch", "referenced assertion not in claim");
    } else if (it->hash != ra.hash) {
      return false;
    }
  }
  bool hard_binding = std::any_of(sp.referenced_assertions.begin(), sp.referenced_assertions.end(), [](const HashedUri& ra) {
    size_t slash = ra.url.rfind('/');
    return slash != std::string::npos && ra.url.compare(slash + 1, 10, "c2pa.hash.") == 0;
  });
  if (!hard_binding) sink.failure("cawg.identity.hard_binding_missing", "no hard binding assertion");
  std::set<std::string> seen;
  for (const auto& ra : sp.referenced_assertions) {
    if (!seen.insert(ra.url).second) {
      sink.failure("cawg.identity.assertion.duplicate", "multiple references to same assertion");
    }
  }
  return true;
}

// One identity assertion. Returns false when the manifest fails to load (c2pa-rs then stops
// reading the manifest's remaining assertions).
bool validate_one(const Manifest& m, const AssertionBox& box, const std::vector<HashedUri>& claim_refs, Sink& sink) {
  std::optional<IdentityAssertion> ia;
  if (auto value = assertion_value(box)) ia = decode_identity_assertion(*value);
  if (!ia) {
    sink.failure("assertion.required.missing", "Failed to load manifest", manifest_uri(m.label));
    return false;
  }
  check_padding(*ia, sink);
  if (!check_against_claim(ia->signer_payload, claim_refs, sink)) return true;
  const std::string& sig_type = ia->signer_payload.sig_type;
  if (sig_type == "cawg.x509.cose") {
    if (cawg::verify_x509(ia->signer_payload, ia->signature, sink)) {
      sink.success("cawg.identity.well-formed", "CAWG X.509 identity signature valid");
    }
  } else if (sig_type == "cawg.identity_claims_aggregation") {
    if (cawg::verify_ica(ia->signer_payload, ia->signature, sink)) {
      sink.success("cawg.ica.credential_valid", "CAWG identity_claims_aggregation signature valid");
    }
  }
  // Other signature types: c2pa-rs returns an error without logging anything.
  return true;
}

bool is_identity_label(const std::string& label) { return split_instance(label).first == "cawg.identity"; }

// The validator may reach the same manifest through several ingredients; c2pa-rs loads each
// manifest once. A block of statuses already in the log (same order, same codes and URLs,
// active-manifest context) is not added again.
bool already_logged(const ValidationLog& log, const std::vector<LogEntry>& block) {
  const auto& entries = log.entries();
  if (block.empty() || entries.size() < block.size()) return block.empty();
  for (size_t start = 0; start + block.size() <= entries.size(); ++start) {
    bool same = true;
    for (size_t i = 0; i < block.size() && same; ++i) {
      const LogEntry& a = entries[start + i];
      const LogEntry& b = block[i];
      same = a.kind == b.kind && a.code == b.code && a.url == b.url && a.ingredient_uri.empty() &&
             a.explanation == b.explanation;
    }
    if (same) return true;
  }
  return false;
}

void validate_manifest_identities(const Manifest& m, ValidationLog& log) {
  Sink sink(manifest_uri(m.label));
  std::vector<HashedUri> claim_refs = m.assertion_refs();
  std::set<std::string> done;
  // In the claim's order, only assertions the claim references (as c2pa-rs loads them).
  for (const auto& ref : claim_refs) {
    auto uri = parse_jumbf_uri(ref.url);
    if (uri.manifest && *uri.manifest != m.label) continue;
    if (uri.path.empty()) continue;
    const std::string& label = uri.path.back();
    if (!is_identity_label(label) || !done.insert(label).second) continue;
    const AssertionBox* box = m.find_assertion(label);
    if (!box) continue;
    sink.set_current_uri(assertion_uri(m.label, split_instance(label).first));
    if (!validate_one(m, *box, claim_refs, sink)) break;
  }
  if (already_logged(log, sink.entries())) return;
  for (const auto& e : sink.entries()) log.entries().push_back(e);
}

}  // namespace

void validate_cawg_identity(const ManifestStore& store, const Manifest& m, const AssertionBox& assertion,
                            const cose::TrustSettings& trust, ValidationLog& log) {
  (void)store;
  // CAWG trust is separate from C2PA trust: c2pa-rs checks the X.509 signer against its own
  // (default, empty) CAWG trust settings, whatever anchors were given for C2PA.
  (void)trust;
  // The validator calls us for each identity assertion of a manifest; the manifest's identity
  // assertions are all handled on the first call, in claim order.
  auto first = std::find_if(m.assertions.begin(), m.assertions.end(),
                            [](const AssertionBox& a) { return is_identity_label(a.label); });
  if (first == m.assertions.end() || &*first != &assertion) return;
  try {
    validate_manifest_identities(m, log);
  } catch (const std::exception& e) {
    log.entries().push_back(LogEntry{StatusKind::Failure, "assertion.required.missing", manifest_uri(m.label),
                                     std::string("Failed to load manifest: ") + e.what(), ""});
  }
}

}  // namespace veritrace::c2pa
