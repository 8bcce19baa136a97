// Thumbnails for C2PA claims and ingredients (c2pa.thumbnail.claim / c2pa.thumbnail.ingredient).
// Internal to the library.
//
//   auto t = thumbnail::make_thumbnail(src, formats::Format::Jpeg);   // nullopt: no thumbnail
//   if (t) embed(t->data, t->media_type);                              // JPEG bytes, "image/jpeg"
//
// Fast mode (options.fast, the signer's default): a JPEG's own embedded preview (an MPF large
// thumbnail or the EXIF IFD1 thumbnail, with the main image's aspect ratio) is used when it is at
// least max_side on its long side; otherwise the pixels are decoded when that is cheap (JPEG files
// up to kQuickJpegBytes, PNGs up to kQuickPngPixels); otherwise a smaller embedded preview (long side
// >= kMinPreviewSide) is used; otherwise there is no thumbnail and outcome.skipped_large is set.
// Without fast mode the pixels are always decoded (up to kMaxPixels), as c2pa-rs does.
//
// Inputs: JPEG (TurboJPEG: decoded at the DCT scale 1/1, 1/2, 1/4 or 1/8 whose long side is the
// smallest still >= max_side, then box-filtered; EXIF orientation applied; CMYK/YCCK converted
// naively, assuming Adobe's inverted CMYK) and PNG (libpng, rows streamed into a box filter: every
// bit depth and colour type, palette and tRNS, 16 bits stripped to 8, alpha composited on white,
// Adam7 passes accumulated as they arrive; memory is a few rows plus the output grid). Gamma and
// ICC profiles are ignored. Every other format (WAV, MP4/MOV, HEIF, TIFF, GIF, ...) gives nullopt:
// no video-frame or other thumbnails yet.
//
// Hostile input: never throws, never aborts. Images over kMaxPixels (or wider/taller than
// kMaxDimension) give nullopt before any pixel buffer is allocated; decoder errors and warnings
// (truncated or corrupt data, bad CRCs of critical chunks) give nullopt; libjpeg's errors stay
// inside TurboJPEG (which returns them); libpng's error handler longjmps only over frames that hold
// no C++ objects. A progressive JPEG may make libjpeg hold its coefficients (about 3 bytes per
// pixel at 4:2:0, so up to ~300 MB at the pixel limit); scans are limited (TJFLAG_LIMITSCANS).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/formats.hpp"
#include "veritrace/core.hpp"

namespace veritrace::thumbnail {

inline constexpr uint64_t kMaxPixels = 100'000'000;     // 100 MP
inline constexpr uint32_t kMaxDimension = 1'000'000;    // per side (PNG; JPEG is <= 65535)
inline constexpr uint64_t kMaxJpegBytes = 256ull << 20;  // the JPEG is decoded from memory
inline constexpr int kQuality = 80;                      // JPEG quality, 4:2:0
// Fast-mode budgets: decoding costs about 10 ms of CPU per MB of JPEG entropy data here (q95 noise,
// 4000x3000, 9.96 MB: ~100 ms) and about 15 ms per megapixel of PNG; see docs/benchmarks.md.
inline constexpr uint64_t kQuickJpegBytes = 2ull << 20;
inline constexpr uint64_t kQuickPngPixels = 2'000'000;
inline constexpr int kMinPreviewSide = 160;              // the usual EXIF thumbnail is 160x120
inline constexpr uint64_t kMaxPreviewBytes = 16ull << 20;

enum class ThumbnailSource { Pixels, EmbeddedPreview };

struct Thumbnail {
  std::vector<uint8_t> data;  // a baseline JPEG
  std::string media_type = "image/jpeg";
  int width = 0;
  int height = 0;
  ThumbnailSource source = ThumbnailSource::Pixels;
};

struct ThumbnailOptions {
  int max_side = 1024;  // clamped to [16, 8192]
  bool fast = false;    // see above: embedded previews, pixels only within the budgets
};

struct ThumbnailOutcome {
  bool skipped_large = false;  // fast mode gave no thumbnail because decoding would exceed the budget
};

// A thumbnail whose long side is at most max_side (clamped to [16, 8192]); the aspect ratio is
// kept, an image already small enough keeps its size. nullopt for other formats and bad input.
std::optional<Thumbnail> make_thumbnail(const ByteSource& src, formats::Format format, int max_side = 1024);
std::optional<Thumbnail> make_thumbnail(const ByteSource& src, formats::Format format, const ThumbnailOptions& options,
                                        ThumbnailOutcome* outcome = nullptr);

}  // namespace veritrace::thumbnail
