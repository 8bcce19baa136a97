// The "lipsync" video detector: mouth movement against the sound track's loudness.
#include "detect/detectors/lipsync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "detect/video_pipeline.hpp"

namespace veritrace::detect::lipsync {

namespace {

constexpr double kMaxGapS = 0.25;

std::vector<double> minus_running_mean(const std::vector<double>& t, const std::vector<double>& x, double half_s) {
  std::vector<double> out(x.size());
  size_t lo = 0, hi = 0;
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    while (hi < x.size() && t[hi] <= t[i] + half_s) sum += x[hi++];
    while (t[lo] < t[i] - half_s) sum -= x[lo++];
    out[i] = x[i] - sum / static_cast<double>(hi - lo);
  }
  return out;
}

// Pearson correlation of a[i] with b[i + k] over the overlap.
double correlation_at(const std::vector<double>& a, const std::vector<double>& b, int k) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  int n = 0;
  for (int i = std::max(0, -k); i < static_cast<int>(a.size()) && i + k < static_cast<int>(b.size()); ++i) {
    const double x = a[static_cast<size_t>(i)], y = b[static_cast<size_t>(i + k)];
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
    ++n;
  }
  if (n < 8) return 0.0;
  const double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
  if (va < 1e-9 * n || vb < 1e-9 * n) return 0.0;  // a still mouth or a flat sound: no link
  return (sab - sa * sb / n) / std::sqrt(va * vb);
}

double percentile(std::vector<float> v, double q) {
  if (v.empty()) return -200.0;
  const auto k = static_cast<size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

bool has_speech(const std::vector<float>& level_db) {
  const double loud = percentile(level_db, 0.95), quiet = percentile(level_db, 0.10);
  return loud > -45.0 && loud - quiet >= 12.0;
}

std::optional<Series> series(const FaceTrack& track, const VideoAnalysis& v) {
  const auto& p = track.points;
  if (v.audio_level_db.empty() || v.audio_block_s <= 0) return std::nullopt;
  const double audio_end = static_cast<double>(v.audio_level_db.size()) * v.audio_block_s;
  const auto [best_a, best_b] = longest_run(p, kMaxGapS, [&](const FacePoint& q) {
    return std::isfinite(q.mouth_open) && q.time_s < audio_end;
  });
  if (best_b <= best_a || p[best_b - 1].time_s - p[best_a].time_s < kMinSeconds) return std::nullopt;
  Series s;
  const double frame_s = v.analysis_fps > 0 ? 1.0 / v.analysis_fps : 1.0 / 15.0;
  for (size_t k = best_a; k < best_b; ++k) {
    const double t = p[k].time_s;
    const auto b0 = static_cast<size_t>(std::max(0.0, (t - frame_s / 2) / v.audio_block_s));
    const auto b1 = std::min(v.audio_level_db.size(), static_cast<size_t>((t + frame_s / 2) / v.audio_block_s) + 1);
    if (b1 <= b0) continue;
    // Mean power over the frame's interval, in dB.
    double power = 0;
    for (size_t b = b0; b < b1; ++b) power += std::pow(10.0, v.audio_level_db[b] / 10.0);
    s.time_s.push_back(t);
    s.mouth.push_back(p[k].mouth_open);
    s.level.push_back(10.0 * std::log10(power / static_cast<double>(b1 - b0) + 1e-12));
  }
  if (s.time_s.size() < 2 || s.time_s.back() - s.time_s.front() < kMinSeconds) return std::nullopt;
  return s;
}

Sync measure(const Series& s) {
  Sync out;
  out.samples = static_cast<int>(s.time_s.size());
  if (s.time_s.size() < 2) return out;
  const double dt = (s.time_s.back() - s.time_s.front()) / static_cast<double>(s.time_s.size() - 1);
  const auto mouth = minus_running_mean(s.time_s, s.mouth, 0.5);
  const auto level = minus_running_mean(s.time_s, s.level, 0.5);
  const int max_k = static_cast<int>(std::lround(kMaxLagS / dt));
  const int sync_k = static_cast<int>(std::lround(kInSyncS / dt));
  out.in_sync = -1.0;
  out.best = -1.0;
  for (int k = -max_k; k <= max_k; ++k) {
    const double c = correlation_at(mouth, level, k);
    if (std::abs(k) <= sync_k) out.in_sync = std::max(out.in_sync, c);
    if (c > out.best) {
      out.best = c;
      out.best_lag_s = k * dt;
    }
  }
  out.score = 1.0 - std::clamp(out.in_sync / 0.4, 0.0, 1.0);
  if (std::abs(out.best_lag_s) > kInSyncS + 1e-9 && out.best - out.in_sync >= 0.1) out.score = std::max(out.score, 0.8);
  return out;
}

}  // namespace veritrace::detect::lipsync

