// Internal: detection with its trace (for tests and the robustness tool).
#pragma once
#include <cstdint>
#include <vector>

#include "veritrace/watermark.hpp"
#include "watermark/wm_code.hpp"

namespace veritrace::watermark::detail {

inline constexpr int kPriorLattices = 5;   // unscaled, unrotated: cell sizes c0 .. c0 + 4
inline constexpr int kTurnedLattices = 3;  // the best known-period lattices at other angles
inline constexpr double kPolishDegrees = 0.15;  // their angle is polished by +-this (sync peak)
inline constexpr int kScaledLattices = 2;  // axis-aligned lattices of any period (rescaled copies)
inline constexpr int kMaxLattices = 6;     // lattice hypotheses from the autocorrelation
inline constexpr int kHitsPerLattice = 3;  // sync positions tried per lattice
// Every decode attempt tests up to kListSize words, and a wrong word passes the CRC with
// probability 2^-32; the p-value is the Bonferroni bound over every word the detector may test.
inline constexpr int kMaxAttempts = (kPriorLattices + kTurnedLattices + kScaledLattices + kMaxLattices) * kHitsPerLattice;
inline constexpr int kMaxCrcChecks = kMaxAttempts * kListSize;

struct DetectTrace {
  Detection detection;
  int attempts = 0;
  double best_sync_z = 0;
  double best_agreement = -1;           // of the attempt with the best code agreement
  std::vector<uint8_t> best_info_bits;  // that attempt's de-whitened bits (payload first)
  double lattice_period = 0;            // first lattice hypothesis, original pixels
  double lattice_angle = 0;
};

DetectTrace detect_with_trace(const media::Image& image);

}  // namespace veritrace::watermark::detail
