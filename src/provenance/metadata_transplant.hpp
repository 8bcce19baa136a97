// Carrying a file's descriptive metadata over to a re-encoded copy of its pixels (the watermark
// changes pixels, and a re-encode would otherwise drop EXIF, XMP, ICC profiles and text).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace veritrace::provenance::detail {

// JPEG: APP1..APP15 except APP11 (C2PA JUMBF) and COM segments of `original` (those before its
// first scan) are inserted into `encoded` after its SOI and JFIF APP0. Malformed originals give
// `encoded` unchanged.
std::vector<uint8_t> transplant_jpeg_metadata(std::span<const uint8_t> original, std::vector<uint8_t> encoded);

// PNG: iCCP, sRGB, gAMA, cHRM, pHYs, eXIf, tIME, tEXt, zTXt and iTXt chunks of `original` are
// inserted into `encoded` after its IHDR (never caBX, the C2PA chunk).
std::vector<uint8_t> transplant_png_metadata(std::span<const uint8_t> original, std::vector<uint8_t> encoded);

}  // namespace veritrace::provenance::detail
