// libFuzzer target for the CBOR codec (src/cbor). Any input either decodes or throws
// veritrace::Error; a decoded value must survive an encode/decode round trip: re-decoding its
// preferred encoding and encoding again must give the same bytes. Also exercises the JSON view.
// Seeds: fuzz/corpus/cbor/ (claims, assertions and COSE signatures taken from real manifests).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "cbor/cbor.hpp"
#include "veritrace/core.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  std::fprintf(stderr, "fuzz_cbor: %s (first encoding %zu bytes, second %zu bytes)\n", what, a.size(), b.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  std::span<const uint8_t> in(data, size);
  cbor::Value v;
  try {
    v = cbor::decode(in);
  } catch (const Error&) {
    // Malformed input: the expected outcome for most inputs. Also try the prefix decoder.
    try {
      size_t consumed = 0;
      cbor::Value p = cbor::decode_prefix(in, consumed);
      if (consumed == 0 || consumed > size) std::abort();
    } catch (const Error&) {
    }
    return 0;
  }

  std::vector<uint8_t> first = cbor::encode(v);
  cbor::Value again;
  try {
    again = cbor::decode(first);
  } catch (const Error& e) {
    std::fprintf(stderr, "fuzz_cbor: our own encoding does not decode: %s\n", e.what());
    std::abort();
  }
  std::vector<uint8_t> second = cbor::encode(again);
  if (first != second) fail("encode(decode(encode(x))) != encode(x)", first, second);

  // The report view must never throw on a decodable value.
  (void)cbor::to_json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
