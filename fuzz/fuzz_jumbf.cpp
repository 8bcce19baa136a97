// libFuzzer target for the JUMBF box parser (src/jumbf). Any input either parses or throws
// veritrace::Error; every offset the parser records must lie inside the input, and the tree is
// walked the way the C2PA reader walks it (labels, children, content boxes).
// Seeds: fuzz/corpus/jumbf/ (C2PA manifest stores extracted from real files).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "jumbf/jumbf.hpp"
#include "veritrace/core.hpp"

namespace {

void check_range(size_t offset, size_t length, size_t size) {
  if (offset > size || length > size - offset) std::abort();
}

size_t walk(const veritrace::jumbf::SuperBox& sb, size_t size) {
  check_range(sb.offset, sb.size, size);
  check_range(sb.description_offset, sb.description_size, size);
  if (sb.header_size > sb.size) std::abort();
  size_t n = 1;
  for (const auto& c : sb.contents) {
    check_range(c.offset, c.size, size);
    check_range(c.payload_offset, c.payload_size, size);
    if (c.payload_offset < c.offset || c.payload_offset + c.payload_size > c.offset + c.size) std::abort();
    ++n;
  }
  if (sb.private_box) check_range(sb.private_box->offset, sb.private_box->size, size);
  for (const auto& child : sb.superboxes) {
    check_range(child.offset, child.size, size);
    if (child.offset < sb.offset || child.offset + child.size > sb.offset + sb.size) std::abort();
    if (!child.label.empty() && sb.child(child.label) == nullptr) std::abort();
    n += walk(child, size);
  }
  (void)veritrace::jumbf::uuid_fourcc(sb.type);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    veritrace::jumbf::SuperBox root = veritrace::jumbf::parse(std::span<const uint8_t>(data, size));
    (void)walk(root, size);
  } catch (const veritrace::Error&) {
  }
  return 0;
}
