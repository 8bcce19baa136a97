// Seam flicker for the "seam_flicker" video detector: a face swap is rendered and blended into
// every frame anew, so the colour step between the blended rim of the face (just inside the jaw
// line) and its middle jitters from frame to frame; on a real face both change together with the
// light. Internal to the detect module; exposed for tests.
#pragma once
#include <optional>
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect::seam {

inline constexpr double kMinSeconds = 3.0;
inline constexpr double kMaxGapS = 0.25;

struct Flicker {
  double start_s = 0.0, end_s = 0.0;
  int frames = 0;
  double rim_jitter = 0.0;      // median |change| per frame of (rim - middle) colour, 0..255 units
  double control_jitter = 0.0;  // the same of (middle - inner): compression noise and motion
  double ratio = 0.0;           // rim_jitter / control_jitter
  double score = 0.0;           // ratio / (1 + ratio): 0.5 when the rim jitters like the inside
};

// Over the points of a track between t0 and t1 (all when negative) in its longest gap-free stretch
// with seam colours; nullopt when that is shorter than kMinSeconds.
std::optional<Flicker> measure(const FaceTrack& track, double t0 = -1, double t1 = -1);

}  // namespace veritrace::detect::seam
