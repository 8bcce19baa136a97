// Writing C2PA manifest stores into containers (the signing side of formats.hpp).
// An output file is described as a list of pieces (input ranges, literal bytes, the store slot),
// so the hard binding can be hashed over the exact output bytes before anything is written, and
// the output is then streamed once. Internal to the library.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "formats/formats.hpp"
#include "veritrace/core.hpp"

namespace veritrace::formats {

struct Piece {
  enum class Kind { Input, Literal, Store };
  Kind kind = Kind::Input;
  uint64_t offset = 0;  // Input: offset in the input
  uint64_t length = 0;  // Input and Store: length; Literal: bytes.size()
  std::vector<uint8_t> bytes;  // Literal
};

struct EmbedLayout {
  Format format = Format::Unknown;
  std::vector<Piece> pieces;
  uint64_t store_size = 0;            // the store slot's exact size in bytes
  uint64_t store_offset = 0;          // where the store's first byte lands in the output
  std::vector<ByteRange> carrier;     // output ranges holding the store and its container headers:
                                      // what c2pa.hash.data excludes
  uint64_t output_size() const;
};

// Plans the output: `input` with any existing C2PA store removed and a store of exactly
// `store_size` bytes inserted where the format puts it (JPEG: APP11 segments after SOI and any
// APP0/APP1; PNG: caBX chunk after IHDR; WAV: 'C2PA' chunk at the end, RIFF size updated; BMFF:
// top-level 'uuid' box, with chunk offsets (stco/co64, tfhd/trun base offsets where needed)
// patched if boxes move). Throws Error(Unsupported) for formats we cannot embed into, and
// Error(Malformed) for inputs whose structure is broken.
EmbedLayout plan_embedding(const ByteSource& input, Format format, uint64_t store_size);

// The output as a ByteSource (for hashing before writing); the store slot reads as `store`, or
// as zeros while `store` is empty.
std::unique_ptr<ByteSource> layout_source(const ByteSource& input, const EmbedLayout& layout,
                                          std::span<const uint8_t> store);

// Streams the output to `fd` (already open for writing), then nothing else; the caller handles
// temporary files and renames. Throws Error(Output) on write failure.
void write_layout(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd);

}  // namespace veritrace::formats
