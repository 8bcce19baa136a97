// Dispatch of the hard-binding checks, and c2pa.hash.data / c2pa.hash.boxes.
#include "binding/hard_binding.hpp"

#include "binding/binding_internal.hpp"
#include "binding/bmff_hash.hpp"

namespace veritrace::binding {

namespace {

using detail::fail;

constexpr const char* kDataMatch = "assertion.dataHash.match";
constexpr const char* kDataMismatch = "assertion.dataHash.mismatch";
constexpr const char* kDataMalformed = "assertion.dataHash.malformed";
constexpr const char* kBoxesMatch = "assertion.boxesHash.match";
constexpr const char* kBoxesMismatch = "assertion.boxesHash.mismatch";
constexpr const char* kBoxesUnknownBox = "assertion.boxesHash.unknownBox";
constexpr const char* kBmffMismatch = "assertion.bmffHash.mismatch";
constexpr const char* kBmffMalformed = "assertion.bmffHash.malformed";

std::string default_alg(const std::optional<std::string>& claim_alg) { return claim_alg ? *claim_alg : "sha256"; }

// c2pa.hash.data: one hash over the whole asset minus the exclusion ranges.
BindingStatus check_data_hash(const cbor::Value& assertion, const ByteSource& src,
                              const std::optional<std::string>& claim_alg) {
  if (!assertion.untagged().is_map()) fail(kDataMalformed, "data hash assertion is not a map");
  std::string name = detail::optional_text(assertion, "name", kDataMalformed).value_or("unnamed");
  if (detail::field(assertion, "url") != nullptr) fail(kDataMismatch, "remote data hash URIs are not supported");
  const auto* expected = detail::optional_bytes(assertion, "hash", kDataMalformed);
  if (expected == nullptr) fail(kDataMalformed, "data hash has no 'hash'");
  HashAlg alg = detail::algorithm(detail::optional_text(assertion, "alg", kDataMalformed), default_alg(claim_alg),
                                  kDataMismatch);

  std::vector<ByteRange> exclusions;
  if (const auto* list = detail::optional_array(assertion, "exclusions", kDataMalformed)) {
    for (const auto& item : *list) {
      if (!item.untagged().is_map()) fail(kDataMalformed, "exclusion is not a map");
      auto start = detail::optional_uint(item, "start", kDataMalformed);
      auto length = detail::optional_uint(item, "length", kDataMalformed);
      if (!start || !length) fail(kDataMalformed, "exclusion without start or length");
      if (*start > UINT64_MAX - *length) fail(kDataMismatch, "exclusion range overflows");
      exclusions.push_back({*start, *length});
    }
  }
  auto computed = detail::hash_with_exclusions(alg, src, exclusions, {}, kDataMismatch);
  if (computed != *expected) {
    fail(kDataMismatch, "asset hash error, name: " + name + ", error: hashes do not match (computed " +
                            detail::hex_prefix(computed) + ", expected " + detail::hex_prefix(*expected) + ")");
  }
  return {true, kDataMatch, "data hash valid"};
}

struct BoxHashEntry {
  std::vector<std::string> names;
  std::optional<std::string> alg;
  const std::vector<uint8_t>* hash = nullptr;
  bool excluded = false;
};

std::vector<BoxHashEntry> parse_box_hash(const cbor::Value& assertion) {
  if (!assertion.untagged().is_map()) fail(kBoxesMismatch, "box hash assertion is not a map");
  const auto* boxes = detail::optional_array(assertion, "boxes", kBoxesMismatch);
  if (boxes == nullptr || boxes->empty()) fail(kBoxesMismatch, "no box hash found");
  std::vector<BoxHashEntry> entries;
  for (const auto& item : *boxes) {
    if (!item.untagged().is_map()) fail(kBoxesMismatch, "box hash entry is not a map");
    BoxHashEntry entry;
    const auto* names = detail::optional_array(item, "names", kBoxesMismatch);
    if (names == nullptr || names->empty()) fail(kBoxesMismatch, "box hash entry without names");
    for (const auto& n : *names) {
      if (!n.untagged().is_text()) fail(kBoxesMismatch, "box name is not text");
      entry.names.push_back(n.untagged().text);
    }
    entry.alg = detail::optional_text(item, "alg", kBoxesMismatch);
    entry.hash = detail::optional_bytes(item, "hash", kBoxesMismatch);
    if (entry.hash == nullptr) fail(kBoxesMismatch, "box hash entry without hash");
    if (const auto* excluded = detail::field(item, "excluded")) entry.excluded = excluded->type == cbor::Type::Bool && excluded->uint;
    entries.push_back(std::move(entry));
  }
  return entries;
}

// c2pa.hash.boxes: each entry names consecutive pieces of the box map; its hash covers them.
BindingStatus check_box_hash(const cbor::Value& assertion, const ByteSource& src, formats::Format format,
                             const std::optional<std::string>& claim_alg) {
  auto entries = parse_box_hash(assertion);
  std::vector<formats::NamedRange> map;
  try {
    map = formats::box_map(src, format);
  } catch (const Error& e) {
    fail(kBoxesMismatch, std::string("cannot split the asset into boxes: ") + e.what());
  }
  if (map.empty()) fail(kBoxesMismatch, "no data boxes found");
  size_t next = 0;
  // A PNG signature piece the signer did not list is skipped, as c2pa-rs does.
  if (map[0].name == "PNGh" && entries[0].names[0] != "PNGh") next = 1;

  for (const auto& entry : entries) {
    std::optional<ByteRange> covered;
    bool is_c2pa = false;
    for (const auto& name : entry.names) {
      if (next >= map.size() || map[next].name != name) {
        fail(kBoxesMismatch, std::string(kBoxesUnknownBox) + ": box '" + name + "' is not where the hash expects it" +
                                 (next < map.size() ? " (found '" + map[next].name + "')" : " (end of asset)"));
      }
      const ByteRange& piece = map[next].range;
      if (!covered) {
        covered = piece;
        if (name == "C2PA") {
          if (entry.names.size() != 1) fail(kBoxesMismatch, "malformed C2PA box hash");
          is_c2pa = true;
        }
      } else {
        covered->length = piece.end() - covered->offset;
      }
      ++next;
    }
    if (is_c2pa || entry.excluded) continue;
    HashAlg alg = detail::algorithm(entry.alg, default_alg(claim_alg), kBoxesMismatch);
    if (covered->end() > src.size()) fail(kBoxesMismatch, "box runs past the end of the asset");
    if (detail::hash_range(alg, src, *covered) != *entry.hash) {
      fail(kBoxesMismatch, "hashes do not match for box '" + entry.names.front() + "'");
    }
  }
  return {true, kBoxesMatch, "boxes hash valid"};
}

std::string mismatch_code_for(const std::string& label) {
  if (label == "c2pa.hash.data") return kDataMismatch;
  if (label == "c2pa.hash.boxes") return kBoxesMismatch;
  return kBmffMismatch;
}

}  // namespace

bool is_hard_binding_label(const std::string& label) {
  return label == "c2pa.hash.data" || label == "c2pa.hash.boxes" || label == "c2pa.hash.bmff" ||
         label == "c2pa.hash.bmff.v2" || label == "c2pa.hash.bmff.v3";
}

BindingStatus check_hard_binding(const std::string& label, const cbor::Value& assertion, const ByteSource& src,
                                 formats::Format format, const formats::C2paCarrier& carrier,
                                 const std::optional<std::string>& claim_alg) {
  (void)carrier;  // the hashes name their own exclusions; the carrier only matters to callers' reports
  try {
    if (label == "c2pa.hash.data") return check_data_hash(assertion, src, claim_alg);
    if (label == "c2pa.hash.boxes") return check_box_hash(assertion, src, format, claim_alg);
    if (label == "c2pa.hash.bmff" || label == "c2pa.hash.bmff.v2" || label == "c2pa.hash.bmff.v3") {
      int version = label == "c2pa.hash.bmff" ? 1 : label.back() - '0';
      return detail::check_bmff_hash(assertion, version, src, claim_alg);
    }
    return {false, kBmffMalformed, "not a hard-binding assertion: " + label};
  } catch (const detail::BindingFailure& failure) {
    return {false, failure.code, failure.explanation};
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Internal) throw;
    return {false, mismatch_code_for(label), std::string("asset cannot be hashed: ") + e.what()};
  }
}

std::vector<uint8_t> compute_bmff_hash(const cbor::Value& assertion, int version, const ByteSource& src, HashAlg alg) {
  try {
    return detail::compute_bmff_hash(assertion, version, src, alg);
  } catch (const detail::BindingFailure& f) {
    throw Error(ErrorKind::Malformed, "BMFF hash: " + f.explanation);
  }
}

}  // namespace veritrace::binding