namespace veritrace::detect {

namespace {

class LipsyncDetector final : public Detector {
 public:
  std::string name() const override { return "lipsync"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Video; }
  bool uses_landmarks() const override { return true; }
  bool uses_audio() const override { return true; }

  DetectorResult run(const Sample& sample) const override {
    auto not_applicable = [this](std::string why) { return detect::not_applicable(*this, std::move(why), Finding::Manipulated); };
    const VideoAnalysis* v = sample.video;
    if (!v) return not_applicable("no decoded video");
    if (!v->audio_unavailable.empty()) return not_applicable(v->audio_unavailable);
    if (!lipsync::has_speech(v->audio_level_db)) return not_applicable("no speech-like sound in the sound track");
    if (auto why = face_signals_unavailable(sample, true); !why.empty()) return not_applicable(std::move(why));
    if (v->analysis_fps > 0 && v->analysis_fps < 8.0)
      return not_applicable(fmt::format("frames are sampled at {:g} per second; lip movement needs at least 8", v->analysis_fps));
    std::optional<lipsync::Series> best;
    int best_id = -1;
    for (const auto& t : v->tracks) {
      auto s = lipsync::series(t, *v);
      if (s && (!best || s->time_s.size() > best->time_s.size())) {
        best = std::move(s);
        best_id = t.id;
      }
    }
    if (!best) return not_applicable(fmt::format("no face's mouth was followed for {:.0f} s while the sound track runs", lipsync::kMinSeconds));
    const lipsync::Sync sync = lipsync::measure(*best);
    DetectorResult r = applied(*this, Finding::Manipulated);
    r.score = sync.score;
    const double seconds = best->time_s.back() - best->time_s.front();
    auto& e = r.evidence;
    e.numbers = {{"correlation_in_sync", sync.in_sync},
                 {"best_correlation", sync.best},
                 {"best_offset_s", sync.best_lag_s},
                 {"seconds_analysed", seconds}};
    e.details["face_track"] = best_id;
    // The link over time, in 4 s windows every 2 s.
    for (double t0 = best->time_s.front(); t0 + 4.0 <= best->time_s.back() + 1e-9; t0 += 2.0) {
      lipsync::Series w;
      for (size_t i = 0; i < best->time_s.size(); ++i)
        if (best->time_s[i] >= t0 && best->time_s[i] <= t0 + 4.0) {
          w.time_s.push_back(best->time_s[i]);
          w.mouth.push_back(best->mouth[i]);
          w.level.push_back(best->level[i]);
        }
      if (w.time_s.size() >= 16) e.time_ranges.push_back({t0, t0 + 4.0, lipsync::measure(w).score, fmt::format("face {}", best_id)});
    }
    if (sync.score >= 0.8 && std::abs(sync.best_lag_s) > lipsync::kInSyncS)
      e.summary = fmt::format(
          "The mouth of the main face moves with the speech only when the sound is shifted by {:+.2f} s (correlation {:.2f}, "
          "{:.2f} in sync): the voice may have been dubbed or the face animated to another recording.",
          sync.best_lag_s, sync.best, sync.in_sync);
    else if (sync.score >= 0.5)
      e.summary = fmt::format(
          "The mouth of the main face barely follows the speech (correlation {:.2f}): the voice may not be this face's, or "
          "the speaker is off screen.",
          sync.in_sync);
    else
      e.summary = fmt::format("The mouth of the main face moves with the speech (correlation {:.2f} in sync).", sync.in_sync);
    return r;
  }
};

}  // namespace

std::unique_ptr<Detector> make_lipsync_detector() { return std::make_unique<LipsyncDetector>(); }

}  // namespace veritrace::detect
