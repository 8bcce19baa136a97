// Veritrace watermark: our own robust invisible image watermark (64-bit payload) and detection of
// the invisible marks that popular open image generators embed by default.
//
//   auto marked = watermark::embed(img, 0x0123456789abcdefULL);        // media::Image in and out
//   auto d = watermark::detect(marked);                                // d.found, *d.payload
//   for (auto& k : watermark::detect_known_marks(img)) ...             // sd1, sd2, sdxl, flux
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "veritrace/media.hpp"

namespace veritrace::watermark {

// The algorithm name recorded in C2PA soft-binding assertions for our mark.
inline constexpr const char* kAlgorithmName = "io.veritrace.watermark.1";
inline constexpr int kMinSide = 256;  // smaller images are refused (Error Unsupported)

struct EmbedOptions {
  double strength = 1.0;  // 1.0 = the default imperceptibility target; 0 < strength <= 4
};

// Returns a marked copy (same size, channel count and alpha). Throws veritrace::Error: Usage for a
// bad strength, Unsupported for images below kMinSide or over the pixel limit.
media::Image embed(const media::Image& image, uint64_t payload, const EmbedOptions& options = {});

struct Detection {
  bool found = false;                 // true only when p_value < 1e-6 and the check (CRC) passed
  std::optional<uint64_t> payload;    // set only when found
  double p_value = 1.0;               // probability that an unmarked image gives this result
  // The geometry the synchroniser recovered (meaningful when found).
  double scale = 1.0;                 // marked image -> this image
  double rotation_degrees = 0.0;
  double bit_confidence = 0.0;        // mean |soft value| of the decoded bits, 0..1
};

Detection detect(const media::Image& image);

// One entry per known generator mark tried; names: "sd1", "sd2", "sdxl", "flux".
struct KnownMark {
  std::string name;
  std::string variant;        // the colour path that scored best, e.g. "bgr-u8", "bgr-float", "rgb-float"
  bool detected = false;
  double bit_accuracy = 0.0;  // fraction of the generator's message bits recovered
  double p_value = 1.0;       // corrected for every hypothesis tried
  std::string bits_hex;       // the decoded bits (first bit most significant), for the best variant
};

struct KnownMarkOptions {
  // Also look for marks in crops that moved the 8-pixel block grid (every grid offset, common
  // original widths, every message phase; SD1, SDXL and FLUX.1, not SD2's short message). Several
  // times slower; p-values then cover both searches (docs/known-marks.md).
  bool search_crops = false;
};

std::vector<KnownMark> detect_known_marks(const media::Image& image, const KnownMarkOptions& options = {});

}  // namespace veritrace::watermark
