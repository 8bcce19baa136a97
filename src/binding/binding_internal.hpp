// Shared pieces of the hard-binding checks: the failure signal, CBOR field readers, and
// c2pa-rs-compatible hashing of a file with exclusions (and BMFF v2 box offsets). Internal.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "binding/hard_binding.hpp"
#include "binding/hash_plan.hpp"
#include "core/hash.hpp"

namespace veritrace::binding::detail {

// Thrown inside a check to end it with a status; caught by check_hard_binding.
struct BindingFailure {
  std::string code;
  std::string explanation;
};
[[noreturn]] void fail(const std::string& code, const std::string& explanation);

// Typed CBOR fields. `required_*` fail with `malformed_code` when absent or of the wrong type.
const cbor::Value* field(const cbor::Value& map, std::string_view key);
std::optional<uint64_t> optional_uint(const cbor::Value& map, std::string_view key, const std::string& malformed_code);
std::optional<std::string> optional_text(const cbor::Value& map, std::string_view key, const std::string& malformed_code);
const std::vector<uint8_t>* optional_bytes(const cbor::Value& map, std::string_view key, const std::string& malformed_code);
const std::vector<cbor::Value>* optional_array(const cbor::Value& map, std::string_view key,
                                               const std::string& malformed_code);

// The hash algorithm named in an assertion, or `fallback`; unknown names fail with `code`.
HashAlg algorithm(const std::optional<std::string>& name, const std::string& fallback, const std::string& code);

// Hash of the source minus `exclusions`, as c2pa-rs computes it: exclusions may overlap and
// come in any order; zero-length ones are ignored; each of `box_offsets` (BMFF v2+: top-level
// boxes not wholly excluded) adds its 64-bit big-endian offset to the hash where that box
// starts. Fails with `mismatch_code` when the data is empty or an exclusion runs past the end.
std::vector<uint8_t> hash_with_exclusions(HashAlg alg, const ByteSource& src, const std::vector<ByteRange>& exclusions,
                                          std::vector<uint64_t> box_offsets, const std::string& mismatch_code);

// The steps of that hash (ranges and offset markers, in order), without hashing.
std::vector<HashStep> hash_steps(uint64_t size, const std::vector<ByteRange>& exclusions,
                                 std::vector<uint64_t> box_offsets, const std::string& mismatch_code);

// Hash of one range of the source.
std::vector<uint8_t> hash_range(HashAlg alg, const ByteSource& src, ByteRange range);

std::string hex_prefix(const std::vector<uint8_t>& bytes);

}  // namespace veritrace::binding::detail
