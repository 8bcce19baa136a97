// libFuzzer target: the whole detection engine on arbitrary bytes (container sniffing, decoding,
// C2PA, metadata, every pixel detector, fusion, JSON), with a small pixel limit so the fuzzer
// explores parsers and detectors rather than memory. The watermark detectors are left out: they are
// fuzzed by fuzz_watermark_detect and would slow each input down by an order of magnitude.
#include <cstdint>
#include <vector>

#include "veritrace/detect.hpp"

namespace {
const veritrace::detect::Engine& engine() {
  static const veritrace::detect::Engine e([] {
    veritrace::detect::EngineOptions o;
    o.detectors = {"c2pa", "metadata", "frequency", "jpeg_ghost", "block_grid", "noise", "cfa", "copy_move"};
    o.use_repository = false;
    o.max_pixels = 1u << 18;
    return o;
  }());
  return e;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto report = engine().analyze_bytes(std::vector<uint8_t>(data, data + size), "fuzz");
  const auto json = veritrace::detect::to_json(report);
  if (!json.contains("schema_version")) __builtin_trap();
  if (report.score && (*report.score < 0 || *report.score > 1)) __builtin_trap();
  return 0;
}
