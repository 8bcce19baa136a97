// Remote photoplethysmography (rPPG) for the "rppg" video detector: the pulse that colours real skin
// shows as one coherent rhythm in every skin region of a face; many face swaps and renders break
// that coherence. Internal to the detect module; exposed for tests.
#pragma once
#include <array>
#include <optional>
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect::rppg {

inline constexpr double kMinHz = 0.7;   // 42 beats per minute
inline constexpr double kMaxHz = 4.0;   // 240 beats per minute
inline constexpr double kMinSeconds = 6.0;  // shortest face track worth a pulse estimate

// POS (Wang, den Brinker, Stuijk, de Haan 2017, "Algorithmic principles of remote PPG"): project
// the temporally normalised RGB trace onto the plane orthogonal to skin tone, in overlapping windows
// of 1.6 s, and overlap-add. rgb: one mean colour per sample at fs Hz.
std::vector<double> pos_pulse(const std::vector<std::array<float, 3>>& rgb, double fs);

// Strongest frequency in [kMinHz, kMaxHz] of a Hann-windowed periodogram (0.01 Hz steps), and the
// signal-to-noise ratio in dB of that peak (power within 0.1 Hz of it and of its first harmonic
// against the rest of the band, after de Haan and Jeanne 2013).
struct Peak {
  double hz = 0.0;
  double snr_db = -100.0;
};
Peak dominant_frequency(const std::vector<double>& signal, double fs);

// Pearson correlation of two equally long signals after a band-pass to the pulse band.
double band_correlation(const std::vector<double>& a, const std::vector<double>& b, double fs);

struct RegionPulse {
  bool used = false;
  Peak peak;
};
struct PulseEstimate {
  double start_s = 0.0, end_s = 0.0;
  double fs = 0.0;
  Peak combined;                                  // of the mean of the regions' pulse signals
  std::array<RegionPulse, kSkinRegions> regions;
  int regions_used = 0;
  double mean_correlation = 0.0;                  // over region pairs, pulse band
  double peak_agreement = 0.0;                    // share of regions whose peak is within 0.1 Hz of the combined one
  double coherence = 0.0;                         // in [0, 1]: 1 = one clear shared pulse
};

// The pulse of one face track over its longest stretch without gaps (> 0.5 s) of at least
// kMinSeconds; nullopt when there is none or fewer than two skin regions were usable.
std::optional<PulseEstimate> estimate(const FaceTrack& track, double t0 = -1, double t1 = -1);

}  // namespace veritrace::detect::rppg
