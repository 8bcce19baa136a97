// JPEG: the store in APP11 (JPEG XT) segments, placed and split the way c2pa-rs 0.90 writes them.
#include <algorithm>
#include <optional>

#include "formats/embed_internal.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "JPEG";
constexpr uint8_t kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA, kApp0 = 0xE0, kApp11 = 0xEB;
constexpr uint64_t kMaxSegments = uint64_t{1} << 20;
// c2pa-rs puts at most 64000 store bytes in a segment (below the 65533-byte payload limit, with
// room for the JPEG XT header and the repeated box header).
constexpr uint64_t kStoreBytesPerSegment = 64000;
constexpr uint16_t kInstance = 0x0211;  // En: c2pa-rs's box instance number

struct HeaderSegment {
  uint8_t marker = 0;
  uint64_t offset = 0;  // of the 0xFF byte
  uint64_t size = 0;    // marker + length field + payload
};

// The marker segments between SOI and the first SOS (where c2pa-rs looks for APP0 and APP11;
// the image data after SOS is copied untouched).
std::vector<HeaderSegment> header_segments(const ByteSource& src) {
  auto soi = read_array<2>(src, 0, kContext);
  if (soi[0] != 0xFF || soi[1] != kSoi) malformed(src, kContext, "missing SOI marker");
  std::vector<HeaderSegment> segments;
  uint64_t pos = 2;
  while (true) {
    if (segments.size() > kMaxSegments) malformed(src, kContext, "too many segments");
    auto head = read_array<2>(src, pos, kContext);
    if (head[0] != 0xFF) malformed(src, kContext, "expected a marker at offset " + std::to_string(pos));
    if (head[1] == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (head[1] == kEoi) malformed(src, kContext, "no image data (EOI before SOS)");
    if (head[1] == kSoi || head[1] == 0x01 || (head[1] >= 0xD0 && head[1] <= 0xD7)) {
      segments.push_back({head[1], pos, 2});
      pos += 2;
      continue;
    }
    auto length_bytes = read_array<2>(src, pos + 2, kContext);
    uint16_t length = be16(length_bytes.data());
    if (length < 2 || !fits(src, pos + 2, length)) {
      malformed(src, kContext, "segment at offset " + std::to_string(pos) + " has a bad length");
    }
    if (head[1] == kSos) return segments;
    segments.push_back({head[1], pos, 2 + uint64_t{length}});
    pos += 2 + uint64_t{length};
  }
}

// Indices of the segments that carry C2PA stores, by c2pa-rs's rule: an APP11 segment with more
// than 16 payload bytes either continues the current C2PA box (same En) or starts one (JUMBF
// description type 'c2pa').
std::vector<size_t> c2pa_segments(const ByteSource& src, const std::vector<HeaderSegment>& segments) {
  std::vector<size_t> found;
  std::optional<uint16_t> current_instance;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& seg = segments[i];
    if (seg.marker != kApp11 || seg.size - 4 <= 16) continue;
    auto head = read_array<8>(src, seg.offset + 4, kContext);
    uint16_t instance = be16(head.data() + 2);
    if (current_instance == instance) {
      found.push_back(i);
      continue;
    }
    if (seg.size - 4 < 28) continue;  // too short to be a JUMBF superbox start
    auto type = read_array<4>(src, seg.offset + 4 + 24, kContext);
    if (type[0] == 'c' && type[1] == '2' && type[2] == 'p' && type[3] == 'a') {
      found.push_back(i);
      current_instance = instance;
    }
  }
  return found;
}

}  // namespace

EmbedLayout plan_jpeg(const ByteSource& input, uint64_t store_size) {
  auto segments = header_segments(input);
  auto old_store = c2pa_segments(input, segments);

  // Where c2pa-rs inserts: in place of the old store, unless that started right after SOI; else
  // after the last APP0 (JFIF readers want APP0 first); else right after SOI.
  uint64_t insert_at = 2;
  if (!old_store.empty() && old_store.front() > 0) {
    insert_at = segments[old_store.front()].offset;
  } else {
    for (const auto& seg : segments) {
      if (seg.marker == kApp0) insert_at = seg.offset + seg.size;
    }
  }

  uint64_t segment_count = (store_size + kStoreBytesPerSegment - 1) / kStoreBytesPerSegment;
  if (segment_count > 0xFFFFFFFFu) embed_error(ErrorKind::Unsupported, input, kContext, "manifest store too large");
  std::vector<Piece> inserted;
  std::vector<ByteRange> local_carrier;  // relative to the first inserted byte
  uint64_t local = 0;
  for (uint64_t seg = 0; seg < segment_count; ++seg) {
    uint64_t chunk_offset = seg * kStoreBytesPerSegment;
    uint64_t chunk = std::min(kStoreBytesPerSegment, store_size - chunk_offset);
    uint64_t repeated = seg > 0 ? 8 : 0;  // continuation segments repeat the box's LBox and TBox
    uint64_t payload = 8 + repeated + chunk;  // CI, En, Z, [LBox TBox], store bytes
    std::vector<uint8_t> header{0xFF, kApp11};
    put_be16(header, static_cast<uint16_t>(payload + 2));
    header.push_back('J');
    header.push_back('P');
    put_be16(header, kInstance);
    put_be32(header, static_cast<uint32_t>(seg + 1));
    inserted.push_back(literal_piece(std::move(header)));
    if (repeated) inserted.push_back(store_piece(0, 8));
    inserted.push_back(store_piece(chunk_offset, chunk));
    local_carrier.push_back({local, 4 + payload});
    local += 4 + payload;
  }

  // Edits in input order: removals of old store segments, with the insertion at its place.
  std::vector<Edit> edits;
  bool inserted_yet = false;
  size_t insertion_index = 0;
  for (size_t index : old_store) {
    const auto& seg = segments[index];
    if (!inserted_yet && insert_at <= seg.offset) {
      insertion_index = edits.size();
      edits.push_back({insert_at, 0, std::move(inserted)});
      inserted_yet = true;
    }
    edits.push_back({seg.offset, seg.size, {}});
  }
  if (!inserted_yet) {
    insertion_index = edits.size();
    edits.push_back({insert_at, 0, std::move(inserted)});
  }
  // Keep edits sorted: an insertion after removed segments (APP0 follows the old store).
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  for (size_t i = 0; i < edits.size(); ++i) {
    if (!edits[i].inserted.empty()) insertion_index = i;
  }

  EmbedLayout layout;
  layout.format = Format::Jpeg;
  layout.store_size = store_size;
  layout.pieces = apply_edits(input, edits);
  uint64_t base = output_offset_of(edits, insertion_index);
  for (const auto& range : local_carrier) layout.carrier.push_back({base + range.offset, range.length});
  layout.store_offset = base + 12;
  return layout;
}

}  // namespace veritrace::formats::detail
