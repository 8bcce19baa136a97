// Internal helpers of the media module: one decoder per codec, each taking the whole file in memory.
#pragma once
#include <cstdint>
#include <span>

#include "veritrace/media.hpp"

namespace veritrace::media::detail {

Image decode_jpeg(std::span<const uint8_t> bytes, const DecodeOptions& options);
Image decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options);
Image decode_webp(std::span<const uint8_t> bytes, const DecodeOptions& options);

// The EXIF orientation (1..8) of a JPEG's first APP1 Exif segment before the scan; 1 if none.
int jpeg_exif_orientation(std::span<const uint8_t> jpeg);
// Rotates/mirrors so that the image is upright (EXIF orientation 1).
Image apply_orientation(Image image, int orientation);

// Throws Error(Unsupported) when width x height exceeds the limit or a side is not positive.
void check_dimensions(uint64_t width, uint64_t height, uint64_t max_pixels, const char* format);

}  // namespace veritrace::media::detail
