// PNG through libpng's classic API. libpng reports errors by longjmp; the functions that call
// setjmp hold no C++ objects with destructors in their frame (the pixel buffer belongs to the
// caller), so the jump skips nothing. 16-bit samples are reduced to 8 (png_set_strip_16, as OpenCV
// does); palette, low bit depths and tRNS are expanded; gamma and ICC profiles are ignored.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <fmt/format.h>

#include "media/internal.hpp"

namespace veritrace::media {

namespace {

struct ReadCursor {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

struct ErrorSink {
  char message[256] = "unknown libpng error";
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  if (sink) std::snprintf(sink->message, sizeof sink->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void read_from_cursor(png_structp png, png_bytep out, png_size_t n) {
  auto* c = static_cast<ReadCursor*>(png_get_io_ptr(png));
  if (n > c->size - c->pos) png_error(png, "truncated PNG data");
  std::memcpy(out, c->data + c->pos, n);
  c->pos += n;
}

constexpr png_uint_32 kMaxRowPixels = 1u << 20;  // bounds libpng's row buffers (8 MB at most)

// Pixels need only IHDR, PLTE, tRNS and IDAT. libpng would read every other known chunk whole into
// memory first (a tEXt chunk claiming 2 GB made it allocate 2 GB despite the chunk limit; found by
// fuzz_detect), so they are skipped unread, as unknown chunks are. Text and metadata are parsed
// elsewhere with their own bounds (detect/png_text, exiv2).
void ignore_ancillary_chunks(png_structp png) {
  static const png_byte kSkipped[] = "tEXt\0zTXt\0iTXt\0iCCP\0eXIf\0sPLT\0tIME\0pCAL\0sCAL\0hIST\0sBIT\0pHYs\0oFFs\0cHRM\0gAMA\0sRGB\0bKGD";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kSkipped, static_cast<int>(sizeof(kSkipped) / 5));
}

struct Header {
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  int bit_depth = 0;
};

// Reads the header and sets up the transforms; returns false after a libpng error.
bool read_header(png_structp png, png_infop info, const DecodeOptions& options, Header& h) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(png, 64u << 20);
  ignore_ancillary_chunks(png);
  png_read_info(png, info);
  h.width = png_get_image_width(png, info);
  h.height = png_get_image_height(png, info);
  h.bit_depth = png_get_bit_depth(png, info);
  // Stop before png_read_update_info(): it allocates a row buffer of up to 8 bytes per pixel of
  // width (a 1-row PNG 200 million pixels wide cost 1.6 GB there, found by fuzz_detect). The
  // caller's check_dimensions() then refuses the image with the pixel-limit message.
  if (h.width == 0 || h.height == 0 || static_cast<uint64_t>(h.width) * h.height > options.max_pixels) return true;
  if (h.width > kMaxRowPixels) png_error(png, "image wider than 1,048,576 pixels");
  const int color_type = png_get_color_type(png, info);
  if (h.bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && h.bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  const bool has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  const bool gray = (color_type & PNG_COLOR_MASK_COLOR) == 0;
  bool alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;
  if (options.force_rgb) {
    if (alpha) png_set_strip_alpha(png);
    alpha = false;
  } else if (has_trns) {
    png_set_tRNS_to_alpha(png);
  }
  if (gray && (alpha || options.force_rgb)) png_set_gray_to_rgb(png);
  h.channels = alpha ? 4 : (gray && !options.force_rgb ? 1 : 3);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != h.channels) png_error(png, "unexpected channel count after transforms");
  return true;
}

bool read_rows(png_structp png, uint8_t* pixels, size_t stride, png_uint_32 height,
               std::vector<png_bytep>& rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = pixels + y * stride;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  return true;
}

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ErrorSink sink;
  PngReader() {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_error, on_png_warning);
    if (png) info = png_create_info_struct(png);
    if (!png || !info) throw Error(ErrorKind::Internal, "libpng could not be initialised");
  }
  ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;
};

}  // namespace

namespace detail {

Image decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  PngReader r;
  ReadCursor cursor{bytes.data(), bytes.size(), 0};
  png_set_read_fn(r.png, &cursor, read_from_cursor);
  Header h;
  if (!read_header(r.png, r.info, options, h)) throw Error(ErrorKind::Malformed, fmt::format("PNG: {}", r.sink.message));
  check_dimensions(h.width, h.height, options.max_pixels, "PNG");
  Image image;
  image.width = static_cast<int>(h.width);
  image.height = static_cast<int>(h.height);
  image.channels = h.channels;
  image.source_format = "png";
  image.source_bit_depth = h.bit_depth == 16 ? 16 : 8;
  const size_t stride = static_cast<size_t>(h.width) * h.channels;
  image.pixels.resize(stride * h.height);
  std::vector<png_bytep> rows(h.height);
  if (!read_rows(r.png, image.pixels.data(), stride, h.height, rows))
    throw Error(ErrorKind::Malformed, fmt::format("PNG: {}", r.sink.message));
  return image;
}

}  // namespace detail

namespace {

void write_to_vector(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

void flush_nothing(png_structp) {}

bool write_png(png_structp png, png_infop info, const Image& image, std::vector<uint8_t>* out,
               std::vector<png_bytep>& rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, out, write_to_vector, flush_nothing);
  const int color_type = image.channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : image.channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA
                                               : PNG_COLOR_TYPE_RGB;
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8, color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y) rows[y] = const_cast<png_bytep>(image.row(y));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
  if (image.empty()) throw Error(ErrorKind::Usage, "cannot encode an empty image");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw Error(ErrorKind::Usage, fmt::format("cannot encode a {}-channel image as PNG", image.channels));
  ErrorSink sink;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    throw Error(ErrorKind::Internal, "libpng could not be initialised");
  }
  std::vector<uint8_t> out;
  std::vector<png_bytep> rows(static_cast<size_t>(image.height));
  const bool ok = write_png(png, info, image, &out, rows);
  png_destroy_write_struct(&png, &info);
  if (!ok) throw Error(ErrorKind::Internal, fmt::format("PNG encoding failed: {}", sink.message));
  return out;
}

}  // namespace veritrace::media
