// libFuzzer target: the BMFF container parser (detection, C2PA store lookup, box tree).
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  vt_fuzz::fuzz_container(data, size, formats::Format::Bmff, vt_fuzz::BoxMap::None);
  auto src = make_span_source(std::span<const uint8_t>(data, size), "fuzz");
  try {
    for (const auto& box : formats::bmff_boxes(*src)) {
      if (box.end() > size) __builtin_trap();  // boxes must lie inside the file
    }
  } catch (const Error&) {
  }
  return 0;
}
