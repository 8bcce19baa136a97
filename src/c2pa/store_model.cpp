#include "c2pa/store_model.hpp"

#include "veritrace/core.hpp"

namespace veritrace::c2pa {

namespace {

constexpr uint32_t kCbor = jumbf::fourcc("cbor");
constexpr uint32_t kJson = jumbf::fourcc("json");
constexpr uint32_t kBfdb = jumbf::fourcc("bfdb");
constexpr uint32_t kBidb = jumbf::fourcc("bidb");
constexpr uint32_t kUuid = jumbf::fourcc("uuid");

std::span<const uint8_t> slice(const std::vector<uint8_t>& b, size_t off, size_t len) {
  return std::span<const uint8_t>(b.data() + off, len);
}

std::span<const uint8_t> payload_of(const std::vector<uint8_t>& b, const jumbf::SuperBox& sb) {
  return slice(b, sb.offset + sb.header_size, sb.size - sb.header_size);
}

const jumbf::ContentBox* first_content(const jumbf::SuperBox& sb, uint32_t type) {
  for (const auto& c : sb.contents) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

AssertionBox read_assertion(const std::vector<uint8_t>& b, const jumbf::SuperBox& sb) {
  AssertionBox a;
  a.label = sb.label;
  a.superbox_payload = payload_of(b, sb);
  std::string kind = jumbf::uuid_fourcc(sb.type);
  if (const auto* c = first_content(sb, kCbor)) {
    a.kind = AssertionKind::Cbor;
    a.content = slice(b, c->payload_offset, c->payload_size);
    try {
      a.cbor = cbor::decode(a.content);
    } catch (const Error&) {
      a.decode_failed = true;
    }
  } else if (const auto* j = first_content(sb, kJson)) {
    a.kind = AssertionKind::Json;
    a.content = slice(b, j->payload_offset, j->payload_size);
  } else if (const auto* d = first_content(sb, kBidb)) {
    a.kind = AssertionKind::EmbeddedFile;
    a.content = slice(b, d->payload_offset, d->payload_size);
    if (const auto* desc = first_content(sb, kBfdb); desc && desc->payload_size > 1) {
      // toggles byte, then a null-terminated media type
      size_t start = desc->payload_offset + 1, end = desc->payload_offset + desc->payload_size;
      size_t p = start;
      while (p < end && b[p] != 0) ++p;
      a.media_type.assign(reinterpret_cast<const char*>(b.data() + start), p - start);
    }
  } else if (const auto* u = first_content(sb, kUuid)) {
    a.kind = AssertionKind::Uuid;
    a.content = slice(b, u->payload_offset, u->payload_size);
  }
  return a;
}

Manifest read_manifest(const std::vector<uint8_t>& b, const jumbf::SuperBox& sb) {
  Manifest m;
  m.label = sb.label;
  m.update_manifest = jumbf::uuid_fourcc(sb.type) == "c2um";
  m.superbox_payload = payload_of(b, sb);
  m.superbox_bytes = slice(b, sb.offset, sb.size);
  const jumbf::SuperBox* claim_box = nullptr;
  for (const auto& child : sb.superboxes) {
    if (child.label == "c2pa.claim.v2") {
      claim_box = &child;
      m.claim_version = 2;
    } else if (child.label == "c2pa.claim" && !claim_box) {
      claim_box = &child;
      m.claim_version = 1;
    } else if (child.label == "c2pa.signature") {
      if (const auto* c = first_content(child, kCbor)) {
        m.signature_bytes = slice(b, c->payload_offset, c->payload_size);
        m.signature_superbox_payload = payload_of(b, child);
        m.has_signature = true;
      }
    } else if (child.label == "c2pa.assertions") {
      for (const auto& a : child.superboxes) m.assertions.push_back(read_assertion(b, a));
    }
  }
  if (!claim_box) {
    m.claim_version = 0;
    m.problem = "manifest has no claim box";
    return m;
  }
  const auto* c = first_content(*claim_box, kCbor);
  if (!c) {
    m.problem = "claim box has no CBOR content";
    return m;
  }
  m.claim_bytes = slice(b, c->payload_offset, c->payload_size);
  try {
    m.claim = cbor::decode(m.claim_bytes);
    if (!m.claim->is_map()) {
      m.claim.reset();
      m.problem = "claim is not a CBOR map";
    }
  } catch (const Error& e) {
    m.problem = std::string("claim CBOR is malformed: ") + e.what();
  }
  return m;
}

}  // namespace

const AssertionBox* Manifest::find_assertion(std::string_view label_with_instance) const {
  for (const auto& a : assertions) {
    if (a.label == label_with_instance) return &a;
  }
  return nullptr;
}

std::string Manifest::claim_alg() const {
  if (claim) {
    if (auto alg = claim->get_text("alg")) return *alg;
  }
  return "sha256";
}

std::optional<HashedUri> hashed_uri_from(const cbor::Value* v) {
  if (!v || !v->untagged().is_map()) return std::nullopt;
  const cbor::Value& m = v->untagged();
  HashedUri h;
  auto url = m.get_text("url");
  if (!url) return std::nullopt;
  h.url = *url;
  h.alg = m.get_text("alg");
  if (const auto* hash = m.get_bytes("hash")) h.hash = *hash;
  return h;
}

std::vector<HashedUri> Manifest::assertion_refs() const {
  std::vector<HashedUri> out;
  if (!claim) return out;
  auto add_list = [&](const char* key) {
    const cbor::Value* list = claim->get(key);
    if (!list || !list->untagged().is_array()) return;
    for (const auto& item : list->untagged().items) {
      if (auto h = hashed_uri_from(&item)) out.push_back(std::move(*h));
    }
  };
  if (claim_version >= 2) {
    add_list("created_assertions");
    add_list("gathered_assertions");
  } else {
    add_list("assertions");
  }
  return out;
}

const Manifest* ManifestStore::find(std::string_view label) const {
  for (const auto& m : manifests) {
    if (m.label == label) return &m;
  }
  return nullptr;
}

ManifestStore parse_store(std::vector<uint8_t> bytes) {
  ManifestStore store;
  store.bytes = std::move(bytes);
  jumbf::SuperBox top = jumbf::parse(store.bytes);
  if (jumbf::uuid_fourcc(top.type) != "c2pa") {
    throw_malformed("JUMBF superbox is not a C2PA manifest store (label '" + top.label + "')");
  }
  for (const auto& sb : top.superboxes) {
    std::string kind = jumbf::uuid_fourcc(sb.type);
    if (kind != "c2ma" && kind != "c2um") continue;
    store.manifests.push_back(read_manifest(store.bytes, sb));
  }
  return store;
}

JumbfUri parse_jumbf_uri(std::string_view uri) {
  JumbfUri out;
  constexpr std::string_view kPrefix = "self#jumbf=";
  if (uri.substr(0, kPrefix.size()) == kPrefix) uri.remove_prefix(kPrefix.size());
  bool absolute = !uri.empty() && uri.front() == '/';
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= uri.size()) {
    size_t next = uri.find('/', pos);
    if (next == std::string_view::npos) next = uri.size();
    if (next > pos) parts.emplace_back(uri.substr(pos, next - pos));
    pos = next + 1;
  }
  if (absolute && !parts.empty() && parts[0] == "c2pa") {
    parts.erase(parts.begin());
    if (!parts.empty()) {
      out.manifest = parts[0];
      parts.erase(parts.begin());
    }
  }
  out.path = std::move(parts);
  return out;
}

std::string manifest_uri(std::string_view manifest_label) {
  return "self#jumbf=/c2pa/" + std::string(manifest_label);
}
std::string assertion_uri(std::string_view manifest_label, std::string_view assertion_label) {
  return manifest_uri(manifest_label) + "/c2pa.assertions/" + std::string(assertion_label);
}
std::string signature_uri(std::string_view manifest_label) { return manifest_uri(manifest_label) + "/c2pa.signature"; }

std::pair<std::string, int> split_instance(std::string_view label) {
  size_t p = label.rfind("__");
  if (p != std::string_view::npos && p + 2 < label.size()) {
    int n = 0;
    bool digits = true;
    for (char c : label.substr(p + 2)) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      n = n * 10 + (c - '0');
      if (n > 1'000'000) break;
    }
    if (digits) return {std::string(label.substr(0, p)), n};
  }
  return {std::string(label), 0};
}

}  // namespace veritrace::c2pa
