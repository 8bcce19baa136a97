// PNG thumbnails through libpng's row API, streamed: one row at a time goes into a box filter.
//
// libpng reports errors by longjmp. The two functions that call setjmp (read_header, read_rows)
// hold only trivially destructible locals, and everything libpng calls back into (read_data, the
// error and warning handlers) reaches png_error/png_longjmp with no C++ object alive on its frame:
// C++ objects (buffers, the accumulator) live in png_thumbnail, which the longjmp never crosses.
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>

#include "thumbnail/internal.hpp"

namespace veritrace::thumbnail::detail {

namespace {

struct Io {  // trivially destructible: lives in png_thumbnail, used through a pointer
  const ByteSource* src;
  uint64_t size;
  uint64_t pos;   // file offset of buf[0]
  uint8_t* buf;
  size_t cap;
  size_t have;    // valid bytes in buf
  size_t off;     // next byte in buf
};

// Copies n bytes; false at the end of the file or on a read error (never throws).
bool io_read(Io* io, uint8_t* out, size_t n) noexcept {
  while (n > 0) {
    if (io->off == io->have) {
      io->pos += io->have;
      io->have = io->off = 0;
      if (io->pos >= io->size) return false;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(io->cap, io->size - io->pos));
      try {
        io->src->read_at(io->pos, std::span<uint8_t>(io->buf, want));
      } catch (...) {
        return false;
      }
      io->have = want;
    }
    const size_t k = std::min(n, io->have - io->off);
    std::memcpy(out, io->buf + io->off, k);
    io->off += k;
    out += k;
    n -= k;
  }
  return true;
}

void read_data(png_structp png, png_bytep out, size_t n) {
  if (!io_read(static_cast<Io*>(png_get_io_ptr(png)), out, n)) png_error(png, "read failed");
}
void on_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }  // silent: no stderr
void on_warning(png_structp, png_const_charp) {}

struct Header {
  png_uint_32 width = 0, height = 0;
  int interlace = 0;
  size_t rowbytes = 0;
  int channels = 0;
};

// Reads the chunks up to the image data and sets the transforms: 8-bit RGB or RGBA rows.
bool read_header(png_structp png, png_infop info, Header* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (w == 0 || h == 0 || uint64_t{w} * h > kMaxPixels) return false;
  const int color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_read_update_info(png, info);  // no png_set_interlace_handling: Adam7 passes come one by one
  out->width = w;
  out->height = h;
  out->interlace = png_get_interlace_type(png, info);
  out->rowbytes = png_get_rowbytes(png, info);
  out->channels = png_get_channels(png, info);
  return out->channels == 3 || out->channels == 4;
}

struct RowSink {  // trivially destructible view of png_thumbnail's buffers
  uint8_t* row;
  uint8_t* rgb;  // the row composited on white
  int channels;
  BoxAccumulator* acc;
};

void consume(const RowSink& s, uint32_t y, uint32_t x0, uint32_t dx, uint32_t n) {
  const uint8_t* px = s.row;
  if (s.channels == 4) {
    for (uint32_t i = 0; i < n; ++i, px += 4) {
      const uint32_t a = px[3];
      for (int c = 0; c < 3; ++c) s.rgb[i * 3 + static_cast<uint32_t>(c)] = static_cast<uint8_t>((px[c] * a + 255 * (255 - a) + 127) / 255);
    }
    px = s.rgb;
  }
  s.acc->add(y, x0, dx, px, n);
}

void rows(png_structp png, const Header& hd, const RowSink& sink) {
  if (hd.interlace == PNG_INTERLACE_NONE) {
    for (png_uint_32 y = 0; y < hd.height; ++y) {
      png_read_row(png, sink.row, nullptr);
      consume(sink, y, 0, 1, hd.width);
    }
    return;
  }
  for (int pass = 0; pass < 7; ++pass) {
    const png_uint_32 cols = PNG_PASS_COLS(hd.width, pass), nrows = PNG_PASS_ROWS(hd.height, pass);
    if (cols == 0 || nrows == 0) continue;  // libpng skips empty passes too
    for (png_uint_32 r = 0; r < nrows; ++r) {
      png_read_row(png, sink.row, nullptr);
      const png_uint_32 y = PNG_PASS_START_ROW(pass) + (r << PNG_PASS_ROW_SHIFT(pass));
      consume(sink, y, PNG_PASS_START_COL(pass), 1u << PNG_PASS_COL_SHIFT(pass), cols);
    }
  }
}

bool read_rows(png_structp png, const Header* hd, const RowSink* sink) {
  if (setjmp(png_jmpbuf(png))) return false;
  rows(png, *hd, *sink);
  return true;
}

struct PngRead {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngRead() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

}  // namespace

std::optional<Thumbnail> png_thumbnail(const ByteSource& src, const ThumbnailOptions& options, ThumbnailOutcome& outcome) {
  std::vector<uint8_t> iobuf(64 << 10);
  Io io{&src, src.size(), 0, iobuf.data(), iobuf.size(), 0, 0};
  uint8_t sig[8];
  if (!io_read(&io, sig, 8) || png_sig_cmp(sig, 0, 8) != 0) return std::nullopt;

  PngRead r;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, on_error, on_warning);
  if (!r.png) return std::nullopt;
  r.info = png_create_info_struct(r.png);
  if (!r.info) return std::nullopt;
  png_set_read_fn(r.png, &io, read_data);
  png_set_sig_bytes(r.png, 8);
  png_set_user_limits(r.png, kMaxDimension, kMaxDimension);
  png_set_chunk_malloc_max(r.png, 8u << 20);
  // Ancillary chunks a thumbnail does not need are skipped unread (text, ICC, EXIF, C2PA, ...).
  png_set_keep_unknown_chunks(r.png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  static const png_byte kSkip[] = "iCCP\0iTXt\0tEXt\0zTXt\0sPLT\0eXIf\0tIME\0pCAL\0sCAL\0hIST\0oFFs\0pHYs\0sBIT\0cHRM\0";
  png_set_keep_unknown_chunks(r.png, PNG_HANDLE_CHUNK_NEVER, kSkip, static_cast<int>(sizeof(kSkip) / 5));

  Header hd;
  if (!read_header(r.png, r.info, &hd)) return std::nullopt;
  if (options.fast && uint64_t{hd.width} * hd.height > kQuickPngPixels) {  // PNG has no preview to fall back on
    outcome.skipped_large = true;
    return std::nullopt;
  }
  auto [tw, th] = target_size(hd.width, hd.height, options.max_side);
  std::vector<uint8_t> row(hd.rowbytes);
  std::vector<uint8_t> rgb(hd.channels == 4 ? size_t{hd.width} * 3 : 0);
  BoxAccumulator acc(hd.width, hd.height, tw, th, hd.interlace == PNG_INTERLACE_NONE);
  RowSink sink{row.data(), rgb.data(), hd.channels, &acc};
  if (!read_rows(r.png, &hd, &sink)) return std::nullopt;
  return encode_jpeg(acc.finish());
}

}  // namespace veritrace::thumbnail::detail
