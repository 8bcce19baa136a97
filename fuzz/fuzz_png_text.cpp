// libFuzzer target: our PNG text-chunk reader (tEXt, zTXt, iTXt; capped inflate, CRC notes).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "detect/png_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace::detect::png_text;
  // Small caps so that bombs are hit quickly; the defaults are exercised by fuzz_metadata.
  Limits limits;
  limits.max_inflated_per_chunk = 1u << 20;
  limits.max_inflated_total = 2u << 20;
  limits.max_text_chunks = 64;
  const Result r = parse(std::span<const uint8_t>(data, size), limits);
  size_t total = 0;
  for (const auto& c : r.chunks) {
    total += c.text.size();
    // Everything we hand on is valid UTF-8 without NULs.
    if (sanitize_utf8(c.text) != c.text || sanitize_utf8(c.keyword) != c.keyword) std::abort();
  }
  if (r.inflated_total > limits.max_inflated_total || r.chunks.size() > limits.max_text_chunks) std::abort();
  (void)total;
  return 0;
}
