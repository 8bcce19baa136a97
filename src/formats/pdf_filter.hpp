// PDF stream filters (ISO 32000-1 §7.4): FlateDecode with the PNG and TIFF predictors, which is
// what cross-reference streams, object streams and embedded files use. Internal to src/formats.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/pdf_object.hpp"

namespace veritrace::formats::pdf {

// A decoded stream may be at most this many times its encoded size (plus a floor), whatever cap
// the caller gives: a few hundred bytes of Flate cannot become gigabytes.
inline constexpr uint64_t kMaxExpansion = 256;
inline constexpr uint64_t kExpansionFloor = 16u << 20;

// Inflates a zlib stream of `length` bytes at `offset`, read in chunks. Throws Error(Malformed)
// on corrupt data or when the output would exceed `cap` or the expansion limit. Data that ends
// before the zlib end marker yields what was decoded (as PDF readers generally do).
std::vector<uint8_t> flate_decode(const ByteSource& src, uint64_t offset, uint64_t length, uint64_t cap);

// Undoes a predictor (/DecodeParms /Predictor 2 or 10-15) in place of `data`.
std::vector<uint8_t> unpredict(const ByteSource& src, std::vector<uint8_t> data, const Object& parms);

// The stream's data after its /Filter chain (none, or FlateDecode; other filters throw
// Error(Unsupported)), at most `cap` bytes.
std::vector<uint8_t> decode_stream(const ByteSource& src, const Object& dict, uint64_t offset, uint64_t length,
                                   uint64_t cap);

}  // namespace veritrace::formats::pdf
