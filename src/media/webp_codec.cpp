// WebP through libwebp (still images; animated WebP is refused rather than reduced to a frame).
#include <webp/decode.h>
#include <webp/encode.h>

#include <fmt/format.h>

#include "media/internal.hpp"

namespace veritrace::media {

namespace detail {

Image decode_webp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) throw Error(ErrorKind::Malformed, "WebP: truncated data");
  if (status != VP8_STATUS_OK) throw Error(ErrorKind::Malformed, fmt::format("WebP: bad bitstream (status {})", static_cast<int>(status)));
  if (features.has_animation) throw Error(ErrorKind::Unsupported, "animated WebP images are not supported");
  check_dimensions(static_cast<uint64_t>(features.width), static_cast<uint64_t>(features.height), options.max_pixels,
                   "WebP");
  Image image;
  image.width = features.width;
  image.height = features.height;
  image.channels = features.has_alpha && !options.force_rgb ? 4 : 3;
  image.source_format = "webp";
  const size_t stride = static_cast<size_t>(image.width) * image.channels;
  image.pixels.resize(stride * image.height);
  const uint8_t* ok = image.channels == 4
                          ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), image.pixels.data(), image.pixels.size(),
                                               static_cast<int>(stride))
                          : WebPDecodeRGBInto(bytes.data(), bytes.size(), image.pixels.data(), image.pixels.size(),
                                              static_cast<int>(stride));
  if (!ok) throw Error(ErrorKind::Malformed, "WebP: the image data could not be decoded");
  return image;
}

}  // namespace detail

std::vector<uint8_t> encode_webp(const Image& input, int quality) {
  if (quality < 0 || quality > 100) throw Error(ErrorKind::Usage, fmt::format("WebP quality {} is not in 0..100", quality));
  if (input.empty()) throw Error(ErrorKind::Usage, "cannot encode an empty image");
  if (input.width > WEBP_MAX_DIMENSION || input.height > WEBP_MAX_DIMENSION)
    throw Error(ErrorKind::Unsupported, fmt::format("WebP cannot hold a {}x{} image", input.width, input.height));
  const Image* image = &input;
  Image rgb;
  if (input.channels == 1) {
    rgb = to_rgb(input);
    image = &rgb;
  }
  uint8_t* out = nullptr;
  const int stride = image->width * image->channels;
  const size_t size =
      image->channels == 4
          ? WebPEncodeRGBA(image->pixels.data(), image->width, image->height, stride, static_cast<float>(quality), &out)
          : WebPEncodeRGB(image->pixels.data(), image->width, image->height, stride, static_cast<float>(quality), &out);
  if (size == 0 || !out) {
    WebPFree(out);
    throw Error(ErrorKind::Internal, "WebP encoding failed");
  }
  std::vector<uint8_t> result(out, out + size);
  WebPFree(out);
  return result;
}

}  // namespace veritrace::media
