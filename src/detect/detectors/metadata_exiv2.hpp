// EXIF / XMP / IPTC through exiv2 0.27 for the metadata detector. Internal to the detect module.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "detect/detectors/metadata_rules.hpp"

namespace veritrace::detect::metadata {

inline constexpr size_t kMaxExiv2Bytes = 64u << 20;  // larger files are not handed to exiv2

struct ExivData {
  bool attempted = false;        // the file was handed to exiv2
  bool read = false;             // exiv2 read its metadata
  std::string error;             // exiv2's message (or why it was not attempted)
  size_t exif_count = 0, xmp_count = 0, iptc_count = 0;
  std::vector<Field> fields;     // EXIF (Image/Photo IFDs), every XMP and IPTC property, the JPEG comment
  std::vector<uint8_t> thumbnail;  // EXIF IFD1 thumbnail (JPEG), when present (<= 1 MiB)
};

// Never throws (std::bad_alloc aside): every exiv2 error is caught and reported in `error`.
ExivData read_with_exiv2(std::span<const uint8_t> bytes);

}  // namespace veritrace::detect::metadata
