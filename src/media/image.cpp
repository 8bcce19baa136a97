// Format sniffing, dispatch, orientation and the channel conversions shared by the codecs.
#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "media/internal.hpp"

namespace veritrace::media {

namespace detail {

void check_dimensions(uint64_t width, uint64_t height, uint64_t max_pixels, const char* format) {
  if (width == 0 || height == 0)
    throw Error(ErrorKind::Malformed, fmt::format("{} image has an empty size ({}x{})", format, width, height));
  if (width > (1u << 30) || height > (1u << 30) || width * height > max_pixels)
    throw Error(ErrorKind::Unsupported,
                fmt::format("{} image is {}x{} pixels, over the limit of {} pixels", format, width, height,
                            max_pixels));
}

namespace {

uint32_t get16(const uint8_t* p, bool le) { return le ? (p[0] | (p[1] << 8)) : ((p[0] << 8) | p[1]); }
uint32_t get32(const uint8_t* p, bool le) {
  return le ? (uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24))
            : ((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]});
}

int orientation_from_tiff(const uint8_t* t, size_t n) {
  if (n < 8) return 1;
  bool le;
  if (t[0] == 'I' && t[1] == 'I') le = true;
  else if (t[0] == 'M' && t[1] == 'M') le = false;
  else return 1;
  const uint64_t ifd = get32(t + 4, le);
  if (ifd + 2 > n) return 1;
  const uint32_t count = get16(t + ifd, le);
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t e = ifd + 2 + uint64_t{i} * 12;
    if (e + 12 > n) return 1;
    if (get16(t + e, le) == 0x0112 && get16(t + e + 2, le) == 3) {  // Orientation, SHORT
      const uint32_t v = get16(t + e + 8, le);
      return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
    }
  }
  return 1;
}

}  // namespace

int jpeg_exif_orientation(std::span<const uint8_t> j) {
  size_t pos = 2;
  while (pos + 4 <= j.size()) {
    if (j[pos] != 0xFF) return 1;
    const uint8_t marker = j[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // the scan starts: no EXIF before it
    const size_t len = (size_t{j[pos + 2]} << 8) | j[pos + 3];
    if (len < 2 || pos + 2 + len > j.size()) return 1;
    const uint8_t* seg = j.data() + pos + 4;
    const size_t n = len - 2;
    if (marker == 0xE1 && n >= 14 && std::memcmp(seg, "Exif\0\0", 6) == 0) return orientation_from_tiff(seg + 6, n - 6);
    pos += 2 + len;
  }
  return 1;
}

Image apply_orientation(Image in, int orientation) {
  if (orientation <= 1 || orientation > 8) return in;
  // Orientations 5..8 swap the axes. For each output pixel (x, y) find the stored pixel.
  const bool swap = orientation >= 5;
  Image out = in;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  const int c = in.channels;
  const int W = in.width, H = in.height;
  for (int y = 0; y < out.height; ++y) {
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = W - 1 - x; break;                      // mirrored horizontally
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;      // rotated 180
        case 4: sy = H - 1 - y; break;                      // mirrored vertically
        case 5: sx = y; sy = x; break;                      // transposed
        case 6: sx = y; sy = H - 1 - x; break;              // rotate 90 clockwise to view
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;      // transverse
        case 8: sx = W - 1 - y; sy = x; break;              // rotate 90 counter-clockwise to view
        default: break;
      }
      std::memcpy(dst + static_cast<size_t>(x) * c, in.row(sy) + static_cast<size_t>(sx) * c, c);
    }
  }
  return out;
}

}  // namespace detail

namespace {

ImageFormat sniff(std::span<const uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::Jpeg;
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (b.size() >= 8 && std::memcmp(b.data(), png_sig, 8) == 0) return ImageFormat::Png;
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(b.data() + 8, "WEBP", 4) == 0)
    return ImageFormat::WebP;
  return ImageFormat::Unknown;
}

}  // namespace

ImageFormat sniff_image_format(const ByteSource& src) {
  uint8_t head[12] = {};
  const size_t n = static_cast<size_t>(std::min<uint64_t>(src.size(), sizeof head));
  src.read_at(0, std::span<uint8_t>(head, n));
  return sniff(std::span<const uint8_t>(head, n));
}

namespace {

ImageFormat checked_format(const ByteSource& src) {
  const ImageFormat format = sniff_image_format(src);
  if (format == ImageFormat::Unknown)
    throw Error(ErrorKind::Unsupported, "not a JPEG, PNG or WebP image (detected by content)");
  if (src.size() > kMaxEncodedBytes)
    throw Error(ErrorKind::Unsupported,
                fmt::format("image file is {} bytes, over the limit of {} bytes", src.size(), kMaxEncodedBytes));
  return format;
}

}  // namespace

std::vector<uint8_t> read_encoded_image(const ByteSource& src) {
  checked_format(src);
  return src.read_vector(0, src.size());
}

Image decode_image(const ByteSource& src, const DecodeOptions& options) {
  const ImageFormat format = checked_format(src);
  std::vector<uint8_t> owned;
  std::span<const uint8_t> bytes;
  if (const uint8_t* p = src.contiguous_data()) {
    bytes = std::span<const uint8_t>(p, static_cast<size_t>(src.size()));
  } else {
    owned = src.read_vector(0, src.size());
    bytes = owned;
  }
  Image image;
  switch (format) {
    case ImageFormat::Jpeg: image = detail::decode_jpeg(bytes, options); break;
    case ImageFormat::Png: image = detail::decode_png(bytes, options); break;
    case ImageFormat::WebP: image = detail::decode_webp(bytes, options); break;
    case ImageFormat::Unknown: break;
  }
  if (options.force_rgb && image.channels != 3) image = to_rgb(image);
  return image;
}

Image decode_image_file(const std::string& path, const DecodeOptions& options) {
  auto src = open_file_source(path);
  return decode_image(*src, options);
}

Image to_rgb(const Image& image) {
  if (image.channels == 3) return image;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = 3;
  out.source_format = image.source_format;
  out.source_bit_depth = image.source_bit_depth;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  out.pixels.resize(n * 3);
  const int c = image.channels;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = image.pixels.data() + i * c;
    uint8_t* d = out.pixels.data() + i * 3;
    if (c == 1) {
      d[0] = d[1] = d[2] = s[0];
    } else {
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
  return out;
}

std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, int quality) {
  switch (format) {
    case ImageFormat::Jpeg: return encode_jpeg(image, quality, Subsampling::S420);
    case ImageFormat::Png: return encode_png(image);
    case ImageFormat::WebP: return encode_webp(image, quality);
    case ImageFormat::Unknown: break;
  }
  throw Error(ErrorKind::Unsupported, "cannot encode an image of unknown format");
}

}  // namespace veritrace::media
