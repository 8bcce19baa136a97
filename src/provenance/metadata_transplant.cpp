#include "provenance/metadata_transplant.hpp"

#include <array>
#include <cstring>
#include <string_view>

namespace veritrace::provenance::detail {

namespace {

struct Span {
  size_t offset = 0;
  size_t length = 0;
};

// Segments of a JPEG up to its first SOS, as [marker start, end). Empty when malformed.
std::vector<std::pair<uint8_t, Span>> jpeg_header_segments(std::span<const uint8_t> j) {
  std::vector<std::pair<uint8_t, Span>> out;
  if (j.size() < 4 || j[0] != 0xFF || j[1] != 0xD8) return {};
  size_t pos = 2;
  while (pos + 4 <= j.size()) {
    if (j[pos] != 0xFF) return {};
    const uint8_t marker = j[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return out;
    const size_t len = (size_t{j[pos + 2]} << 8) | j[pos + 3];
    if (len < 2 || pos + 2 + len > j.size()) return {};
    out.push_back({marker, Span{pos, 2 + len}});
    pos += 2 + len;
  }
  return {};
}

bool keep_jpeg_marker(uint8_t m) { return (m >= 0xE1 && m <= 0xEF && m != 0xEB) || m == 0xFE; }

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool keep_png_chunk(std::string_view type) {
  static constexpr std::array<std::string_view, 10> kept = {"iCCP", "sRGB", "gAMA", "cHRM", "pHYs",
                                                            "eXIf", "tIME", "tEXt", "zTXt", "iTXt"};
  for (auto k : kept)
    if (k == type) return true;
  return false;
}

}  // namespace

std::vector<uint8_t> transplant_jpeg_metadata(std::span<const uint8_t> original, std::vector<uint8_t> encoded) {
  const auto src = jpeg_header_segments(original);
  const auto dst = jpeg_header_segments(encoded);
  if (src.empty() || dst.empty()) return encoded;
  std::vector<uint8_t> carried;
  for (const auto& [marker, s] : src)
    if (keep_jpeg_marker(marker)) carried.insert(carried.end(), original.begin() + s.offset, original.begin() + s.offset + s.length);
  if (carried.empty()) return encoded;
  size_t insert_at = 2;  // after SOI, and after the encoder's JFIF APP0 when it starts the file
  if (dst.front().first == 0xE0) insert_at = dst.front().second.offset + dst.front().second.length;
  encoded.insert(encoded.begin() + static_cast<long>(insert_at), carried.begin(), carried.end());
  return encoded;
}

std::vector<uint8_t> transplant_png_metadata(std::span<const uint8_t> original, std::vector<uint8_t> encoded) {
  constexpr size_t kSig = 8;
  if (original.size() < kSig + 12 || encoded.size() < kSig + 25) return encoded;
  std::vector<uint8_t> carried;
  size_t pos = kSig;
  while (pos + 12 <= original.size()) {
    const uint32_t len = be32(original.data() + pos);
    if (len > original.size() - pos - 12) break;  // truncated: keep what was complete
    const std::string_view type(reinterpret_cast<const char*>(original.data() + pos + 4), 4);
    if (keep_png_chunk(type))
      carried.insert(carried.end(), original.begin() + static_cast<long>(pos), original.begin() + static_cast<long>(pos + 12 + len));
    if (type == "IEND") break;
    pos += 12 + len;
  }
  if (carried.empty()) return encoded;
  // Our encoder writes IHDR first: 8-byte signature + 4 length + 4 type + 13 data + 4 CRC.
  if (std::memcmp(encoded.data() + kSig + 4, "IHDR", 4) != 0) return encoded;
  encoded.insert(encoded.begin() + static_cast<long>(kSig + 25), carried.begin(), carried.end());
  return encoded;
}

}  // namespace veritrace::provenance::detail
