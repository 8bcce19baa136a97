// JPEG quantisation-table fingerprint for the metadata detector: the tables are read with libjpeg
// (header only, an error manager that never exits), compared with the IJG tables of every quality,
// and with a few known non-IJG families. Internal to the detect module.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace veritrace::detect::metadata {

struct QuantInfo {
  bool ok = false;                  // the header was read
  std::string error;                // libjpeg's message when not ok
  int components = 0;
  std::string subsampling;          // "4:2:0", "4:4:4", "4:2:2", "gray", "other"
  bool adobe_marker = false;        // APP14 "Adobe"
  bool jfif_marker = false;
  bool progressive = false;
  int width = 0, height = 0;        // from the frame header
  std::vector<std::array<uint16_t, 64>> tables;  // the tables the components use, natural order, luma first
  int ijg_quality = -1;             // the IJG quality whose tables these are exactly, else -1
  int closest_quality = -1;         // the IJG quality with the closest tables
  double mean_abs_diff = 0.0;       // per coefficient, against closest_quality's tables
  std::string fingerprint;          // FNV-1a 64 of the used tables, 16 hex digits
  std::string family;               // "libjpeg (IJG) quality 75", "Adobe Photoshop (Save As)", or empty
};

QuantInfo read_quant_tables(std::span<const uint8_t> jpeg);

// The IJG (Annex K) table for `quality` (1..100), natural order, baseline (clamped to 255).
std::array<uint16_t, 64> ijg_table(bool chroma, int quality);

// Width and height from a JPEG's frame header (for EXIF thumbnails); {0, 0} when none is found.
std::pair<int, int> jpeg_dimensions(std::span<const uint8_t> jpeg);

}  // namespace veritrace::detect::metadata
