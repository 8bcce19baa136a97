// JUMBF (ISO/IEC 19566-5) box parsing for C2PA manifest stores. Internal to the library.
// Why our own: no Debian package parses JUMBF; the format is a plain box tree (length, type,
// payload) and the parser below only records offsets into the caller's buffer, so hashing the
// exact bytes of a box (hashed URIs) needs no re-serialisation. Fuzzed in fuzz/fuzz_jumbf.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace veritrace::jumbf {

using Uuid = std::array<uint8_t, 16>;

constexpr uint32_t fourcc(const char (&s)[5]) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) | (uint32_t(uint8_t(s[2])) << 8) |
         uint32_t(uint8_t(s[3]));
}
std::string fourcc_text(uint32_t type);

// A C2PA/JUMBF type UUID: four ASCII bytes followed by 0011-0010-8000-00AA00389B71.
Uuid c2pa_uuid(const char (&four)[5]);
// The four ASCII bytes of such a UUID, or "" if the tail is not the ISO one.
std::string uuid_fourcc(const Uuid& u);

// A plain box inside a superbox (json, cbor, bfdb, bidb, uuid, c2sh...). Offsets are into the
// buffer given to parse().
struct ContentBox {
  uint32_t type = 0;
  size_t offset = 0;          // first byte of the box header
  size_t size = 0;            // whole box, header included
  size_t payload_offset = 0;  // first byte after the header
  size_t payload_size = 0;
};

struct SuperBox {
  size_t offset = 0;  // first byte of the 'jumb' header
  size_t size = 0;    // whole 'jumb' box
  size_t header_size = 0;
  Uuid type{};
  uint8_t toggles = 0;
  std::string label;   // empty if absent
  std::optional<uint32_t> id;
  std::optional<std::array<uint8_t, 32>> signature;
  std::optional<ContentBox> private_box;  // e.g. the 'c2sh' salt box of C2PA v2
  size_t description_offset = 0;          // the 'jumd' box
  size_t description_size = 0;
  std::vector<SuperBox> superboxes;  // nested 'jumb' children, in order
  std::vector<ContentBox> contents;  // other children, in order

  bool requestable() const { return toggles & 0x01; }
  const SuperBox* child(std::string_view child_label) const;
};

struct ParseLimits {
  size_t max_depth = 32;
  size_t max_boxes = 1'000'000;
};

// Parses the superbox that starts at offset 0 of `data` (trailing bytes are ignored, as some
// writers pad the store). Throws veritrace::Error(Malformed) on a broken structure.
SuperBox parse(std::span<const uint8_t> data, const ParseLimits& limits = {});

}  // namespace veritrace::jumbf
