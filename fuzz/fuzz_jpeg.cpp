// libFuzzer target: the JPEG container parser (detection, C2PA store lookup, box map).
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vt_fuzz::fuzz_container(data, size, veritrace::formats::Format::Jpeg, vt_fuzz::BoxMap::Ordered);
}
