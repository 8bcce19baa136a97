// libFuzzer target: claim thumbnails of JPEG and PNG input in fast mode, so the embedded-preview
// finder (EXIF IFD1 and MPF offsets, src/thumbnail/jpeg_preview.cpp) and the decoders behind it see
// hostile bytes. The first byte picks the format; a small max_side keeps each run cheap.
#include <cstdint>

#include "thumbnail/internal.hpp"
#include "thumbnail/thumbnail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  if (size < 1) return 0;
  std::span<const uint8_t> body(data + 1, size - 1);
  for (const auto& ref : thumbnail::detail::find_jpeg_previews(body, body.size())) {
    if (ref.offset > body.size() || ref.length > body.size() - ref.offset) __builtin_trap();
  }
  auto src = make_span_source(body);
  thumbnail::ThumbnailOptions options;
  options.fast = true;
  options.max_side = 32;
  auto t = thumbnail::make_thumbnail(*src, (data[0] & 1) ? formats::Format::Png : formats::Format::Jpeg, options);
  if (t && (t->width <= 0 || t->width > 32 || t->height <= 0 || t->height > 32)) __builtin_trap();
  return 0;
}
