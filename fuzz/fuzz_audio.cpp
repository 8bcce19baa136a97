// libFuzzer target: the audio path that is ours (media::AudioReader: our I/O callbacks over a
// ByteSource, stream selection, parameter checks, the mix-down to mono through libswresample) with
// FFmpeg's demuxers and decoders behind it. A duration cap keeps each input cheap.
#include <cmath>
#include <cstdint>

#include "veritrace/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  try {
    media::AudioReader reader(make_span_source(std::span<const uint8_t>(data, size)), {.sample_rate = 8000, .max_duration_s = 2.0});
    std::vector<float> block;
    int64_t total = 0;
    while (reader.next(block)) {
      total += static_cast<int64_t>(block.size());
      if (total > 8000 * 2) __builtin_trap();  // the cap must hold
    }
  } catch (const Error&) {
  }
  return 0;
}
