// Embedded previews of a JPEG: the EXIF IFD1 thumbnail (APP1 "Exif") and the large thumbnails of
// a CIPA DC-007 Multi-Picture Format index (APP2 "MPF", image types 0x010001 / 0x010002). Only
// locations are found here; the caller reads, checks and decodes the bytes. Untrusted input: every
// offset is bounds-checked against the segment or the file, nothing is allocated per entry beyond
// the returned list (capped).
#include <algorithm>
#include <cstring>

#include "thumbnail/internal.hpp"

namespace veritrace::thumbnail::detail {

namespace {

constexpr size_t kMaxPreviews = 8;

struct Tiff {
  const uint8_t* p;
  size_t n;
  bool le;
  bool ok(uint64_t at, uint64_t len) const { return at <= n && len <= n - at; }
  uint32_t u16(uint64_t at) const { return le ? (p[at] | (p[at + 1] << 8)) : ((p[at] << 8) | p[at + 1]); }
  uint32_t u32(uint64_t at) const {
    return le ? (uint32_t{p[at]} | (uint32_t{p[at + 1]} << 8) | (uint32_t{p[at + 2]} << 16) | (uint32_t{p[at + 3]} << 24))
              : ((uint32_t{p[at]} << 24) | (uint32_t{p[at + 1]} << 16) | (uint32_t{p[at + 2]} << 8) | uint32_t{p[at + 3]});
  }
};

std::optional<Tiff> tiff_header(const uint8_t* p, size_t n) {
  if (n < 8) return std::nullopt;
  bool le;
  if (p[0] == 'I' && p[1] == 'I') le = true;
  else if (p[0] == 'M' && p[1] == 'M') le = false;
  else return std::nullopt;
  Tiff t{p, n, le};
  if (t.u16(2) != 42) return std::nullopt;
  return t;
}

// The value of a LONG or SHORT entry with count 1.
std::optional<uint32_t> entry_value(const Tiff& t, uint64_t e) {
  const uint32_t type = t.u16(e + 2);
  if (t.u32(e + 4) != 1) return std::nullopt;
  if (type == 4) return t.u32(e + 8);
  if (type == 3) return t.u16(e + 8);
  return std::nullopt;
}

// IFD1's JPEGInterchangeFormat (0x0201) / JPEGInterchangeFormatLength (0x0202), relative to the TIFF
// header, which starts at file offset `base`.
void exif_thumbnail(const Tiff& t, uint64_t base, std::vector<PreviewRef>& out) {
  const uint64_t ifd0 = t.u32(4);
  if (!t.ok(ifd0, 2)) return;
  const uint64_t n0 = t.u16(ifd0);
  const uint64_t next = ifd0 + 2 + n0 * 12;
  if (!t.ok(next, 4)) return;
  const uint64_t ifd1 = t.u32(next);
  if (ifd1 == 0 || !t.ok(ifd1, 2)) return;
  const uint64_t n1 = t.u16(ifd1);
  std::optional<uint32_t> offset, length;
  for (uint64_t i = 0; i < n1; ++i) {
    const uint64_t e = ifd1 + 2 + i * 12;
    if (!t.ok(e, 12)) return;
    const uint32_t tag = t.u16(e);
    if (tag == 0x0201) offset = entry_value(t, e);
    if (tag == 0x0202) length = entry_value(t, e);
  }
  // The thumbnail lives inside the APP1 segment, so it must fit in the TIFF bytes.
  if (offset && length && *length >= 4 && t.ok(*offset, *length)) out.push_back({base + *offset, *length, false});
}

// The MP Index IFD's MPEntry (0xB002): 16 bytes per image, offsets relative to the MPF TIFF header
// (file offset `base`). Only the large thumbnails (class 1: VGA, class 2: full HD) are previews of
// this image; disparity, panorama and multi-angle frames are other pictures.
void mpf_previews(const Tiff& t, uint64_t base, uint64_t file_size, std::vector<PreviewRef>& out) {
  const uint64_t ifd = t.u32(4);
  if (!t.ok(ifd, 2)) return;
  const uint64_t count = t.u16(ifd);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = ifd + 2 + i * 12;
    if (!t.ok(e, 12)) return;
    if (t.u16(e) != 0xB002 || t.u16(e + 2) != 7) continue;  // MPEntry, UNDEFINED
    const uint64_t bytes = t.u32(e + 4);
    const uint64_t at = t.u32(e + 8);
    if (bytes % 16 != 0 || !t.ok(at, bytes)) return;
    for (uint64_t k = 1; k < bytes / 16 && out.size() < kMaxPreviews; ++k) {  // entry 0: this image
      const uint64_t m = at + k * 16;
      const uint32_t type = t.u32(m) & 0x00FFFFFF;
      const uint64_t size = t.u32(m + 4);
      const uint64_t offset = t.u32(m + 8);
      if (type != 0x010001 && type != 0x010002) continue;
      if (offset == 0 || size < 4 || base + offset > file_size || size > file_size - (base + offset)) continue;
      out.push_back({base + offset, size, true});
    }
    return;
  }
}

}  // namespace

std::vector<PreviewRef> find_jpeg_previews(std::span<const uint8_t> head, uint64_t file_size) {
  std::vector<PreviewRef> out;
  if (head.size() < 4 || head[0] != 0xFF || head[1] != 0xD8) return out;
  size_t pos = 2;
  while (pos + 4 <= head.size() && out.size() < kMaxPreviews) {
    if (head[pos] != 0xFF) break;
    const uint8_t marker = head[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // the image data: previews are declared before it
    const size_t len = (size_t{head[pos + 2]} << 8) | head[pos + 3];
    if (len < 2 || pos + 2 + len > head.size()) break;
    const uint8_t* seg = head.data() + pos + 4;
    const size_t n = len - 2;
    const uint64_t seg_offset = pos + 4;
    if (marker == 0xE1 && n > 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      if (auto t = tiff_header(seg + 6, n - 6)) exif_thumbnail(*t, seg_offset + 6, out);
    } else if (marker == 0xE2 && n > 4 && std::memcmp(seg, "MPF\0", 4) == 0) {
      if (auto t = tiff_header(seg + 4, n - 4)) mpf_previews(*t, seg_offset + 4, file_size, out);
    }
    pos += 2 + len;
  }
  if (out.size() > kMaxPreviews) out.resize(kMaxPreviews);
  return out;
}

}  // namespace veritrace::thumbnail::detail
