// Per-container entry points behind formats.hpp's dispatching functions. Internal to src/formats.
#pragma once
#include <vector>

#include "formats/formats.hpp"

namespace veritrace::formats::detail {

C2paCarrier find_c2pa_jpeg(const ByteSource& src);
C2paCarrier find_c2pa_png(const ByteSource& src);
C2paCarrier find_c2pa_bmff(const ByteSource& src);
C2paCarrier find_c2pa_wav(const ByteSource& src);
C2paCarrier find_c2pa_webp(const ByteSource& src);
C2paCarrier find_c2pa_tiff(const ByteSource& src);
C2paCarrier find_c2pa_gif(const ByteSource& src);
C2paCarrier find_c2pa_mp3(const ByteSource& src);
C2paCarrier find_c2pa_pdf(const ByteSource& src);

std::vector<NamedRange> box_map_jpeg(const ByteSource& src);
std::vector<NamedRange> box_map_png(const ByteSource& src);
std::vector<NamedRange> box_map_gif(const ByteSource& src);

}  // namespace veritrace::formats::detail
