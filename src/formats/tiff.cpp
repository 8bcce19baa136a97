// TIFF family (TIFF, DNG; classic and BigTIFF, either byte order): the C2PA store is the value of
// tag 0xCD41 (type UNDEFINED) in the last page IFD, or in the first one (older writers); XMP is
// tag 700 (type BYTE) of the first page IFD. Only the chain of page IFDs is walked.
#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "TIFF";
constexpr uint16_t kC2paTag = 0xCD41;
constexpr uint16_t kXmpTag = 700;
constexpr uint16_t kTypeByte = 1;
constexpr uint16_t kTypeUndefined = 7;
constexpr uint64_t kMaxPages = uint64_t{1} << 14;
constexpr uint64_t kMaxEntriesPerIfd = uint64_t{1} << 20;  // BigTIFF counts are 64-bit
constexpr uint64_t kMaxTotalEntries = uint64_t{1} << 22;   // over all IFDs of a file
constexpr uint64_t kEntriesPerRead = 4096;

struct Header {
  bool little = true;
  bool big = false;  // BigTIFF
  uint64_t first_ifd = 0;
  uint64_t count_size() const { return big ? 8 : 2; }
  uint64_t entry_size() const { return big ? 20 : 12; }
  uint64_t offset_size() const { return big ? 8 : 4; }

  uint16_t u16(const uint8_t* p) const { return little ? static_cast<uint16_t>(p[0] | (p[1] << 8)) : be16(p); }
  uint32_t u32(const uint8_t* p) const { return little ? le32(p) : be32(p); }
  uint64_t u64(const uint8_t* p) const { return little ? le64(p) : be64(p); }
  uint64_t offset(const uint8_t* p) const { return big ? u64(p) : u32(p); }
};

struct Entry {
  uint16_t tag = 0;
  uint16_t type = 0;
  uint64_t count = 0;
  uint64_t value_offset = 0;  // where the value is: inline in the entry, or elsewhere in the file
};

struct Ifd {
  uint64_t offset = 0;
  std::optional<Entry> c2pa;
  std::optional<Entry> xmp;
  uint64_t next = 0;
};

uint64_t type_size(uint16_t type) {
  switch (type) {
    case 1: case 2: case 6: case 7: return 1;
    case 3: case 8: return 2;
    case 4: case 9: case 11: case 13: return 4;
    case 5: case 10: case 12: case 16: case 17: case 18: return 8;
    default: return 0;
  }
}

Header read_header(const ByteSource& src) {
  auto head = read_array<8>(src, 0, kContext);
  Header h;
  if (head[0] == 'I' && head[1] == 'I') {
    h.little = true;
  } else if (head[0] == 'M' && head[1] == 'M') {
    h.little = false;
  } else {
    malformed(src, kContext, "bad byte-order mark");
  }
  uint16_t magic = h.u16(head.data() + 2);
  if (magic == 42) {
    h.first_ifd = h.u32(head.data() + 4);
  } else if (magic == 43) {
    h.big = true;
    if (h.u16(head.data() + 4) != 8 || h.u16(head.data() + 6) != 0) malformed(src, kContext, "bad BigTIFF header");
    auto off = read_array<8>(src, 8, kContext);
    h.first_ifd = h.u64(off.data());
  } else {
    malformed(src, kContext, "bad magic number " + std::to_string(magic));
  }
  return h;
}

Ifd read_ifd(const ByteSource& src, const Header& h, uint64_t offset, uint64_t& total_entries) {
  std::string where = "IFD at offset " + std::to_string(offset);
  if (!fits(src, offset, h.count_size())) malformed(src, kContext, where + " is past the end of the file");
  std::array<uint8_t, 8> count_bytes{};
  src.read_at(offset, std::span<uint8_t>(count_bytes.data(), h.count_size()));
  uint64_t count = h.big ? h.u64(count_bytes.data()) : h.u16(count_bytes.data());
  if (count > kMaxEntriesPerIfd) malformed(src, kContext, where + " has too many entries");
  total_entries += count;
  if (total_entries > kMaxTotalEntries) malformed(src, kContext, "too many IFD entries");
  uint64_t table = offset + h.count_size();
  if (!fits(src, table, count * h.entry_size() + h.offset_size())) {
    malformed(src, kContext, where + " runs past the end of the file");
  }
  Ifd ifd;
  ifd.offset = offset;
  for (uint64_t first = 0; first < count; first += kEntriesPerRead) {
    uint64_t n = std::min(kEntriesPerRead, count - first);
    auto bytes = src.read_vector(table + first * h.entry_size(), n * h.entry_size());
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* p = bytes.data() + i * h.entry_size();
      uint16_t tag = h.u16(p);
      if (tag != kC2paTag && tag != kXmpTag) continue;
      Entry e;
      e.tag = tag;
      e.type = h.u16(p + 2);
      e.count = h.big ? h.u64(p + 4) : h.u32(p + 4);
      const uint8_t* value = p + (h.big ? 12 : 8);
      uint64_t value_pos = table + (first + i) * h.entry_size() + (h.big ? 12 : 8);
      uint64_t unit = type_size(e.type);
      bool inline_value = unit != 0 && e.count <= h.offset_size() / unit;
      e.value_offset = inline_value ? value_pos : h.offset(value);
      // Like c2pa-rs, the first entry of a tag wins.
      auto& slot = tag == kC2paTag ? ifd.c2pa : ifd.xmp;
      if (!slot) slot = e;
    }
  }
  std::array<uint8_t, 8> next{};
  src.read_at(table + count * h.entry_size(), std::span<uint8_t>(next.data(), h.offset_size()));
  ifd.next = h.offset(next.data());
  return ifd;
}

// The page IFDs in chain order (at least one).
std::vector<Ifd> read_pages(const ByteSource& src, const Header& h) {
  std::vector<Ifd> pages;
  std::set<uint64_t> seen;
  uint64_t total_entries = 0;
  uint64_t offset = h.first_ifd;
  while (true) {
    if (!seen.insert(offset).second) malformed(src, kContext, "IFD chain loops back to offset " + std::to_string(offset));
    if (pages.size() >= kMaxPages) malformed(src, kContext, "too many IFDs");
    pages.push_back(read_ifd(src, h, offset, total_entries));
    if (pages.back().next == 0) break;
    offset = pages.back().next;
  }
  return pages;
}

}  // namespace

C2paCarrier find_c2pa_tiff(const ByteSource& src) {
  Header h = read_header(src);
  auto pages = read_pages(src, h);
  C2paCarrier carrier;
  const std::optional<Entry>& c2pa = pages.back().c2pa ? pages.back().c2pa : pages.front().c2pa;
  if (c2pa) {
    if (c2pa->type != kTypeUndefined) {
      malformed(src, kContext, "C2PA tag 0xCD41 has type " + std::to_string(c2pa->type) + ", not UNDEFINED (7)");
    }
    carrier.store = read_payload(src, c2pa->value_offset, c2pa->count, kMaxStoreBytes, "TIFF C2PA tag");
    carrier.carrier_ranges.push_back({c2pa->value_offset, c2pa->count});
  }
  const auto& xmp = pages.front().xmp;
  if (xmp && xmp->type == kTypeByte && xmp->count <= kMaxXmpBytes && fits(src, xmp->value_offset, xmp->count)) {
    auto bytes = src.read_vector(xmp->value_offset, xmp->count);
    carrier.remote_url = xmp_provenance(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return carrier;
}

}  // namespace veritrace::formats::detail
