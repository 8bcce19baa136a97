// Container formats: detection by content, and finding C2PA data inside each container.
// Internal to the library. Every parser here reads untrusted bytes through a ByteSource and
// never loads the whole file; each has a fuzz target.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "veritrace/core.hpp"

namespace veritrace::formats {

enum class Format {
  Unknown,
  Jpeg,
  Png,
  Bmff,   // ISO base media: MP4, MOV, M4A, HEIF, AVIF
  Wav,    // RIFF WAVE
  Jumbf,  // a bare manifest store (.c2pa sidecar)
  // Supported too: Tiff (TIFF, DNG), WebP, Gif, Mp3 (ID3v2), Pdf. Recognised but not supported
  // for C2PA yet (reported as unsupported, exit 3): Avi, Svg, Flac, Font.
  Tiff, WebP, Avi, Gif, Pdf, Svg, Mp3, Flac, Font,
};

struct Detected {
  Format format = Format::Unknown;
  std::string mime;  // e.g. "image/jpeg", "video/mp4", "video/quicktime", "image/heif", "audio/wav"
};

// Looks at the first bytes only.
Detected detect(const ByteSource& src);
const char* format_name(Format f);
bool c2pa_supported(Format f);

// Where a file carries its C2PA manifest store.
struct C2paCarrier {
  std::vector<uint8_t> store;            // the JUMBF manifest store, reassembled; empty if none
  std::vector<ByteRange> carrier_ranges;  // file ranges of the segments/chunks/boxes that carry it
  std::optional<std::string> remote_url;  // XMP dcterms:provenance, when present
};

// Throws Error(Malformed) for a broken container, Error(Unsupported) for formats not handled.
C2paCarrier find_c2pa(const ByteSource& src, Format format);

// Box map for c2pa.hash.boxes: the file split into named, contiguous pieces the way c2pa-rs names
// them (JPEG markers, PNG chunk types, ...). The C2PA carrier is one piece named "C2PA".
struct NamedRange {
  std::string name;
  ByteRange range;
};
std::vector<NamedRange> box_map(const ByteSource& src, Format format);

// ISO BMFF box tree, for c2pa.hash.bmff. Offsets are absolute file offsets.
struct BmffBox {
  uint32_t type = 0;
  std::optional<std::array<uint8_t, 16>> user_type;  // for 'uuid' boxes
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t header_size = 0;
  // FullBox version and flags, for the box types ISO 14496-12 defines as FullBox (and the C2PA
  // 'uuid' box); nullopt otherwise (also for a QuickTime 'meta' written without them).
  std::optional<uint8_t> version;
  std::optional<uint32_t> flags;
  std::vector<BmffBox> children;  // only for known container boxes
  uint64_t end() const { return offset + size; }
};
std::vector<BmffBox> bmff_boxes(const ByteSource& src);

}  // namespace veritrace::formats
