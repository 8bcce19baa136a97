// Writing C2PA manifest stores into containers (the signing side of formats.hpp).
// An output file is described as a list of pieces (input ranges, literal bytes, the store slot),
// so the hard binding can be hashed over the exact output bytes before anything is written, and
// the output is then streamed once. Internal to the library.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "formats/formats.hpp"
#include "veritrace/core.hpp"

namespace veritrace::formats {

struct Piece {
  // Store: a slice of the store (JPEG splits it over several segments and repeats its first 8
  // bytes in each continuation segment). StoreCrc32: the big-endian CRC-32 of `bytes` followed by
  // the whole store (a PNG chunk's CRC, which depends on the store).
  enum class Kind { Input, Literal, Store, StoreCrc32 };
  Kind kind = Kind::Input;
  uint64_t offset = 0;  // Input: offset in the input; Store: offset in the store
  uint64_t length = 0;  // Input and Store: length; Literal: bytes.size(); StoreCrc32: 4
  std::vector<uint8_t> bytes;  // Literal; StoreCrc32: the bytes hashed before the store
};

struct EmbedLayout {
  Format format = Format::Unknown;
  std::vector<Piece> pieces;
  uint64_t store_size = 0;            // the store slot's exact size in bytes
  uint64_t store_offset = 0;          // where the store's first byte lands in the output
  std::vector<ByteRange> carrier;     // output ranges holding the store and its container headers,
                                      // one per segment/chunk/box, as find_c2pa reports them
  uint64_t output_size() const;
};

// Plans the output: `input` with any existing C2PA store removed and a store of exactly
// `store_size` bytes inserted where c2pa-rs 0.90 puts it (JPEG: APP11 segments in place of the
// old store, else after the last APP0, else after SOI; PNG: caBX chunk after IHDR; WAV/WebP/AVI:
// 'C2PA' chunk at the end of the RIFF form, RIFF size updated; BMFF: top-level C2PA 'uuid' box in
// place of the old one, else after 'ftyp', with moved absolute offsets patched: stco/co64/saio,
// tfhd base offsets, tfra, HEIF iloc). Throws Error(Unsupported) for formats we cannot embed
// into (and RF64, BMFF update manifests), Error(Malformed) for inputs whose structure is broken.
EmbedLayout plan_embedding(const ByteSource& input, Format format, uint64_t store_size);

// The output as a ByteSource (for hashing before writing); the store slot reads as `store`, or
// as zeros while `store` is empty. `input` must outlive the returned source.
std::unique_ptr<ByteSource> layout_source(const ByteSource& input, const EmbedLayout& layout,
                                          std::span<const uint8_t> store);

// Streams the output to `fd` (already open for writing), then nothing else; the caller handles
// temporary files and renames. Throws Error(Output) on write failure.
void write_layout(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd);

// The same, showing every written chunk to `observer` (position in the output, bytes) before it is
// written: the signer hashes the output while writing it, with an empty store (zeros) ...
using OutputObserver = std::function<void(uint64_t position, std::span<const uint8_t> bytes)>;
void write_layout(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd,
                  const OutputObserver& observer);
// The same output (store slot zeroed) and the same observer calls, faster for large files: the
// observer is shown the input's own bytes where it can (a memory source in place; a regular file
// through mmap windows, see core/mapped_file.hpp), and input pieces are copied into `fd` by the
// kernel (copy_file_range; pread + write where that is not possible). With `parallel`, the output
// is written on a second thread while the observer runs on this one. The observer may only hash
// the bytes it is given (Hasher::update guards mapped ones), never copy or keep them. Throws
// Error(Output) on write failure, Error(Io) when the input changes while it is read.
void write_layout_hashed(const ByteSource& input, const EmbedLayout& layout, int fd, const OutputObserver& observer,
                         bool parallel);
// ... and then writes the finished store, and what depends on it (a PNG chunk CRC), into its
// slot with pwrite. `store` must have the planned size.
void patch_store(const ByteSource& input, const EmbedLayout& layout, std::span<const uint8_t> store, int fd);

// The exclusion c2pa-rs records in c2pa.hash.data for this layout: one range from the first to
// the last byte of the carrier (JPEG: all APP11 segments, markers included; PNG: the whole caBX
// chunk; RIFF: the C2PA chunk header and data, without its pad byte; BMFF and sidecars: the
// carrier, though BMFF assets are bound with c2pa.hash.bmff instead).
std::vector<ByteRange> data_hash_exclusions(const EmbedLayout& layout);

// One entry of a c2pa.hash.bmff exclusions list (C2PA 2.x, ExclusionsMap).
struct BmffExclusion {
  struct DataMatch {
    uint64_t offset = 0;  // from the start of the box
    std::vector<uint8_t> value;
  };
  struct Subset {
    uint64_t offset = 0;
    uint64_t length = 0;  // 0: to the end of the box
  };
  std::string xpath;
  std::optional<uint64_t> length;
  std::vector<DataMatch> data;
  std::vector<Subset> subset;
  std::optional<uint8_t> version;
  std::optional<std::array<uint8_t, 3>> flags;
  std::optional<bool> exact;
};

// The exclusions c2pa-rs 0.90 writes by default in c2pa.hash.bmff.v3, in its order: the C2PA
// 'uuid' box (data match on its UUID at offset 8), /ftyp, /mfra, /free, /skip.
std::vector<BmffExclusion> default_bmff_exclusions();

}  // namespace veritrace::formats
