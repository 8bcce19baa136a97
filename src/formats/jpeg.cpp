// JPEG: the C2PA store in APP11 (JPEG XT / JUMBF) segments, XMP in APP1, and the c2pa-rs box map.
#include <algorithm>
#include <functional>
#include <map>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "JPEG";
constexpr uint64_t kMaxSegments = uint64_t{1} << 20;
constexpr std::string_view kXmpSignature{"http://ns.adobe.com/xap/1.0/\0", 29};

constexpr uint8_t kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA, kApp1 = 0xE1, kApp11 = 0xEB;

struct Segment {
  uint8_t marker = 0;
  uint64_t offset = 0;          // of the 0xFF byte
  uint64_t size = 0;            // marker + length field + payload; for SOS also the entropy-coded data
  uint64_t payload_offset = 0;  // after the length field
  uint64_t payload_size = 0;
};

bool is_standalone(uint8_t marker) {
  return marker == kSoi || marker == kEoi || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
}

// Offset of the first marker after entropy-coded data starting at `pos` (stuffed 0xFF00 bytes
// and restart markers belong to the scan), or the end of the file when there is none.
uint64_t end_of_entropy_data(const ByteSource& src, uint64_t pos) {
  constexpr uint64_t kChunk = 64 * 1024;
  while (pos < src.size()) {
    auto buf = read_up_to(src, pos, kChunk);
    if (buf.size() < 2) return src.size();
    for (size_t i = 0; i + 1 < buf.size(); ++i) {
      if (buf[i] != 0xFF) continue;
      uint8_t next = buf[i + 1];
      if (next != 0x00 && !(next >= 0xD0 && next <= 0xD7)) return pos + i;
    }
    pos += buf.size() - 1;  // re-read the last byte: it may be an 0xFF whose partner is next
  }
  return src.size();
}

// Calls `visit` for each segment in file order, from SOI to EOI. With `stop_at_scan`, stops after
// the first SOS header (everything C2PA needs comes before the image data). `visit` returns
// false to stop early.
void walk_segments(const ByteSource& src, bool stop_at_scan, const std::function<bool(const Segment&)>& visit) {
  auto soi = read_array<2>(src, 0, kContext);
  if (soi[0] != 0xFF || soi[1] != kSoi) malformed(src, kContext, "missing SOI marker");
  if (!visit(Segment{kSoi, 0, 2, 2, 0})) return;

  uint64_t pos = 2;
  for (uint64_t count = 0; pos < src.size(); ++count) {
    if (count > kMaxSegments) malformed(src, kContext, "too many segments");
    auto head = read_array<2>(src, pos, kContext);
    if (head[0] != 0xFF) malformed(src, kContext, "expected a marker at offset " + std::to_string(pos));
    if (head[1] == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    Segment seg{head[1], pos, 2, pos + 2, 0};
    if (!is_standalone(seg.marker)) {
      auto len_bytes = read_array<2>(src, pos + 2, kContext);
      uint16_t length = be16(len_bytes.data());
      if (length < 2) malformed(src, kContext, "segment length below 2 at offset " + std::to_string(pos));
      if (!fits(src, pos + 2, length)) {
        malformed(src, kContext, "segment at offset " + std::to_string(pos) + " runs past the end of the file");
      }
      seg.size = 2 + uint64_t{length};
      seg.payload_offset = pos + 4;
      seg.payload_size = length - 2u;
    }
    if (seg.marker == kSos) {
      if (stop_at_scan) {
        visit(seg);
        return;
      }
      seg.size = end_of_entropy_data(src, pos + seg.size) - pos;
    }
    if (!visit(seg) || seg.marker == kEoi) return;
    pos += seg.size;
  }
}

// One APP11 segment that carries JUMBF (JPEG XT box): CI "JP", En, Z, then box bytes.
struct JumbfPiece {
  Segment segment;
  uint16_t instance = 0;  // En
  uint32_t sequence = 0;  // Z
};

std::optional<JumbfPiece> jumbf_piece(const ByteSource& src, const Segment& seg) {
  if (seg.marker != kApp11 || seg.payload_size < 8) return std::nullopt;
  auto head = read_array<8>(src, seg.payload_offset, kContext);
  if (head[0] != 'J' || head[1] != 'P') return std::nullopt;
  return JumbfPiece{seg, be16(head.data() + 2), be32(head.data() + 4)};
}

// True when the first piece of a JUMBF box is a C2PA manifest store (jumd type 'c2pa').
bool is_c2pa_store_start(const ByteSource& src, const Segment& seg) {
  if (seg.payload_size < 28) return false;
  auto type = read_array<4>(src, seg.payload_offset + 24, kContext);
  return type[0] == 'c' && type[1] == '2' && type[2] == 'p' && type[3] == 'a';
}

std::vector<uint8_t> assemble_store(const ByteSource& src, std::vector<JumbfPiece> pieces) {
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const JumbfPiece& a, const JumbfPiece& b) { return a.sequence < b.sequence; });
  const Segment& first = pieces.front().segment;
  auto box_head = read_array<16>(src, first.payload_offset + 8, kContext);
  uint64_t declared = be32(box_head.data());
  uint64_t repeated_header = 8;
  if (declared == 1) {
    if (first.payload_size < 24) malformed(src, kContext, "JUMBF box header truncated");
    declared = be64(box_head.data() + 8);
    repeated_header = 16;
  }
  if (declared > kMaxStoreBytes) malformed(src, kContext, "manifest store is larger than supported");

  std::vector<uint8_t> store;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Segment& seg = pieces[i].segment;
    uint64_t skip = 8 + (i == 0 ? 0 : repeated_header);
    if (seg.payload_size < skip) malformed(src, kContext, "APP11 segment too short for its JUMBF header");
    auto bytes = src.read_vector(seg.payload_offset + skip, seg.payload_size - skip);
    if (store.size() + bytes.size() > kMaxStoreBytes) malformed(src, kContext, "manifest store too large");
    store.insert(store.end(), bytes.begin(), bytes.end());
  }
  if (declared != 0 && store.size() < declared) {
    malformed(src, kContext, "manifest store truncated: " + std::to_string(store.size()) + " of " +
                                 std::to_string(declared) + " bytes present");
  }
  return store;
}

