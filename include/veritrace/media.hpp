// Veritrace media: still-image decoding and encoding for the pixel-level modules (watermark, later
// detectors). Small and explicit: 8-bit pixels, interleaved, row-major, top row first.
//
//   auto img = media::decode_image(*open_file_source("photo.jpg"));   // throws veritrace::Error
//   auto jpg = media::encode_jpeg(img, 90, media::Subsampling::S420);
//
// Decoders: JPEG (TurboJPEG; the same libjpeg settings OpenCV 4.6's imread uses: ISLOW IDCT, fancy
// upsampling, so the 8-bit pixels equal cv2.imread's up to channel order), PNG (libpng: every bit
// depth and colour type; 16-bit samples reduced to 8), WebP (libwebp; animated WebP is refused).
// The format is detected by content. EXIF orientation is applied to JPEG by default (as imread).
// Errors: Error(Unsupported) for other formats, CMYK/YCCK JPEG, animation; Error(Malformed) for
// corrupt or truncated data; images over max_pixels are refused before any pixel buffer is made.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "veritrace/core.hpp"

namespace veritrace::media {

inline constexpr uint64_t kDefaultMaxPixels = 100'000'000;  // 100 MP
inline constexpr uint64_t kMaxEncodedBytes = 512ull << 20;  // image files are decoded from memory

// channels: 1 (gray), 3 (R,G,B) or 4 (R,G,B,A). pixels.size() == width * height * channels.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;

  // Where it came from (informational).
  std::string source_format;  // "jpeg", "png", "webp", or empty for images made in memory
  int source_bit_depth = 8;   // 16 for a 16-bit PNG that was reduced to 8 bits

  bool empty() const { return width <= 0 || height <= 0; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
};

struct DecodeOptions {
  uint64_t max_pixels = kDefaultMaxPixels;
  bool apply_exif_orientation = true;
  // Colour handling: by default gray stays 1 channel, gray+alpha becomes RGBA, RGB stays RGB,
  // RGBA stays RGBA. force_rgb turns everything into 3-channel RGB (alpha dropped).
  bool force_rgb = false;
};

Image decode_image(const ByteSource& src, const DecodeOptions& options = {});
// The whole encoded file, once it is known to be a JPEG, PNG or WebP of at most kMaxEncodedBytes
// (else Error Unsupported); for callers that need the original bytes as well as the pixels.
std::vector<uint8_t> read_encoded_image(const ByteSource& src);
Image decode_image_file(const std::string& path, const DecodeOptions& options = {});

// A 3-channel RGB copy (gray replicated, alpha dropped); a 3-channel image is returned as is.
Image to_rgb(const Image& image);

enum class Subsampling { S444, S422, S420 };

// Encoders throw Error(Internal) when the codec fails and Error(Usage) for a bad quality.
std::vector<uint8_t> encode_jpeg(const Image& image, int quality, Subsampling subsampling = Subsampling::S420);
std::vector<uint8_t> encode_png(const Image& image);
std::vector<uint8_t> encode_webp(const Image& image, int quality);  // lossy; quality 0..100

enum class ImageFormat { Unknown, Jpeg, Png, WebP };
ImageFormat sniff_image_format(const ByteSource& src);
// Encodes in the given format (JPEG: quality, 4:2:0; WebP: quality; PNG: lossless).
std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, int quality = 92);

}  // namespace veritrace::media
