// libFuzzer target: the GIF (blocks, C2PA_GIF application extension, box map) parser.
#include <cstddef>
#include <cstdint>

#include "formats/formats.hpp"
#include "veritrace/core.hpp"

using namespace veritrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto src = make_span_source(std::span<const uint8_t>(data, size), "fuzz");
  try {
    (void)formats::detect(*src);
  } catch (const Error&) {
  }
  // Parse as Gif whatever the content says, so that every input exercises this parser.
  try {
    auto carrier = formats::find_c2pa(*src, formats::Format::Gif);
    for (const auto& range : carrier.carrier_ranges) {
      if (range.end() > size) __builtin_trap();  // carriers must lie inside the file
    }
  } catch (const Error&) {
  }
  try {
    uint64_t expected = 0;
    for (const auto& piece : formats::box_map(*src, formats::Format::Gif)) {
      if (piece.range.offset != expected || piece.range.end() > size) __builtin_trap();  // contiguous, inside
      expected = piece.range.end();
    }
  } catch (const Error&) {
  }
  return 0;
}
