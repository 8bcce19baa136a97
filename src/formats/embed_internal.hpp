// Shared helpers of the container writers (embed_*.cpp): input edits turned into layout pieces,
// big/little-endian writers, CRC-32. Internal to src/formats.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/embed.hpp"

namespace veritrace::formats::detail {

// One change to the input: `removed` bytes at `offset` (an input offset) replaced by `inserted`.
struct Edit {
  uint64_t offset = 0;
  uint64_t removed = 0;
  std::vector<Piece> inserted;
};

// The output pieces for `edits` applied to the input. Edits must be sorted by offset and must not
// overlap (an insertion-only edit may sit at the end of a removal).
std::vector<Piece> apply_edits(const ByteSource& input, const std::vector<Edit>& edits);
// Where the first inserted byte of edits[index] lands in the output (edits sorted as above).
uint64_t output_offset_of(const std::vector<Edit>& edits, size_t index);

Piece literal_piece(std::vector<uint8_t> bytes);
Piece store_piece(uint64_t store_offset, uint64_t length);
uint64_t piece_length(const Piece& piece);

void put_be16(std::vector<uint8_t>& out, uint16_t value);
void put_be32(std::vector<uint8_t>& out, uint32_t value);
void put_be64(std::vector<uint8_t>& out, uint64_t value);
void put_le32(std::vector<uint8_t>& out, uint32_t value);
void store_be32(uint8_t* p, uint32_t value);
void store_be64(uint8_t* p, uint64_t value);

// CRC-32 (ISO 3309, as PNG and zlib use it); pass the previous result to continue a running CRC.
uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes);

[[noreturn]] void embed_error(ErrorKind kind, const ByteSource& input, const char* context, const std::string& message);

EmbedLayout plan_jpeg(const ByteSource& input, uint64_t store_size);
EmbedLayout plan_png(const ByteSource& input, uint64_t store_size);
EmbedLayout plan_riff(const ByteSource& input, Format format, uint64_t store_size);
EmbedLayout plan_bmff(const ByteSource& input, uint64_t store_size);

}  // namespace veritrace::formats::detail
