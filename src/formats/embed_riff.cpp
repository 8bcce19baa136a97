// RIFF (WAV, WebP, AVI): the store in a top-level 'C2PA' chunk at the end of the RIFF form, as
// c2pa-rs 0.90 writes it; old C2PA chunks are dropped and the RIFF size is rewritten.
#include <algorithm>
#include <cstring>

#include "formats/embed_internal.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr uint64_t kMaxChunks = uint64_t{1} << 22;

const char* form_type(Format format) {
  switch (format) {
    case Format::Wav: return "WAVE";
    case Format::WebP: return "WEBP";
    default: return "AVI ";
  }
}

}  // namespace

EmbedLayout plan_riff(const ByteSource& input, Format format, uint64_t store_size) {
  const char* context = format_name(format);
  auto head = read_array<12>(input, 0, context);
  if (std::memcmp(head.data(), "RF64", 4) == 0 || std::memcmp(head.data(), "BW64", 4) == 0) {
    embed_error(ErrorKind::Unsupported, input, context, "embedding into RF64/BW64 files is not supported");
  }
  if (std::memcmp(head.data(), "RIFF", 4) != 0 || std::memcmp(head.data() + 8, form_type(format), 4) != 0) {
    malformed(input, context, std::string("not a RIFF ") + form_type(format) + " file");
  }
  uint64_t declared = le32(head.data() + 4);
  if (declared < 4 || declared > input.size() - 8) {
    malformed(input, context, "RIFF size " + std::to_string(declared) + " does not fit the file");
  }
  // Bytes after the form (AVI 'RIFF'/'AVIX' extensions, trailing junk) are copied after it.
  const uint64_t form_end = 8 + declared;

  std::vector<Edit> edits;
  uint64_t removed = 0;
  uint64_t pos = 12;
  bool needs_pad = false;  // the last chunk is odd-sized and its pad byte is missing
  for (uint64_t count = 0; pos < form_end; ++count) {
    if (count > kMaxChunks) malformed(input, context, "too many chunks");
    if (form_end - pos < 8) malformed(input, context, "stray bytes at the end of the RIFF form");
    auto chunk = read_array<8>(input, pos, context);
    uint64_t size = le32(chunk.data() + 4);
    if (size > form_end - pos - 8) {
      malformed(input, context, "chunk '" + fourcc_string(be32(chunk.data())) + "' at offset " + std::to_string(pos) +
                                    " runs past the end of the RIFF form");
    }
    uint64_t padded = 8 + size + (size & 1);
    if (padded > form_end - pos) {
      padded = form_end - pos;
      needs_pad = true;
    }
    if (std::memcmp(chunk.data(), "C2PA", 4) == 0) {
      edits.push_back({pos, padded, {}});
      removed += padded;
      needs_pad = false;  // the removed chunk was the unpadded one
    }
    pos += padded;
  }

  std::vector<Piece> inserted;
  if (needs_pad) inserted.push_back(literal_piece({0}));
  std::vector<uint8_t> chunk_head{'C', '2', 'P', 'A'};
  if (store_size > 0xFFFFFFF0u) embed_error(ErrorKind::Unsupported, input, context, "manifest store too large");
  put_le32(chunk_head, static_cast<uint32_t>(store_size));
  inserted.push_back(literal_piece(std::move(chunk_head)));
  inserted.push_back(store_piece(0, store_size));
  uint64_t store_pad = store_size & 1;
  if (store_pad) inserted.push_back(literal_piece({0}));

  uint64_t new_size = declared - removed + (needs_pad ? 1 : 0) + 8 + store_size + store_pad;
  if (new_size > 0xFFFFFFFFu) embed_error(ErrorKind::Unsupported, input, context, "output larger than 4 GB (RIFF)");
  std::vector<uint8_t> size_field;
  put_le32(size_field, static_cast<uint32_t>(new_size));
  edits.insert(edits.begin(), Edit{4, 4, {literal_piece(std::move(size_field))}});
  edits.push_back({form_end, 0, std::move(inserted)});

  EmbedLayout layout;
  layout.format = format;
  layout.store_size = store_size;
  layout.pieces = apply_edits(input, edits);
  uint64_t base = output_offset_of(edits, edits.size() - 1) + (needs_pad ? 1 : 0);
  layout.carrier.push_back({base, 8 + store_size + store_pad});
  layout.store_offset = base + 8;
  return layout;
}

}  // namespace veritrace::formats::detail
