// Format detection by content, and the dispatching entry points of formats.hpp.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "formats/formats.hpp"
#include "formats/parsers.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats {

namespace {

using detail::be32;
using detail::fourcc;

bool starts_with(std::span<const uint8_t> head, std::string_view magic, size_t at = 0) {
  return head.size() >= at + magic.size() && std::memcmp(head.data() + at, magic.data(), magic.size()) == 0;
}

// The MIME type of an ISO BMFF file, from its major and compatible brands.
std::string bmff_mime(std::span<const uint8_t> head) {
  uint32_t box_size = be32(head.data());
  uint32_t major = be32(head.data() + 8);
  std::vector<uint32_t> compatible;
  uint64_t end = std::min<uint64_t>(box_size, head.size());
  for (uint64_t off = 16; off + 4 <= end; off += 4) compatible.push_back(be32(head.data() + off));
  auto has = [&](uint32_t brand) { return std::find(compatible.begin(), compatible.end(), brand) != compatible.end(); };

  if (major == fourcc("qt  ")) return "video/quicktime";
  if (major == fourcc("M4A ") || major == fourcc("M4B ") || major == fourcc("M4P ")) return "audio/mp4";
  if (major == fourcc("M4V ") || major == fourcc("M4VH") || major == fourcc("M4VP")) return "video/x-m4v";
  if (major == fourcc("avif") || major == fourcc("avis")) return "image/avif";
  if (major == fourcc("heic") || major == fourcc("heix") || major == fourcc("heim") || major == fourcc("heis") ||
      major == fourcc("hevc") || major == fourcc("hevx")) {
    return "image/heic";
  }
  if (major == fourcc("mif1") || major == fourcc("msf1")) {
    if (has(fourcc("avif")) && !has(fourcc("heic"))) return "image/avif";
    return "image/heif";
  }
  return "video/mp4";
}

bool is_mp3_frame_sync(std::span<const uint8_t> head) {
  if (head.size() < 4 || head[0] != 0xFF || (head[1] & 0xE0) != 0xE0) return false;
  uint8_t version = (head[1] >> 3) & 0x03;  // 01 is reserved
  uint8_t layer = (head[1] >> 1) & 0x03;    // 00 is reserved
  uint8_t bitrate = head[2] >> 4;           // 1111 is invalid
  uint8_t rate = (head[2] >> 2) & 0x03;     // 11 is reserved
  return version != 1 && layer != 0 && bitrate != 0x0F && rate != 0x03;
}

// SVG: XML text whose first element is <svg>. We look at the head only.
bool looks_like_svg(std::span<const uint8_t> head) {
  std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  text.remove_prefix(first);
  if (text.substr(0, 4) == "<svg") return true;
  if (text.substr(0, 5) == "<?xml" || text.substr(0, 4) == "<!--" || text.substr(0, 9) == "<!DOCTYPE") {
    return text.find("<svg") != std::string_view::npos;
  }
  return false;
}

Detected detect_head(std::span<const uint8_t> head) {
  if (head.size() >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return {Format::Jpeg, "image/jpeg"};
  if (starts_with(head, "\x89PNG\r\n\x1a\n")) return {Format::Png, "image/png"};
  if (head.size() >= 12 && starts_with(head, "ftyp", 4)) return {Format::Bmff, bmff_mime(head)};
  if (head.size() >= 12 && (starts_with(head, "RIFF") || starts_with(head, "RF64") || starts_with(head, "BW64"))) {
    if (starts_with(head, "WAVE", 8)) return {Format::Wav, "audio/wav"};
    if (starts_with(head, "WEBP", 8)) return {Format::WebP, "image/webp"};
    if (starts_with(head, "AVI ", 8)) return {Format::Avi, "video/x-msvideo"};
    return {Format::Unknown, "application/octet-stream"};
  }
  if (head.size() >= 8 && starts_with(head, "jumb", 4)) return {Format::Jumbf, "application/c2pa"};
  if (starts_with(head, std::string_view("II*\0", 4)) || starts_with(head, std::string_view("MM\0*", 4)) ||
      starts_with(head, std::string_view("II+\0", 4)) || starts_with(head, std::string_view("MM\0+", 4))) {
    return {Format::Tiff, "image/tiff"};
  }
  if (starts_with(head, "GIF87a") || starts_with(head, "GIF89a")) return {Format::Gif, "image/gif"};
  if (starts_with(head, "%PDF-")) return {Format::Pdf, "application/pdf"};
  if (starts_with(head, "fLaC")) return {Format::Flac, "audio/flac"};
  if (starts_with(head, "ID3") || is_mp3_frame_sync(head)) return {Format::Mp3, "audio/mpeg"};
  if (starts_with(head, std::string_view("\0\1\0\0", 4)) || starts_with(head, "true")) return {Format::Font, "font/ttf"};
  if (starts_with(head, "OTTO")) return {Format::Font, "font/otf"};
  if (starts_with(head, "wOFF")) return {Format::Font, "font/woff"};
  if (starts_with(head, "wOF2")) return {Format::Font, "font/woff2"};
  if (looks_like_svg(head)) return {Format::Svg, "image/svg+xml"};
  return {Format::Unknown, "application/octet-stream"};
}

C2paCarrier whole_file_store(const ByteSource& src) {
  C2paCarrier carrier;
  carrier.store = detail::read_payload(src, 0, src.size(), detail::kMaxStoreBytes, "C2PA sidecar");
  carrier.carrier_ranges.push_back({0, src.size()});
  return carrier;
}

[[noreturn]] void unsupported(const ByteSource& src, Format format, const char* what) {
  throw Error(ErrorKind::Unsupported, src.name() + ": " + what + " is not supported for " + format_name(format) + " files");
}

}  // namespace

Detected detect(const ByteSource& src) {
  auto head = detail::read_up_to(src, 0, 4096);
  return detect_head(head);
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Unknown: return "unknown";
    case Format::Jpeg: return "JPEG";
    case Format::Png: return "PNG";
    case Format::Bmff: return "ISO BMFF";
    case Format::Wav: return "WAV";
    case Format::Jumbf: return "JUMBF";
    case Format::Tiff: return "TIFF";
    case Format::WebP: return "WebP";
    case Format::Avi: return "AVI";
    case Format::Gif: return "GIF";
    case Format::Pdf: return "PDF";
    case Format::Svg: return "SVG";
    case Format::Mp3: return "MP3";
    case Format::Flac: return "FLAC";
    case Format::Font: return "font";
  }
  return "unknown";
}