std::optional<std::string> xmp_url(const ByteSource& src, const Segment& seg) {
  if (seg.marker != kApp1 || seg.payload_size <= kXmpSignature.size()) return std::nullopt;
  auto payload = src.read_vector(seg.payload_offset, seg.payload_size);
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (text.substr(0, kXmpSignature.size()) != kXmpSignature) return std::nullopt;
  return xmp_provenance(text.substr(kXmpSignature.size()));
}

// c2pa-rs's names for markers in a c2pa.hash.boxes map.
std::string marker_name(uint8_t marker) {
  if (marker >= 0xE0 && marker <= 0xEF) return "APP" + std::to_string(marker - 0xE0);
  if (marker >= 0xD0 && marker <= 0xD7) return "RST" + std::to_string(marker - 0xD0);
  if (marker >= 0xF0 && marker <= 0xFD) return "JPG" + std::to_string(marker - 0xF0);
  switch (marker) {
    case kSoi: return "SOI";
    case kEoi: return "EOI";
    case kSos: return "SOS";
    case 0xC4: return "DHT";
    case 0xCC: return "DAC";
    case 0xDB: return "DQT";
    case 0xDD: return "DRI";
    case 0xFE: return "COM";
    default: break;
  }
  if (marker >= 0xC0 && marker <= 0xCF) return "SOF" + std::to_string(marker - 0xC0);
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("0x") + kHex[marker >> 4] + kHex[marker & 0x0F];
}

}  // namespace

C2paCarrier find_c2pa_jpeg(const ByteSource& src) {
  C2paCarrier carrier;
  std::map<uint16_t, std::vector<JumbfPiece>> c2pa_pieces;  // by En, only for C2PA stores
  std::optional<uint16_t> c2pa_instance;
  walk_segments(src, true, [&](const Segment& seg) {
    if (auto piece = jumbf_piece(src, seg)) {
      auto found = c2pa_pieces.find(piece->instance);
      if (found != c2pa_pieces.end()) {
        found->second.push_back(*piece);
      } else if (is_c2pa_store_start(src, seg)) {
        c2pa_pieces[piece->instance].push_back(*piece);
        if (!c2pa_instance) c2pa_instance = piece->instance;
      }
    } else if (!carrier.remote_url) {
      carrier.remote_url = xmp_url(src, seg);
    }
    return true;
  });
  if (c2pa_instance) {
    const auto& pieces = c2pa_pieces[*c2pa_instance];
    carrier.store = assemble_store(src, pieces);
    for (const auto& piece : pieces) carrier.carrier_ranges.push_back({piece.segment.offset, piece.segment.size});
  }
  return carrier;
}

std::vector<NamedRange> box_map_jpeg(const ByteSource& src) {
  std::vector<NamedRange> map;
  std::optional<size_t> c2pa_index;
  std::optional<uint16_t> c2pa_instance;
  walk_segments(src, false, [&](const Segment& seg) {
    if (seg.marker == kApp11) {
      // Like c2pa-rs: APP11 segments of 16 payload bytes or fewer are left out of the map, and
      // the segments of the C2PA store (same En) form one "C2PA" piece.
      if (seg.payload_size <= 16) return true;
      auto head = read_array<4>(src, seg.payload_offset, kContext);
      uint16_t instance = be16(head.data() + 2);
      if (c2pa_index && c2pa_instance == instance) {
        map[*c2pa_index].range.length = seg.offset + seg.size - map[*c2pa_index].range.offset;
        return true;
      }
      if (seg.payload_size < 28) malformed(src, kContext, "APP11 segment too short for a JUMBF box");
      if (is_c2pa_store_start(src, seg)) {
        c2pa_instance = instance;
        c2pa_index = map.size();
        map.push_back({"C2PA", {seg.offset, seg.size}});
        return true;
      }
    }
    map.push_back({marker_name(seg.marker), {seg.offset, seg.size}});
    return true;
  });
  return map;
}

}  // namespace veritrace::formats::detail
