// libFuzzer target: the pixel decoders (JPEG via TurboJPEG, PNG via libpng, WebP via libwebp) behind
// media::decode_image, with a small pixel limit so the fuzzer explores headers and data, not memory.
#include <cstdint>

#include "veritrace/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  auto src = make_span_source(std::span<const uint8_t>(data, size));
  try {
    media::DecodeOptions options;
    options.max_pixels = 1u << 20;
    const media::Image image = media::decode_image(*src, options);
    if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) __builtin_trap();
    (void)media::encode_png(image);
  } catch (const Error&) {
  }
  return 0;
}
