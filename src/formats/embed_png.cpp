// PNG: the store in a 'caBX' chunk right after IHDR, as c2pa-rs 0.90 writes it.
#include <algorithm>

#include "formats/embed_internal.hpp"
#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {
constexpr const char* kContext = "PNG";
constexpr uint64_t kMaxChunkData = 0x7FFFFFFF;  // PNG chunk lengths are below 2^31
}  // namespace

EmbedLayout plan_png(const ByteSource& input, uint64_t store_size) {
  if (store_size > kMaxChunkData) embed_error(ErrorKind::Unsupported, input, kContext, "manifest store too large for a chunk");
  // The box map names every chunk (the C2PA one "C2PA") and checks the chunk structure.
  auto chunks = box_map_png(input);
  const NamedRange* ihdr = nullptr;
  for (const auto& chunk : chunks) {
    if (chunk.name == "IHDR") {
      ihdr = &chunk;
      break;
    }
  }
  if (!ihdr) malformed(input, kContext, "no IHDR chunk");

  std::vector<uint8_t> head;
  put_be32(head, static_cast<uint32_t>(store_size));
  const std::vector<uint8_t> type{'c', 'a', 'B', 'X'};
  head.insert(head.end(), type.begin(), type.end());
  Piece crc;
  crc.kind = Piece::Kind::StoreCrc32;
  crc.length = 4;
  crc.bytes = type;

  // Every existing caBX chunk goes (c2pa-rs removes the first; more would be stale stores).
  std::vector<Edit> edits;
  uint64_t insert_at = ihdr->range.end();
  edits.push_back({insert_at, 0, {literal_piece(std::move(head)), store_piece(0, store_size), std::move(crc)}});
  for (const auto& chunk : chunks) {
    if (chunk.name == "C2PA") edits.push_back({chunk.range.offset, chunk.range.length, {}});
  }
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  size_t insertion_index = 0;
  for (size_t i = 0; i < edits.size(); ++i) {
    if (!edits[i].inserted.empty()) insertion_index = i;
  }

  EmbedLayout layout;
  layout.format = Format::Png;
  layout.store_size = store_size;
  layout.pieces = apply_edits(input, edits);
  uint64_t base = output_offset_of(edits, insertion_index);
  layout.carrier.push_back({base, 12 + store_size});
  layout.store_offset = base + 8;
  return layout;
}

}  // namespace veritrace::formats::detail
