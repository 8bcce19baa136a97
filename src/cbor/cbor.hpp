// A small CBOR (RFC 8949) codec for C2PA claims, assertions and COSE structures.
// Why our own and not libcbor or nlohmann's CBOR reader: COSE needs integer map keys and tags,
// which nlohmann::json cannot represent; validation needs decoding that never allocates more
// than the input justifies (length claims are bounded by the bytes left), and signing needs
// deterministic (preferred-form) encoding. The codec is ~400 lines and fuzzed (fuzz/fuzz_cbor.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace veritrace::cbor {

enum class Type : uint8_t { Unsigned, Negative, Bytes, Text, Array, Map, Tag, Bool, Null, Undefined, Simple, Float };

struct Value {
  Type type = Type::Null;
  // Unsigned: the value. Negative: n, where the value is -1 - n. Tag: the tag number.
  // Simple: the simple value. Bool: 0 or 1.
  uint64_t uint = 0;
  double real = 0;                // Float
  std::string text;               // Text
  std::vector<uint8_t> bytes;     // Bytes
  std::vector<Value> items;       // Array: elements. Map: key, value, key, value... Tag: one item.

  static Value from_uint(uint64_t v);
  static Value from_int(int64_t v);
  static Value from_text(std::string s);
  static Value from_bytes(std::vector<uint8_t> b);
  static Value from_bool(bool b);
  static Value make_array();
  static Value make_map();
  static Value make_tag(uint64_t tag, Value content);

  bool is_text() const { return type == Type::Text; }
  bool is_bytes() const { return type == Type::Bytes; }
  bool is_map() const { return type == Type::Map; }
  bool is_array() const { return type == Type::Array; }
  bool is_integer() const { return type == Type::Unsigned || type == Type::Negative; }
  // Tags are skipped by the accessors below (C2PA wraps some values in tags).
  const Value& untagged() const;

  size_t map_size() const { return items.size() / 2; }
  const Value& map_key(size_t i) const { return items[2 * i]; }
  const Value& map_value(size_t i) const { return items[2 * i + 1]; }
  // Map lookup; nullptr if this is not a map or the key is absent.
  const Value* get(std::string_view key) const;
  const Value* get_int(int64_t key) const;
  // Typed lookups; nullopt when absent or of another type.
  std::optional<std::string> get_text(std::string_view key) const;
  std::optional<int64_t> get_integer(std::string_view key) const;
  const std::vector<uint8_t>* get_bytes(std::string_view key) const;
  std::optional<int64_t> as_int64() const;

  // Builders for maps.
  Value& set(std::string key, Value v);
  Value& set_int(int64_t key, Value v);
  Value& push(Value v);
};

struct DecodeLimits {
  size_t max_depth = 64;
};

// Decodes exactly one item filling the whole buffer. Throws veritrace::Error(Malformed).
Value decode(std::span<const uint8_t> data, const DecodeLimits& limits = {});
// Decodes one item at the start of the buffer; sets consumed to its length.
Value decode_prefix(std::span<const uint8_t> data, size_t& consumed, const DecodeLimits& limits = {});

// Preferred serialisation: shortest heads, definite lengths, map order as stored.
std::vector<uint8_t> encode(const Value& v);
void encode_to(const Value& v, std::vector<uint8_t>& out);

// JSON view for reports: byte strings become base64 text (or arrays of numbers when
// bytes_as_array), tags are dropped, non-text map keys become their decimal text.
nlohmann::json to_json(const Value& v, bool bytes_as_array = false);
// The reverse, for building assertions from JSON definitions (no byte strings are produced).
Value from_json(const nlohmann::json& j);

}  // namespace veritrace::cbor
