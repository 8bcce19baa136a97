// libFuzzer target for the whole C2PA reader: format detection, carrier lookup (JPEG, PNG, BMFF,
// WAV, bare JUMBF), manifest store parsing, claim/assertion CBOR, COSE signature and certificate
// checks, hard bindings and the JSON report. Any input must either give a report or throw
// veritrace::Error; a report's state must agree with its JSON. Trust is not configured (default
// options: no anchors), so every signature path still runs up to the trust decision.
// Seeds: fuzz/corpus/c2pa_read/ (small files signed with the test PKI, < 80 KB each).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "veritrace/c2pa.hpp"
#include "veritrace/core.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const veritrace::c2pa::Reader reader{veritrace::c2pa::ReadOptions{}};
  try {
    auto source = veritrace::make_span_source(std::span<const uint8_t>(data, size), "fuzz");
    veritrace::c2pa::ReadResult result = reader.read(*source);
    if (result.report.value("validation_state", std::string()) != veritrace::c2pa::state_name(result.state)) {
      std::abort();
    }
    // Serialising the report must not throw (invalid UTF-8 from the input is replaced).
    (void)result.report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const veritrace::Error&) {
  }
  return 0;
}
