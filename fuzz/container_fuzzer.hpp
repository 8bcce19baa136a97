// The body shared by the container fuzz targets: detection, then the C2PA store lookup (and the
// box map) of one format, whatever the input's content says, with invariants checked.
#pragma once
#include <cstddef>
#include <cstdint>

#include "formats/formats.hpp"
#include "veritrace/core.hpp"

namespace vt_fuzz {

enum class BoxMap { None, Ordered, Contiguous };

inline int fuzz_container(const uint8_t* data, size_t size, veritrace::formats::Format format, BoxMap box_map) {
  using namespace veritrace;
  auto src = make_span_source(std::span<const uint8_t>(data, size), "fuzz");
  try {
    (void)formats::detect(*src);
  } catch (const Error&) {
  }
  try {
    auto carrier = formats::find_c2pa(*src, format);
    for (const auto& range : carrier.carrier_ranges) {
      if (range.end() > size) __builtin_trap();  // carriers must lie inside the file
    }
  } catch (const Error&) {
  }
  if (box_map == BoxMap::None) return 0;
  try {
    uint64_t pos = 0;
    for (const auto& piece : formats::box_map(*src, format)) {
      bool placed = box_map == BoxMap::Contiguous ? piece.range.offset == pos : piece.range.offset >= pos;
      if (!placed || piece.range.end() > size) __builtin_trap();
      pos = piece.range.end();
    }
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace vt_fuzz
