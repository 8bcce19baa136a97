// libFuzzer target: the MP3 (ID3v2 GEOB/PRIV frames) parser.
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
  // Parse as Mp3 whatever the content says, so that every input exercises this parser.
  try {
    auto carrier = formats::find_c2pa(*src, formats::Format::Mp3);
    for (const auto& range : carrier.carrier_ranges) {
      if (range.end() > size) __builtin_trap();  // carriers must lie inside the file
    }
  } catch (const Error&) {
  }
  return 0;
}
