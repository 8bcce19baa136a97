// libFuzzer target: the TIFF/DNG (classic and BigTIFF) container parser (detection, C2PA store and XMP lookup).
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vt_fuzz::fuzz_container(data, size, veritrace::formats::Format::Tiff, vt_fuzz::BoxMap::None);
}
