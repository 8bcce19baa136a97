// Small helpers shared by the container parsers: bounds-checked reads of big/little-endian
// integers from a ByteSource, and four-character codes. Internal to src/formats.
#pragma once
#include <array>
#include <optional>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::formats::detail {

// Largest manifest store (or XMP packet) we agree to read into memory.
inline constexpr uint64_t kMaxStoreBytes = uint64_t{1} << 30;
inline constexpr uint64_t kMaxXmpBytes = uint64_t{16} << 20;

constexpr uint32_t fourcc(const char (&s)[5]) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) | (uint32_t(uint8_t(s[2])) << 8) |
         uint32_t(uint8_t(s[3]));
}
std::string fourcc_string(uint32_t code);

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint64_t be64(const uint8_t* p) { return (uint64_t(be32(p)) << 32) | be32(p + 4); }
inline uint32_t le32(const uint8_t* p) {
  return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}
inline uint64_t le64(const uint8_t* p) { return (uint64_t(le32(p + 4)) << 32) | le32(p); }

[[noreturn]] void malformed(const ByteSource& src, const std::string& context, const std::string& message);

// True when [offset, offset+length) lies inside the source (overflow-safe).
inline bool fits(const ByteSource& src, uint64_t offset, uint64_t length) {
  return offset <= src.size() && length <= src.size() - offset;
}

// Reads N bytes at offset; throws Malformed naming `context` when they are not all there.
template <size_t N>
std::array<uint8_t, N> read_array(const ByteSource& src, uint64_t offset, const char* context) {
  std::array<uint8_t, N> out{};
  if (!fits(src, offset, N)) malformed(src, context, "truncated at offset " + std::to_string(offset));
  src.read_at(offset, out);
  return out;
}

// Reads up to `max` bytes at offset (fewer at the end of the source).
std::vector<uint8_t> read_up_to(const ByteSource& src, uint64_t offset, uint64_t max);

// Reads a length the container claims, refusing lengths past the end or above `cap`.
std::vector<uint8_t> read_payload(const ByteSource& src, uint64_t offset, uint64_t length, uint64_t cap,
                                  const char* context);

// Pulls the remote manifest URL (dcterms:provenance) out of an XMP packet, if present.
std::optional<std::string> xmp_provenance(std::string_view xmp);

}  // namespace veritrace::formats::detail
