// Our own reader of PNG text chunks (tEXt, zTXt, iTXt) for the metadata detector.
//
// Hostile input is the normal case: every length is checked against the bytes left, the number of
// chunks and text chunks is capped, compressed text is inflated with a hard cap per chunk and in
// total (a decompression bomb is refused with a note, its output never allocated past the cap), and
// a CRC mismatch is noted but does not stop the walk. Nothing here throws for bad input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace veritrace::detect::png_text {

struct Limits {
  size_t max_chunks = 100'000;                   // chunk headers walked before giving up
  size_t max_text_chunks = 512;                  // text chunks kept
  size_t max_inflated_per_chunk = 8u << 20;      // one zTXt / compressed iTXt
  size_t max_inflated_total = 16u << 20;         // all compressed text of the file together
  size_t max_text_bytes_total = 32u << 20;       // all text kept (compressed or not)
};

struct TextChunk {
  std::string type;                // "tEXt", "zTXt" or "iTXt"
  std::string keyword;             // UTF-8 (Latin-1 keyword converted)
  std::string language;            // iTXt only
  std::string translated_keyword;  // iTXt only, UTF-8 (sanitised)
  std::string text;                // UTF-8: Latin-1 of tEXt/zTXt converted, iTXt sanitised
  bool compressed = false;
  bool crc_ok = true;
  size_t offset = 0;               // of the chunk's length field in the file
};

struct Result {
  bool is_png = false;              // the 8-byte signature was there
  uint32_t width = 0, height = 0;   // IHDR, when present
  size_t chunk_count = 0;           // chunks walked
  size_t crc_mismatches = 0;
  bool truncated = false;           // a chunk ran past the end of the buffer
  bool saw_iend = false;
  size_t inflated_total = 0;        // bytes produced by inflating compressed text
  size_t refused_chunks = 0;        // compressed text refused (over a cap, or corrupt)
  std::vector<TextChunk> chunks;
  std::vector<std::string> other_chunk_types;  // ancillary chunk types seen besides text (unique, capped)
  std::vector<std::string> notes;               // plain sentences: refusals, truncation, CRC mismatches
};

// Never throws for bad input (std::bad_alloc aside); never reads outside `bytes`.
Result parse(std::span<const uint8_t> bytes, const Limits& limits = {});

// zlib stream -> bytes, at most `cap` bytes of output. Returns false (and leaves `out` empty) when
// the stream is corrupt, incomplete, or would inflate past `cap` (`over_cap` tells which).
bool inflate_capped(std::span<const uint8_t> in, size_t cap, std::string& out, bool& over_cap);

// Text helpers shared with the detector.
std::string latin1_to_utf8(std::span<const uint8_t> bytes);
std::string sanitize_utf8(std::string_view s);  // invalid sequences and NULs -> U+FFFD

}  // namespace veritrace::detect::png_text
