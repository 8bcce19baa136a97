// PNG: the C2PA store in a 'caBX' chunk, XMP in an iTXt chunk, and the c2pa-rs box map.
#include <functional>
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

constexpr const char* kContext = "PNG";
constexpr uint64_t kSignatureSize = 8;
constexpr uint64_t kMaxChunks = uint64_t{1} << 24;
constexpr std::string_view kXmpKeyword{"XML:com.adobe.xmp\0", 18};

struct Chunk {
  uint32_t type = 0;
  uint64_t offset = 0;  // of the length field
  uint64_t data_size = 0;
  uint64_t data_offset() const { return offset + 8; }
  uint64_t size() const { return data_size + 12; }  // length, type, data, CRC
};

void walk_chunks(const ByteSource& src, const std::function<void(const Chunk&)>& visit) {
  auto signature = read_array<8>(src, 0, kContext);
  if (std::string_view(reinterpret_cast<const char*>(signature.data()), 8) != "\x89PNG\r\n\x1a\n") {
    malformed(src, kContext, "bad signature");
  }
  uint64_t pos = kSignatureSize;
  for (uint64_t count = 0; pos < src.size(); ++count) {
    if (count > kMaxChunks) malformed(src, kContext, "too many chunks");
    auto head = read_array<8>(src, pos, kContext);
    Chunk chunk{be32(head.data() + 4), pos, be32(head.data())};
    if (chunk.data_size > 0x7FFFFFFFu) malformed(src, kContext, "chunk length above 2^31-1");
    if (!fits(src, pos, chunk.size())) {
      malformed(src, kContext, "chunk '" + fourcc_string(chunk.type) + "' at offset " + std::to_string(pos) +
                                   " runs past the end of the file");
    }
    visit(chunk);
    pos += chunk.size();
    if (chunk.type == fourcc("IEND")) break;
  }
}

// The XMP packet of an uncompressed iTXt chunk with keyword XML:com.adobe.xmp.
std::optional<std::string> xmp_url(const ByteSource& src, const Chunk& chunk) {
  if (chunk.type != fourcc("iTXt") || chunk.data_size <= kXmpKeyword.size() + 2) return std::nullopt;
  if (chunk.data_size > kMaxXmpBytes) return std::nullopt;
  auto data = src.read_vector(chunk.data_offset(), chunk.data_size);
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (text.substr(0, kXmpKeyword.size()) != kXmpKeyword) return std::nullopt;
  text.remove_prefix(kXmpKeyword.size());
  if (text[0] != 0) return std::nullopt;  // compressed text: c2pa-rs does not write it
  text.remove_prefix(2);                  // compression flag and method
  for (int field = 0; field < 2; ++field) {  // language tag, translated keyword
    size_t nul = text.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;
    text.remove_prefix(nul + 1);
  }
  return xmp_provenance(text);
}

}  // namespace

C2paCarrier find_c2pa_png(const ByteSource& src) {
  C2paCarrier carrier;
  walk_chunks(src, [&](const Chunk& chunk) {
    if (chunk.type == fourcc("caBX")) {
      if (!carrier.carrier_ranges.empty()) return;  // c2pa-rs reads the first one
      carrier.store = read_payload(src, chunk.data_offset(), chunk.data_size, kMaxStoreBytes, "PNG caBX chunk");
      carrier.carrier_ranges.push_back({chunk.offset, chunk.size()});
    } else if (!carrier.remote_url) {
      carrier.remote_url = xmp_url(src, chunk);
    }
  });
  return carrier;
}

std::vector<NamedRange> box_map_png(const ByteSource& src) {
  std::vector<NamedRange> map{{"PNGh", {0, kSignatureSize}}};
  walk_chunks(src, [&](const Chunk& chunk) {
    std::string name = chunk.type == fourcc("caBX") ? "C2PA" : fourcc_string(chunk.type);
    map.push_back({std::move(name), {chunk.offset, chunk.size()}});
  });
  return map;
}

}  // namespace veritrace::formats::detail
