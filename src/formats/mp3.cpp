// MP3: the C2PA store in a GEOB frame (MIME type application/c2pa, or the older
// application/x-c2pa-manifest-store) of the ID3v2 tag at the start of the file; XMP in a PRIV frame
// owned by "XMP". Frames are read one at a time; the tag is never loaded whole.
#include <algorithm>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "MP3";
constexpr uint64_t kHeaderSize = 10;
constexpr uint64_t kMaxFrames = uint64_t{1} << 20;
constexpr uint64_t kMaxGeobHead = 64 * 1024;  // encoding, MIME type, file name, description

uint32_t syncsafe(const uint8_t* p) {
  return (uint32_t(p[0] & 0x7F) << 21) | (uint32_t(p[1] & 0x7F) << 14) | (uint32_t(p[2] & 0x7F) << 7) |
         uint32_t(p[3] & 0x7F);
}

// Length of a text field terminated per ID3 `encoding` (0/3: one NUL byte; 1/2: a 16-bit NUL),
// starting at `at`, including the terminator; nullopt when not terminated.
std::optional<size_t> terminated(std::string_view s, size_t at, uint8_t encoding) {
  if (encoding == 1 || encoding == 2) {
    for (size_t i = at; i + 1 < s.size(); i += 2) {
      if (s[i] == 0 && s[i + 1] == 0) return i + 2 - at;
    }
    return std::nullopt;
  }
  size_t nul = s.find('\0', at);
  if (nul == std::string_view::npos) return std::nullopt;
  return nul + 1 - at;
}

}  // namespace

C2paCarrier find_c2pa_mp3(const ByteSource& src) {
  C2paCarrier carrier;
  auto head = read_up_to(src, 0, kHeaderSize);
  if (head.size() < 3 || std::string_view(reinterpret_cast<const char*>(head.data()), 3) != "ID3") {
    return carrier;  // no ID3v2 tag: nothing to find
  }
  if (head.size() < kHeaderSize) malformed(src, kContext, "ID3 header cut short");
  uint8_t version = head[3];
  if (version < 2 || version > 4) malformed(src, kContext, "ID3v2." + std::to_string(version) + " is not supported");
  uint8_t flags = head[5];
  uint64_t tag_end = kHeaderSize + syncsafe(head.data() + 6);
  if (tag_end > src.size()) malformed(src, kContext, "ID3 tag runs past the end of the file");
  if (flags & 0x80) return carrier;  // whole-tag unsynchronisation: not written by C2PA tools
  uint64_t pos = kHeaderSize;
  if ((flags & 0x40) && version >= 3) {  // extended header
    auto ext = read_array<4>(src, pos, kContext);
    uint64_t ext_size = version == 4 ? syncsafe(ext.data()) : uint64_t{be32(ext.data())} + 4;
    if (ext_size < 4 || ext_size > tag_end - pos) malformed(src, kContext, "bad ID3 extended header size");
    pos += ext_size;
  }
  uint64_t frame_header = version == 2 ? 6 : 10;
  for (uint64_t count = 0; pos + frame_header <= tag_end; ++count) {
    if (count > kMaxFrames) malformed(src, kContext, "too many ID3 frames");
    auto fh = read_up_to(src, pos, frame_header);
    if (fh.size() < frame_header) malformed(src, kContext, "ID3 frame header cut short");
    if (fh[0] == 0) break;  // padding
    std::string id(reinterpret_cast<const char*>(fh.data()), version == 2 ? 3 : 4);
    uint64_t size;
    uint16_t frame_flags = 0;
    if (version == 2) {
      size = (uint64_t{fh[3]} << 16) | (uint64_t{fh[4]} << 8) | fh[5];
    } else {
      size = version == 4 ? syncsafe(fh.data() + 4) : be32(fh.data() + 4);
      frame_flags = be16(fh.data() + 8);
    }
    uint64_t data = pos + frame_header;
    if (size > tag_end - data) {
      malformed(src, kContext, "ID3 frame '" + id + "' at offset " + std::to_string(pos) + " runs past the tag");
    }
    pos = data + size;
    // Compressed, encrypted or unsynchronised frames are not what C2PA tools write: skipped.
    bool plain = version == 2 || (version == 3 && (frame_flags & 0x00C0) == 0) ||
                 (version == 4 && (frame_flags & 0x000E) == 0);
    if (!plain) continue;
    if (version == 4 && (frame_flags & 0x0001)) {  // data length indicator
      if (size < 4) continue;
      data += 4;
      size -= 4;
    }
    if (id == "GEOB" || id == "GEO") {
      auto field_head = read_up_to(src, data, std::min(size, kMaxGeobHead));
      std::string_view s(reinterpret_cast<const char*>(field_head.data()), field_head.size());
      if (s.empty()) continue;
      uint8_t encoding = uint8_t(s[0]);
      size_t at = 1;
      auto mime_len = terminated(s, at, 0);
      if (!mime_len) continue;
      std::string_view mime = s.substr(at, *mime_len - 1);
      if (mime != "application/c2pa" && mime != "application/x-c2pa-manifest-store") continue;
      at += *mime_len;
      for (int field = 0; field < 2; ++field) {  // file name, description
        auto len = terminated(s, at, encoding);
        if (!len) malformed(src, kContext, "C2PA GEOB frame header is not terminated");
        at += *len;
      }
      if (!carrier.carrier_ranges.empty()) malformed(src, kContext, "more than one C2PA manifest store");
      carrier.store = read_payload(src, data + at, size - at, kMaxStoreBytes, "MP3 C2PA GEOB frame");
      carrier.carrier_ranges.push_back({data + at, size - at});
    } else if ((id == "PRIV" || id == "PRV") && !carrier.remote_url && size <= kMaxXmpBytes && size > 4) {
      auto owner = read_array<4>(src, data, kContext);
      if (std::string_view(reinterpret_cast<const char*>(owner.data()), 4) != std::string_view("XMP\0", 4)) continue;
      auto xmp = src.read_vector(data + 4, size - 4);
      carrier.remote_url = xmp_provenance(std::string_view(reinterpret_cast<const char*>(xmp.data()), xmp.size()));
    }
  }
  return carrier;
}

}  // namespace veritrace::formats::detail
