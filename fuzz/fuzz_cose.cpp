// libFuzzer target for COSE_Sign1 verification (src/cose): parsing, certificate profile, trust
// check and RFC 3161 time-stamp handling must never crash, leak or throw anything but
// veritrace::Error on hostile bytes.
// Input layout: [mode (1 byte)] [COSE length (2 bytes, big-endian)] [COSE_Sign1] [claim].
// mode bit 0 selects --no-trust-check; otherwise trust is checked against no anchors (default).
// Seeds: fuzz/corpus/cose/ (COSE_Sign1 + claim pairs taken from real manifests).
#include <cstddef>
#include <cstdint>
#include <span>

#include "cose/cose.hpp"
#include "veritrace/core.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  static const cose::TrustSettings empty_anchors;
  static const cose::TrustSettings no_check = cose::TrustSettings::no_check();
  if (size < 3) return 0;
  const bool skip_trust = (data[0] & 1) != 0;
  size_t cose_size = (size_t{data[1]} << 8) | data[2];
  std::span<const uint8_t> rest(data + 3, size - 3);
  if (cose_size > rest.size()) cose_size = rest.size();
  try {
    auto result = cose::verify_claim_signature(rest.first(cose_size), rest.subspan(cose_size),
                                               skip_trust ? no_check : empty_anchors);
    (void)result.signature_info.dump();
    (void)result.details.dump();
  } catch (const Error&) {
  }
  return 0;
}
