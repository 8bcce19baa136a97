// libFuzzer target: the watermark detectors (ours and the known generator marks) on arbitrary
// pixels. They parse no bytes, but every pixel value, size and aspect ratio is untrusted input:
// the first 4 bytes pick the size (256..575 x 256..575, or tiny/odd sizes to exercise refusals),
// the rest are repeated to fill the pixels.
#include <cstdint>

#include "veritrace/watermark.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  if (size < 5) return 0;
  media::Image img;
  img.width = 200 + (data[0] | ((data[1] & 1) << 8)) % 376;
  img.height = 200 + (data[2] | ((data[3] & 1) << 8)) % 376;
  img.channels = (data[1] & 2) ? 1 : 3;
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * img.channels);
  const size_t n = size - 4;
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = data[4 + (i * 7919) % n];
  try {
    const watermark::Detection d = watermark::detect(img);
    if (d.found && (!d.payload || d.p_value >= 1e-6)) __builtin_trap();
  } catch (const Error&) {
  }
  // The crop search on one input in four (it is a few times slower).
  const bool crops = (data[3] & 6) == 6;
  for (const auto& k : watermark::detect_known_marks(img, {.search_crops = crops}))
    if (k.bit_accuracy < 0 || k.bit_accuracy > 1 || k.p_value < 0 || k.p_value > 1) __builtin_trap();
  return 0;
}
