// RIFF containers: WAV (RIFF, RF64/BW64) and WebP (RIFF 'WEBP'). The C2PA store is in a top-level
// 'C2PA' chunk, XMP in an 'XMP ' chunk (c2pa-rs writes both as direct children of the RIFF form).
#include <algorithm>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr uint64_t kMaxChunks = uint64_t{1} << 22;
constexpr uint32_t kSize32Unknown = 0xFFFFFFFFu;  // RF64: the real size is in 'ds64'

struct RiffLayout {
  uint64_t end = 0;                       // end of the RIFF form (clamped to the file)
  std::optional<uint64_t> ds64_data_size;  // RF64 size of the 'data' chunk
};

// `form` is the RIFF form type ("WAVE", "WEBP"); RF64/BW64 only exist for WAVE.
RiffLayout read_layout(const ByteSource& src, std::string_view form, const char* context) {
  auto head = read_array<12>(src, 0, context);
  std::string_view id(reinterpret_cast<const char*>(head.data()), 4);
  if (std::string_view(reinterpret_cast<const char*>(head.data() + 8), 4) != form) {
    malformed(src, context, "not a RIFF " + std::string(form) + " file");
  }
  RiffLayout layout;
  uint64_t declared = le32(head.data() + 4);
  if ((id == "RF64" || id == "BW64") && form == "WAVE") {
    auto ds64 = read_array<28>(src, 12, context);
    if (std::string_view(reinterpret_cast<const char*>(ds64.data()), 4) != "ds64") {
      malformed(src, context, "RF64 file without a 'ds64' chunk");
    }
    if (declared == kSize32Unknown) declared = le64(ds64.data() + 8);
    layout.ds64_data_size = le64(ds64.data() + 16);
  } else if (id != "RIFF") {
    malformed(src, context, "not a RIFF file");
  }
  layout.end = declared > src.size() - 8 ? src.size() : 8 + declared;
  return layout;
}

C2paCarrier find_c2pa_riff(const ByteSource& src, std::string_view form, const char* context,
                           const char* store_context) {
  RiffLayout layout = read_layout(src, form, context);
  C2paCarrier carrier;
  uint64_t pos = 12;
  for (uint64_t count = 0; pos < layout.end && layout.end - pos >= 8; ++count) {
    if (count > kMaxChunks) malformed(src, context, "too many chunks");
    auto head = read_array<8>(src, pos, context);
    std::string_view id(reinterpret_cast<const char*>(head.data()), 4);
    uint64_t size = le32(head.data() + 4);
    if (size == kSize32Unknown && id == "data" && layout.ds64_data_size) size = *layout.ds64_data_size;
    uint64_t data_offset = pos + 8;
    std::string where = "chunk '" + fourcc_string(be32(head.data())) + "' at offset " + std::to_string(pos);
    if (!fits(src, data_offset, size)) {
      // A cut-off chunk after the store (usually audio data) leaves the store readable.
      if (!carrier.carrier_ranges.empty()) break;
      malformed(src, context, where + " runs past the end of the file");
    }
    if (id == "C2PA" && carrier.carrier_ranges.empty()) {
      carrier.store = read_payload(src, data_offset, size, kMaxStoreBytes, store_context);
      carrier.carrier_ranges.push_back({pos, std::min(8 + size + (size & 1), src.size() - pos)});
    } else if ((id == "XMP " || id == "_PMX") && !carrier.remote_url && size <= kMaxXmpBytes) {
      auto xmp = src.read_vector(data_offset, size);
      carrier.remote_url = xmp_provenance(std::string_view(reinterpret_cast<const char*>(xmp.data()), xmp.size()));
    }
    pos = data_offset + size + (size & 1);  // chunks are padded to an even size
  }
  return carrier;
}

}  // namespace

C2paCarrier find_c2pa_wav(const ByteSource& src) { return find_c2pa_riff(src, "WAVE", "WAV", "WAV C2PA chunk"); }

C2paCarrier find_c2pa_webp(const ByteSource& src) { return find_c2pa_riff(src, "WEBP", "WebP", "WebP C2PA chunk"); }

}  // namespace veritrace::formats::detail
