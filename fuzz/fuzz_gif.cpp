// libFuzzer target: the GIF parser (blocks, C2PA_GIF application extension, box map).
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vt_fuzz::fuzz_container(data, size, veritrace::formats::Format::Gif, vt_fuzz::BoxMap::Contiguous);
}
