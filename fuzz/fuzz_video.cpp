// libFuzzer target: the video container path that is ours (media::VideoReader: our I/O callbacks
// over a ByteSource, stream selection, size limits, sampling, conversion, rotation) with FFmpeg's
// demuxers and decoders behind it; small limits so the fuzzer explores structure, not memory.
#include <cstdint>

#include "veritrace/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  (void)media::probe_video(*make_span_source(std::span<const uint8_t>(data, size)));
  try {
    media::VideoOptions options;
    options.max_pixels = 1u << 18;
    options.sample_fps = 5;
    options.max_long_side = 64;
    media::VideoReader reader(make_span_source(std::span<const uint8_t>(data, size)), options);
    for (int i = 0; i < 16; ++i) {
      auto frame = reader.next();
      if (!frame) break;
      const auto& im = frame->image;
      if (im.pixels.size() != static_cast<size_t>(im.width) * im.height * 3 || im.width > 64 || im.height > 64)
        __builtin_trap();
    }
  } catch (const Error&) {
  }
  return 0;
}
