// Blinks from the eye aspect ratio for the "blink" video detector: people blink every few seconds
// (about 8-20 times a minute at rest, more while talking); early face swaps, trained on photos with
// open eyes, blinked rarely or with one eye. Internal to the detect module; exposed for tests.
#pragma once
#include <vector>

#include "veritrace/detect.hpp"

namespace veritrace::detect::blink {

inline constexpr double kMinSeconds = 5.0;       // shortest stretch of eye measurements worth a rate
inline constexpr double kMaxStepS = 0.125;       // samples must be at most this far apart (>= 8 per second)
inline constexpr double kNormalPerMinute = 10.0; // a conservative resting rate of awake adults
inline constexpr double kMaxBlinkS = 0.6;        // longer closures are looking down or shut eyes

struct Blink {
  double start_s = 0.0, end_s = 0.0;  // first and last sample below the closing threshold
  double depth = 0.0;                 // lowest EAR over the local open-eye level (0 = fully shut)
  bool both_eyes = true;              // false: only one eye closed (a wink, or eyes that disagree)
};

struct EyeSeries {
  std::vector<double> time_s;
  std::vector<double> ear_right, ear_left;  // per sample; NaN where unmeasured
};

// Blinks in a series: a dip of the mean EAR below 75% of its local open-eye level (the median over
// the surrounding 4 s), back above 85% of it within kMaxBlinkS. A dip counts for both eyes when
// each eye on its own fell below 85%.
std::vector<Blink> find_blinks(const EyeSeries& eyes);

struct BlinkStats {
  double seconds = 0.0;        // span of the analysed stretch
  int blinks = 0;
  int one_eye = 0;             // blinks where only one eye closed
  double per_minute = 0.0;
  double median_open_ear = 0.0;
  double deficit = 0.0;        // P(at least this few blinks | normal rate) turned into a score, see stats()
  std::vector<Blink> list;
};

// The eye series of a face track's longest stretch without gaps over kMaxStepS * 2, or nothing
// when that stretch is shorter than kMinSeconds.
std::optional<EyeSeries> eye_series(const FaceTrack& track);

// deficit = 1 - P(N <= blinks) for N Poisson with mean kNormalPerMinute * minutes: near 1 when a
// normal blinker would almost surely have blinked more, near 0 when the count is ordinary or high.
BlinkStats stats(const EyeSeries& eyes);

}  // namespace veritrace::detect::blink
