// The "blink" video detector: blink rate and eye-aspect-ratio dynamics of the main face.
#include "detect/detectors/blink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "detect/video_pipeline.hpp"

namespace veritrace::detect::blink {

namespace {

constexpr double kClose = 0.75;    // a blink starts below this share of the open-eye level
constexpr double kReopen = 0.85;   // and ends above this share
constexpr double kBaselineHalfS = 2.0;

double median_of(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  return v[mid];
}

double mean_ear(double r, double l) {
  if (std::isfinite(r) && std::isfinite(l)) return 0.5 * (r + l);
  if (std::isfinite(r)) return r;
  return l;  // NaN when neither
}

}  // namespace

std::vector<Blink> find_blinks(const EyeSeries& eyes) {
  const size_t n = eyes.time_s.size();
  std::vector<double> ear(n), base(n);
  for (size_t i = 0; i < n; ++i) ear[i] = mean_ear(eyes.ear_right[i], eyes.ear_left[i]);
  // Local open-eye level: the median of the surrounding window (blinks are brief, so they barely move it).
  size_t lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    while (eyes.time_s[lo] < eyes.time_s[i] - kBaselineHalfS) ++lo;
    while (hi < n && eyes.time_s[hi] <= eyes.time_s[i] + kBaselineHalfS) ++hi;
    std::vector<double> w;
    for (size_t k = lo; k < hi; ++k)
      if (std::isfinite(ear[k])) w.push_back(ear[k]);
    base[i] = median_of(std::move(w));
  }
  std::vector<Blink> out;
  size_t i = 0;
  while (i < n) {
    if (!(std::isfinite(ear[i]) && std::isfinite(base[i]) && base[i] > 0 && ear[i] < kClose * base[i])) {
      ++i;
      continue;
    }
    // A closing: follow it until the eye reopens (or the data ends or breaks).
    Blink b;
    b.start_s = b.end_s = eyes.time_s[i];
    double lowest = ear[i] / base[i];
    bool right_closed = false, left_closed = false;
    size_t j = i;
    bool reopened = false;
    for (; j < n; ++j) {
      if (!std::isfinite(ear[j])) break;
      const double level = base[i];
      if (ear[j] >= kReopen * level) {
        reopened = true;
        break;
      }
      b.end_s = eyes.time_s[j];
      lowest = std::min(lowest, ear[j] / level);
      if (std::isfinite(eyes.ear_right[j]) && eyes.ear_right[j] < kReopen * level) right_closed = true;
      if (std::isfinite(eyes.ear_left[j]) && eyes.ear_left[j] < kReopen * level) left_closed = true;
    }
    b.depth = lowest;
    b.both_eyes = right_closed && left_closed;
    if (reopened && b.end_s - b.start_s <= kMaxBlinkS) out.push_back(b);
    i = std::max(j, i + 1);
  }
  return out;
}

std::optional<EyeSeries> eye_series(const FaceTrack& track) {
  const auto& p = track.points;
  const auto [best_a, best_b] = longest_run(p, 2 * kMaxStepS, [](const FacePoint& q) {
    return std::isfinite(q.ear_right) || std::isfinite(q.ear_left);
  });
  if (best_b <= best_a || p[best_b - 1].time_s - p[best_a].time_s < kMinSeconds) return std::nullopt;
  EyeSeries s;
  for (size_t k = best_a; k < best_b; ++k) {
    s.time_s.push_back(p[k].time_s);
    s.ear_right.push_back(p[k].ear_right);
    s.ear_left.push_back(p[k].ear_left);
  }
  return s;
}

BlinkStats stats(const EyeSeries& eyes) {
  BlinkStats st;
  if (eyes.time_s.size() < 2) return st;
  st.seconds = eyes.time_s.back() - eyes.time_s.front();
  st.list = find_blinks(eyes);
  st.blinks = static_cast<int>(st.list.size());
  for (const auto& b : st.list) st.one_eye += b.both_eyes ? 0 : 1;
  st.per_minute = st.seconds > 0 ? 60.0 * st.blinks / st.seconds : 0.0;
  std::vector<double> all;
  for (size_t i = 0; i < eyes.time_s.size(); ++i) {
    const double e = mean_ear(eyes.ear_right[i], eyes.ear_left[i]);
    if (std::isfinite(e)) all.push_back(e);
  }
  st.median_open_ear = median_of(std::move(all));
  // Poisson CDF at the observed count.
  const double lambda = kNormalPerMinute * st.seconds / 60.0;
  double term = std::exp(-lambda), cdf = term;
  for (int k = 1; k <= st.blinks; ++k) {
    term *= lambda / k;
    cdf += term;
  }
  st.deficit = std::clamp(1.0 - cdf, 0.0, 1.0);
  return st;
}

}  // namespace veritrace::detect::blink

namespace veritrace::detect {

namespace {

class BlinkDetector final : public Detector {
 public:
  std::string name() const override { return "blink"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Video; }
  bool uses_landmarks() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    auto not_applicable = [this](std::string why) { return detect::not_applicable(*this, std::move(why), Finding::Manipulated); };
    if (auto why = face_signals_unavailable(sample, true); !why.empty()) return not_applicable(std::move(why));
    const VideoAnalysis* v = sample.video;
    if (v->analysis_fps > 0 && v->analysis_fps < 1.0 / blink::kMaxStepS)
      return not_applicable(fmt::format("frames are sampled at {:g} per second; blinks need at least {:g}", v->analysis_fps,
                                        1.0 / blink::kMaxStepS));
    // The face with the longest usable eye series.
    std::optional<blink::EyeSeries> best;
    int best_id = -1;
    for (const auto& t : v->tracks) {
      auto s = blink::eye_series(t);
      if (s && (!best || s->time_s.back() - s->time_s.front() > best->time_s.back() - best->time_s.front())) {
        best = std::move(s);
        best_id = t.id;
      }
    }
    if (!best)
      return not_applicable(fmt::format("no face's eyes were followed for {:.0f} s at {:g} or more frames per second",
                                        blink::kMinSeconds, 1.0 / blink::kMaxStepS));
    const blink::BlinkStats st = blink::stats(*best);
    DetectorResult r = applied(*this, Finding::Manipulated);
    r.score = st.deficit;
    auto& e = r.evidence;
    e.numbers = {{"blinks", st.blinks},
                 {"blinks_per_minute", st.per_minute},
                 {"one_eye_blinks", st.one_eye},
                 {"median_eye_aspect_ratio", st.median_open_ear},
                 {"seconds_analysed", st.seconds},
                 {"blink_deficit", st.deficit}};
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : st.list)
      list.push_back({{"start_s", b.start_s}, {"end_s", b.end_s}, {"depth", b.depth}, {"both_eyes", b.both_eyes}});
    e.details["blinks"] = list;
    e.details["face_track"] = best_id;
    if (st.deficit >= 0.8)
      e.summary = fmt::format(
          "The main face blinked {} time{} in {:.0f} s ({:.1f} a minute), fewer than people usually do; early face swaps "
          "often blinked too little, but a short clip or a fixed stare can do this too.",
          st.blinks, st.blinks == 1 ? "" : "s", st.seconds, st.per_minute);
    else
      e.summary = fmt::format("The main face blinked {} time{} in {:.0f} s ({:.1f} a minute), an ordinary rate.", st.blinks,
                              st.blinks == 1 ? "" : "s", st.seconds, st.per_minute);
    return r;
  }
};

}  // namespace

std::unique_ptr<Detector> make_blink_detector() { return std::make_unique<BlinkDetector>(); }

}  // namespace veritrace::detect