bool c2pa_supported(Format f) {
  return f == Format::Jpeg || f == Format::Png || f == Format::Bmff || f == Format::Wav || f == Format::Jumbf ||
         f == Format::WebP || f == Format::Tiff || f == Format::Gif || f == Format::Mp3 || f == Format::Pdf;
}

C2paCarrier find_c2pa(const ByteSource& src, Format format) {
  switch (format) {
    case Format::Jpeg: return detail::find_c2pa_jpeg(src);
    case Format::Png: return detail::find_c2pa_png(src);
    case Format::Bmff: return detail::find_c2pa_bmff(src);
    case Format::Wav: return detail::find_c2pa_wav(src);
    case Format::WebP: return detail::find_c2pa_webp(src);
    case Format::Tiff: return detail::find_c2pa_tiff(src);
    case Format::Gif: return detail::find_c2pa_gif(src);
    case Format::Mp3: return detail::find_c2pa_mp3(src);
    case Format::Pdf: return detail::find_c2pa_pdf(src);
    case Format::Jumbf: return whole_file_store(src);
    default: unsupported(src, format, "reading C2PA data");
  }
}

std::vector<NamedRange> box_map(const ByteSource& src, Format format) {
  switch (format) {
    case Format::Jpeg: return detail::box_map_jpeg(src);
    case Format::Png: return detail::box_map_png(src);
    case Format::Gif: return detail::box_map_gif(src);
    default: unsupported(src, format, "a box map (c2pa.hash.boxes)");
  }
}

}  // namespace veritrace::formats
