// The "seam_flicker" video detector: frame-to-frame jitter of the face rim's colour against the
// face's middle, relative to the same jitter inside the face.
#include "detect/detectors/seam_flicker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "detect/video_pipeline.hpp"

namespace veritrace::detect::seam {

namespace {

double median_abs(std::vector<double> v) {
  if (v.empty()) return 0.0;
  for (double& x : v) x = std::abs(x);
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

}  // namespace

std::optional<Flicker> measure(const FaceTrack& track, double t0, double t1) {
  const auto& p = track.points;
  const auto [best_a, best_b] = longest_run(p, kMaxGapS, [&](const FacePoint& q) {
    return q.seam_valid && (t0 < 0 || q.time_s >= t0) && (t1 < 0 || q.time_s <= t1);
  });
  if (best_b <= best_a + 2 || p[best_b - 1].time_s - p[best_a].time_s < kMinSeconds - 1e-9) return std::nullopt;
  // Per channel, first differences of the two colour steps; pooled over channels.
  std::vector<double> rim_changes, control_changes;
  for (size_t k = best_a + 1; k < best_b; ++k)
    for (size_t c = 0; c < 3; ++c) {
      const double rim_now = p[k].rim_rgb[c] - p[k].mid_rgb[c], rim_before = p[k - 1].rim_rgb[c] - p[k - 1].mid_rgb[c];
      const double ctl_now = p[k].mid_rgb[c] - p[k].inner_rgb[c], ctl_before = p[k - 1].mid_rgb[c] - p[k - 1].inner_rgb[c];
      rim_changes.push_back(rim_now - rim_before);
      control_changes.push_back(ctl_now - ctl_before);
    }
  Flicker f;
  f.start_s = p[best_a].time_s;
  f.end_s = p[best_b - 1].time_s;
  f.frames = static_cast<int>(best_b - best_a);
  f.rim_jitter = median_abs(std::move(rim_changes));
  f.control_jitter = median_abs(std::move(control_changes));
  // A floor of a tenth of a grey level keeps a perfectly still inside from making any rim infinite.
  f.ratio = f.rim_jitter / std::max(0.1, f.control_jitter);
  f.score = f.ratio / (1.0 + f.ratio);
  return f;
}

}  // namespace veritrace::detect::seam

namespace veritrace::detect {

namespace {

class SeamFlickerDetector final : public Detector {
 public:
  std::string name() const override { return "seam_flicker"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Video; }
  bool uses_landmarks() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    if (auto why = face_signals_unavailable(sample, true); !why.empty())
      return not_applicable(*this, std::move(why), Finding::Manipulated);
    const VideoAnalysis* v = sample.video;
    std::optional<seam::Flicker> best;
    int best_id = -1;
    const FaceTrack* track = nullptr;
    for (const auto& t : v->tracks) {
      auto f = seam::measure(t);
      if (f && (!best || f->frames > best->frames)) {
        best = f;
        best_id = t.id;
        track = &t;
      }
    }
    if (!best)
      return not_applicable(*this, fmt::format("no face large enough (jaw line 40 px or more) was followed for {:.0f} s",
                                        seam::kMinSeconds), Finding::Manipulated);
    DetectorResult r = applied(*this, Finding::Manipulated);
    r.score = best->score;
    auto& e = r.evidence;
    e.numbers = {{"flicker_ratio", best->ratio},
                 {"rim_jitter", best->rim_jitter},
                 {"inside_jitter", best->control_jitter},
                 {"frames", best->frames},
                 {"seconds_analysed", best->end_s - best->start_s}};
    e.details["face_track"] = best_id;
    for (double t = best->start_s; t + 3.0 <= best->end_s + 1e-9; t += 1.5)
      if (const auto w = seam::measure(*track, t, t + 3.0))
        e.time_ranges.push_back({w->start_s, w->end_s, w->score, fmt::format("face {}", best_id)});
    if (best->ratio >= 1.5)
      e.summary = fmt::format(
          "The colour at the rim of the main face jumps from frame to frame {:.1f} times as much as inside the face, as a "
          "blended-in face can; movement at the jaw line and hair can do this too.",
          best->ratio);
    else
      e.summary = fmt::format("The rim of the main face changes colour about as steadily as its inside ({:.1f} times).",
                              best->ratio);
    return r;
  }
};

}  // namespace

std::unique_ptr<Detector> make_seam_flicker_detector() { return std::make_unique<SeamFlickerDetector>(); }

}  // namespace veritrace::detect
