// Shared by the JPEG and PNG thumbnail decoders: the output size, a box filter fed row by row,
// EXIF orientation and the JPEG encoder.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "thumbnail/thumbnail.hpp"

namespace veritrace::thumbnail::detail {

struct Image {  // 8-bit RGB, rows packed
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// The thumbnail size for a w x h image: the long side becomes max_side (if larger), the short side
// follows the aspect ratio (rounded, at least 1).
std::pair<int, int> target_size(uint64_t w, uint64_t h, int max_side);

// Area average of a w x h RGB image onto tw x th cells (tw <= w, th <= h). Pixels may arrive in any
// order (Adam7 passes): add() takes one row's pixels at x = x0, x0 + dx, ... Memory: the output
// grid's sums (12 bytes a cell) plus index tables. Sequential mode (whole rows, in order) keeps
// one output row of sums instead of the grid.
class BoxAccumulator {
 public:
  BoxAccumulator(uint32_t w, uint32_t h, int tw, int th, bool sequential = false);
  void add(uint32_t y, uint32_t x0, uint32_t dx, const uint8_t* rgb, uint32_t n);
  Image finish();

 private:
  void add_full_row(uint32_t* sums, const uint8_t* rgb) const;
  void emit_row(size_t oy, const uint32_t* sums);
  bool sequential_;
  uint32_t w_, h_;
  int tw_, th_;
  size_t cur_oy_ = 0;
  Image out_;
  std::vector<uint32_t> xcell_;   // source column -> output column
  std::vector<uint32_t> xstart_;  // output column -> its first source column (tw + 1 entries)
  std::vector<uint32_t> xcount_;  // source columns per output column
  std::vector<uint32_t> ycount_;
  std::vector<uint32_t> sums_;
};

// A whole RGB image box-filtered to tw x th.
Image downscale(const uint8_t* rgb, int w, int h, int tw, int th);

// EXIF orientation (1..8) applied so the image displays upright.
Image apply_orientation(Image img, int orientation);

std::optional<Thumbnail> encode_jpeg(const Image& img);

// Where a JPEG's embedded previews are: the EXIF IFD1 thumbnail and MPF large thumbnails, found in
// `head` (the file's first bytes, segments before the first scan); offsets are file offsets.
struct PreviewRef {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool from_mpf = false;
};
std::vector<PreviewRef> find_jpeg_previews(std::span<const uint8_t> head, uint64_t file_size);

std::optional<Thumbnail> jpeg_thumbnail(const ByteSource& src, const ThumbnailOptions& options, ThumbnailOutcome& outcome);
std::optional<Thumbnail> png_thumbnail(const ByteSource& src, const ThumbnailOptions& options, ThumbnailOutcome& outcome);

}  // namespace veritrace::thumbnail::detail
