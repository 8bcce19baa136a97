#include "binding/binding_internal.hpp"

#include <algorithm>

#include "core/encoding.hpp"

namespace veritrace::binding::detail {

void fail(const std::string& code, const std::string& explanation) { throw BindingFailure{code, explanation}; }

const cbor::Value* field(const cbor::Value& map, std::string_view key) {
  const cbor::Value* v = map.get(key);
  if (v == nullptr) return nullptr;
  const cbor::Value& value = v->untagged();
  return value.type == cbor::Type::Null ? nullptr : &value;
}

std::optional<uint64_t> optional_uint(const cbor::Value& map, std::string_view key, const std::string& malformed_code) {
  const cbor::Value* v = field(map, key);
  if (v == nullptr) return std::nullopt;
  if (v->type != cbor::Type::Unsigned) fail(malformed_code, "'" + std::string(key) + "' is not an unsigned integer");
  return v->uint;
}

std::optional<std::string> optional_text(const cbor::Value& map, std::string_view key, const std::string& malformed_code) {
  const cbor::Value* v = field(map, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_text()) fail(malformed_code, "'" + std::string(key) + "' is not text");
  return v->text;
}

const std::vector<uint8_t>* optional_bytes(const cbor::Value& map, std::string_view key,
                                           const std::string& malformed_code) {
  const cbor::Value* v = field(map, key);
  if (v == nullptr) return nullptr;
  if (!v->is_bytes()) fail(malformed_code, "'" + std::string(key) + "' is not a byte string");
  return &v->bytes;
}

const std::vector<cbor::Value>* optional_array(const cbor::Value& map, std::string_view key,
                                               const std::string& malformed_code) {
  const cbor::Value* v = field(map, key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) fail(malformed_code, "'" + std::string(key) + "' is not an array");
  return &v->items;
}

HashAlg algorithm(const std::optional<std::string>& name, const std::string& fallback, const std::string& code) {
  const std::string& chosen = name ? *name : fallback;
  auto alg = hash_alg_from_name(chosen);
  if (!alg) fail(code, "unsupported hash algorithm '" + chosen + "'");
  return *alg;
}

namespace {

// Inclusive byte ranges, as c2pa-rs builds them; a one-byte range starting at a box offset
// stands for that offset's eight bytes.
struct Inclusive {
  uint64_t first;
  uint64_t last;
  bool contains(uint64_t x) const { return x >= first && x <= last; }
};

// [0, size-1] minus the exclusions, sorted and disjoint.
std::vector<Inclusive> included_ranges(uint64_t size, std::vector<ByteRange> exclusions) {
  std::sort(exclusions.begin(), exclusions.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  std::vector<Inclusive> out;
  uint64_t pos = 0;  // first byte not yet decided
  for (const auto& ex : exclusions) {
    if (ex.length == 0) continue;
    if (ex.offset > pos) out.push_back({pos, ex.offset - 1});
    pos = std::max(pos, ex.end());
  }
  if (pos < size) out.push_back({pos, size - 1});
  return out;
}

// Splits the included ranges at each box offset and inserts the offset markers where c2pa-rs
// does (see hash_stream_by_alg in c2pa-rs's hash_utils.rs).
std::vector<Inclusive> with_offset_markers(const std::vector<Inclusive>& ranges, const std::vector<uint64_t>& offsets,
                                           uint64_t size) {
  std::vector<Inclusive> out;
  for (Inclusive current : ranges) {
    for (uint64_t os : offsets) {
      if (!current.contains(os)) continue;
      if (current.first != os) {
        out.push_back({current.first, os - 1});
        current.first = os;
      }
      out.push_back({os, os});
    }
    out.push_back(current);
  }
  // Boxes wholly inside an excluded stretch between included data still get their offset hashed.
  uint64_t before_all = out.empty() ? 0 : out.front().first;
  uint64_t after_all = out.empty() ? size - 1 : out.back().last;
  std::vector<Inclusive> extra;
  for (uint64_t os : offsets) {
    bool covered = std::any_of(out.begin(), out.end(), [&](const Inclusive& r) { return r.contains(os); });
    if (!covered && os > before_all && os < after_all) extra.push_back({os, os});
  }
  out.insert(out.end(), extra.begin(), extra.end());
  std::stable_sort(out.begin(), out.end(), [](const Inclusive& a, const Inclusive& b) { return a.first < b.first; });
  return out;
}

}  // namespace

std::vector<HashStep> hash_steps(uint64_t size, const std::vector<ByteRange>& exclusions,
                                 std::vector<uint64_t> box_offsets, const std::string& mismatch_code) {
  if (size == 0) fail(mismatch_code, "no data to hash");
  for (const auto& ex : exclusions) {
    if (ex.offset > size || ex.length > size - ex.offset) {
      fail(mismatch_code, "exclusion [" + std::to_string(ex.offset) + ", +" + std::to_string(ex.length) +
                              ") runs past the end of the asset (" + std::to_string(size) + " bytes)");
    }
  }
  std::sort(box_offsets.begin(), box_offsets.end());
  for (uint64_t os : box_offsets) {
    if (os >= size) fail(mismatch_code, "box offset past the end of the asset");
  }
  auto ranges = included_ranges(size, exclusions);
  if (!box_offsets.empty()) ranges = with_offset_markers(ranges, box_offsets, size);
  std::vector<HashStep> steps;
  steps.reserve(ranges.size());
  for (const auto& r : ranges) {
    bool marker = r.first == r.last && std::binary_search(box_offsets.begin(), box_offsets.end(), r.first);
    steps.push_back({marker, r.first, r.last});
  }
  return steps;
}

std::vector<uint8_t> hash_with_exclusions(HashAlg alg, const ByteSource& src, const std::vector<ByteRange>& exclusions,
                                          std::vector<uint64_t> box_offsets, const std::string& mismatch_code) {
  Hasher hasher(alg);
  for (const auto& step : hash_steps(src.size(), exclusions, std::move(box_offsets), mismatch_code)) {
    if (step.marker) {
      uint8_t be[8];
      for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(step.first >> (56 - 8 * i));
      hasher.update(be);
      continue;
    }
    hasher.update_from(src, step.first, step.last - step.first + 1);
  }
  return hasher.finish();
}

std::vector<uint8_t> hash_range(HashAlg alg, const ByteSource& src, ByteRange range) {
  Hasher hasher(alg);
  hasher.update_from(src, range.offset, range.length);
  return hasher.finish();
}

std::string hex_prefix(const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> head(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(bytes.size(), 8)));
  return hex_encode(head) + (bytes.size() > 8 ? "..." : "");
}

}  // namespace veritrace::binding::detail
