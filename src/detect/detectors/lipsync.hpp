// Lip-sync for the "lipsync" video detector: while someone speaks, the mouth opens and closes with
// the loudness of the speech (syllables, about 3-6 a second). Dubbed videos, talking heads that
// animate a photo and lip-sync deepfakes break that link or shift it in time. Internal to the
// detect module; exposed for tests.
#pragma once
#include <optional>
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect::lipsync {

inline constexpr double kMinSeconds = 4.0;   // shortest stretch of mouth measurements worth a verdict
inline constexpr double kMaxLagS = 0.5;      // offsets searched, either way
inline constexpr double kInSyncS = 0.2;      // offsets people do not notice (ITU-R BT.1359 is stricter)

struct Series {
  std::vector<double> time_s;
  std::vector<double> mouth;   // mouth opening per sample
  std::vector<double> level;   // sound level (dB) over the same sample's frame interval
};

// The main face's mouth series (longest stretch without gaps over 0.25 s) with the sound level
// averaged over each frame's interval; nullopt when it is shorter than kMinSeconds or the sound
// does not cover it.
std::optional<Series> series(const FaceTrack& track, const VideoAnalysis& v);

// Whether the sound carries something like speech: loud parts well above -45 dBFS and a range of
// at least 12 dB between loud and quiet (speech comes in syllables; a steady hum does not).
bool has_speech(const std::vector<float>& level_db);

struct Sync {
  double in_sync = 0.0;    // best correlation for offsets within +-kInSyncS
  double best = 0.0;       // best correlation for offsets within +-kMaxLagS
  double best_lag_s = 0.0; // where it is; positive: the sound comes after the mouth
  double score = 0.0;      // see measure()
  int samples = 0;
};

// Pearson correlation of the mouth opening with the sound level at each offset, both with their
// 1 s running mean removed (head motion and loudness drift are slow). A still mouth correlates
// with nothing (0). score = 1 - clamp(in_sync / 0.4, 0, 1), raised to at least 0.8 when the best
// offset lies outside +-kInSyncS and beats the in-sync correlation by 0.1 or more.
Sync measure(const Series& s);

}  // namespace veritrace::detect::lipsync
