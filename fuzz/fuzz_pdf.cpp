// libFuzzer target: the PDF parser (startxref, cross-reference tables and streams, object
// streams, Flate with predictors, the C2PA associated file and XMP lookup).
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vt_fuzz::fuzz_container(data, size, veritrace::formats::Format::Pdf, vt_fuzz::BoxMap::None);
}
