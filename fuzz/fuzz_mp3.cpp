// libFuzzer target: the MP3 (ID3v2 GEOB/PRIV frames) parser.
#include "container_fuzzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vt_fuzz::fuzz_container(data, size, veritrace::formats::Format::Mp3, vt_fuzz::BoxMap::None);
}
