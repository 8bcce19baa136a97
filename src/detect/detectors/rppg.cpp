// "rppg": is there one pulse in the face's skin? Signals from the engine's video analysis (mean skin
// colour of forehead and cheeks per analysed frame, src/detect/video_pipeline.cpp); POS pulse
// extraction per region; coherence of the regions' pulses. Supporting evidence only: recent swaps
// can keep the source video's pulse, and strong compression or motion also wash the pulse out.
#include "detect/detectors/rppg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "detect/detectors/detectors.hpp"
#include "detect/image_util.hpp"
#include "detect/video_pipeline.hpp"

namespace veritrace::detect::rppg {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxGapS = 0.5;

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double stddev_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

// Centred moving average with a window of w samples (edges use the samples available).
std::vector<double> moving_average(const std::vector<double>& x, int w) {
  const int n = static_cast<int>(x.size());
  std::vector<double> prefix(x.size() + 1, 0.0);
  for (int i = 0; i < n; ++i) prefix[static_cast<size_t>(i) + 1] = prefix[static_cast<size_t>(i)] + x[static_cast<size_t>(i)];
  std::vector<double> out(x.size());
  const int h = w / 2;
  for (int i = 0; i < n; ++i) {
    const int a = std::max(0, i - h), b = std::min(n, i + h + 1);
    out[static_cast<size_t>(i)] = (prefix[static_cast<size_t>(b)] - prefix[static_cast<size_t>(a)]) / (b - a);
  }
  return out;
}

std::vector<double> band_pass(const std::vector<double>& x, double fs) {
  const auto slow = moving_average(x, std::max(3, static_cast<int>(std::lround(fs / kMinHz))));
  std::vector<double> hp(x.size());
  for (size_t i = 0; i < x.size(); ++i) hp[i] = x[i] - slow[i];
  return moving_average(hp, std::max(1, static_cast<int>(std::lround(fs / (2.0 * kMaxHz)))));
}

double band_power(const std::vector<double>& freqs, const std::vector<double>& power, double lo, double hi) {
  double s = 0;
  for (size_t i = 0; i < freqs.size(); ++i)
    if (freqs[i] >= lo && freqs[i] <= hi) s += power[i];
  return s;
}

// Linear interpolation of (t, v) samples at t_query (t sorted, non-empty).
double interpolate(const std::vector<double>& t, const std::vector<double>& v, double q) {
  if (q <= t.front()) return v.front();
  if (q >= t.back()) return v.back();
  const auto it = std::upper_bound(t.begin(), t.end(), q);
  const size_t j = static_cast<size_t>(it - t.begin());
  const double a = (q - t[j - 1]) / std::max(1e-9, t[j] - t[j - 1]);
  return v[j - 1] + a * (v[j] - v[j - 1]);
}

}  // namespace

std::vector<double> pos_pulse(const std::vector<std::array<float, 3>>& rgb, double fs) {
  const size_t n = rgb.size();
  std::vector<double> h(n, 0.0);
  const size_t l = static_cast<size_t>(std::ceil(1.6 * fs));
  if (l < 2 || n < l) return h;
  std::vector<double> s1(l), s2(l);
  for (size_t start = 0; start + l <= n; ++start) {
    double mu[3] = {0, 0, 0};
    for (size_t k = 0; k < l; ++k)
      for (size_t c = 0; c < 3; ++c) mu[c] += rgb[start + k][c];
    for (double& m : mu) m = std::max(1e-6, m / static_cast<double>(l));
    for (size_t k = 0; k < l; ++k) {
      const double r = rgb[start + k][0] / mu[0], g = rgb[start + k][1] / mu[1], b = rgb[start + k][2] / mu[2];
      s1[k] = g - b;
      s2[k] = g + b - 2.0 * r;
    }
    const double sd2 = stddev_of(s2);
    const double alpha = sd2 > 1e-12 ? stddev_of(s1) / sd2 : 0.0;
    double m = 0;
    for (size_t k = 0; k < l; ++k) m += s1[k] + alpha * s2[k];
    m /= static_cast<double>(l);
    for (size_t k = 0; k < l; ++k) h[start + k] += s1[k] + alpha * s2[k] - m;
  }
  return h;
}

Peak dominant_frequency(const std::vector<double>& signal, double fs) {
  Peak out;
  const size_t n = signal.size();
  if (n < 8 || fs <= 2 * kMinHz) return out;
  const double m = mean_of(signal);
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (signal[i] - m) * (0.5 - 0.5 * std::cos(2 * kPi * static_cast<double>(i) / static_cast<double>(n - 1)));
  std::vector<double> freqs, power;
  const double top = std::min(kMaxHz, 0.5 * fs);
  for (double f = kMinHz; f <= top + 1e-9; f += 0.01) {
    double re = 0, im = 0;
    const double w = 2 * kPi * f / fs;
    for (size_t i = 0; i < n; ++i) {
      re += x[i] * std::cos(w * static_cast<double>(i));
      im -= x[i] * std::sin(w * static_cast<double>(i));
    }
    freqs.push_back(f);
    power.push_back(re * re + im * im);
  }
  const size_t best = static_cast<size_t>(std::max_element(power.begin(), power.end()) - power.begin());
  out.hz = freqs[best];
  const double total = band_power(freqs, power, kMinHz, top);
  double signal_power = band_power(freqs, power, out.hz - 0.1, out.hz + 0.1);
  if (2 * out.hz <= top) signal_power += band_power(freqs, power, 2 * out.hz - 0.2, 2 * out.hz + 0.2);
  const double noise = std::max(total - signal_power, 1e-12 * std::max(total, 1e-300));
  out.snr_db = total > 0 ? 10.0 * std::log10(std::max(signal_power, 1e-300) / noise) : -100.0;
  return out;
}

double band_correlation(const std::vector<double>& a, const std::vector<double>& b, double fs) {
  if (a.size() != b.size() || a.size() < 4) return 0.0;
  const auto x = band_pass(a, fs), y = band_pass(b, fs);
  const double mx = mean_of(x), my = mean_of(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

std::optional<PulseEstimate> estimate(const FaceTrack& track, double t0, double t1) {
  std::vector<const FacePoint*> pts;
  for (const auto& p : track.points)
    if ((t0 < 0 || p.time_s >= t0) && (t1 < 0 || p.time_s <= t1)) pts.push_back(&p);
  // The longest stretch without a gap.
  size_t best_a = 0, best_b = 0, a = 0;
  for (size_t i = 1; i <= pts.size(); ++i) {
    if (i == pts.size() || pts[i]->time_s - pts[i - 1]->time_s > kMaxGapS) {
      if (i > a && pts[i - 1]->time_s - pts[a]->time_s > (best_b > best_a ? pts[best_b - 1]->time_s - pts[best_a]->time_s : -1.0)) {
        best_a = a;
        best_b = i;
      }
      a = i;
    }
  }
  if (best_b - best_a < 8) return std::nullopt;
  const double start = pts[best_a]->time_s, end = pts[best_b - 1]->time_s;
  if (end - start < kMinSeconds) return std::nullopt;
  std::vector<double> dts;
  for (size_t i = best_a + 1; i < best_b; ++i) dts.push_back(pts[i]->time_s - pts[i - 1]->time_s);
  std::nth_element(dts.begin(), dts.begin() + static_cast<long>(dts.size() / 2), dts.end());
  const double fs = std::clamp(1.0 / std::max(1e-3, dts[dts.size() / 2]), 5.0, 30.0);
  const size_t n = static_cast<size_t>(std::floor((end - start) * fs)) + 1;

  PulseEstimate est;
  est.start_s = start;
  est.end_s = end;
  est.fs = fs;
  std::vector<std::vector<double>> pulses;
  for (size_t r = 0; r < static_cast<size_t>(kSkinRegions); ++r) {
    std::vector<double> t;
    std::array<std::vector<double>, 3> v;
    for (size_t i = best_a; i < best_b; ++i) {
      if (!pts[i]->skin_valid[r]) continue;
      t.push_back(pts[i]->time_s);
      for (size_t c = 0; c < 3; ++c) v[c].push_back(pts[i]->skin_rgb[r][c]);
    }
    if (t.size() * 10 < (best_b - best_a) * 8) {  // usable in under 80% of the frames
      pulses.emplace_back();
      continue;
    }
    std::vector<std::array<float, 3>> grid(n);
    for (size_t k = 0; k < n; ++k) {
      const double q = start + static_cast<double>(k) / fs;
      for (size_t c = 0; c < 3; ++c) grid[k][c] = static_cast<float>(interpolate(t, v[c], q));
    }
    pulses.push_back(pos_pulse(grid, fs));
    est.regions[r].used = true;
    est.regions[r].peak = dominant_frequency(pulses.back(), fs);
    ++est.regions_used;
  }
  if (est.regions_used < 2) return std::nullopt;
  // Combined pulse: the regions' signals at unit variance, averaged.
  std::vector<double> combined(n, 0.0);
  for (const auto& p : pulses) {
    if (p.empty()) continue;
    const double sd = std::max(1e-12, stddev_of(p));
    for (size_t k = 0; k < n; ++k) combined[k] += p[k] / sd;
  }
  est.combined = dominant_frequency(combined, fs);
  double corr = 0;
  int pairs = 0, agree = 0;
  for (size_t i = 0; i < pulses.size(); ++i) {
    if (pulses[i].empty()) continue;
    if (std::abs(est.regions[i].peak.hz - est.combined.hz) <= 0.1) ++agree;
    for (size_t j = i + 1; j < pulses.size(); ++j) {
      if (pulses[j].empty()) continue;
      corr += band_correlation(pulses[i], pulses[j], fs);
      ++pairs;
    }
  }
  est.mean_correlation = pairs ? corr / pairs : 0.0;
  est.peak_agreement = static_cast<double>(agree) / est.regions_used;
  // Fixed weights, chosen before any evaluation: shared waveform, shared rate, a clear peak.
  const double snr_term = std::clamp((est.combined.snr_db + 5.0) / 10.0, 0.0, 1.0);
  est.coherence = 0.5 * std::max(0.0, est.mean_correlation) + 0.25 * est.peak_agreement + 0.25 * snr_term;
  return est;
}

}  // namespace veritrace::detect::rppg

namespace veritrace::detect {

namespace {

constexpr double kWindowS = 8.0;
constexpr double kStepS = 4.0;

class RppgDetector final : public Detector {
 public:
  std::string name() const override { return "rppg"; }
  std::string version() const override { return "1"; }
  bool applies_to(MediaType t) const override { return t == MediaType::Video; }

  DetectorResult run(const Sample& sample) const override {
    if (auto why = face_signals_unavailable(sample, false); !why.empty())
      return not_applicable(*this, std::move(why), Finding::Manipulated);
    const VideoAnalysis* v = sample.video;
    DetectorResult r;
    r.points_to = Finding::Manipulated;
    // The main face: the track seen in the most frames.
    const FaceTrack* main = &v->tracks.front();
    for (const auto& t : v->tracks)
      if (t.points.size() > main->points.size()) main = &t;
    const auto est = rppg::estimate(*main);
    if (!est) {
      r.status = Status::NotApplicable;
      r.reason = fmt::format("no face was followed for {:.0f} s without a break with its skin visible (main face: {:.1f} s)",
                             rppg::kMinSeconds, main->end_s() - main->start_s());
      return r;
    }
    r.status = Status::Applied;
    r.score = 1.0 - est->coherence;
    const double bpm = 60.0 * est->combined.hz;
    auto& e = r.evidence;
    e.numbers = {{"coherence", est->coherence},
                 {"heart_rate_bpm", bpm},
                 {"snr_db", est->combined.snr_db},
                 {"mean_region_correlation", est->mean_correlation},
                 {"peak_agreement", est->peak_agreement},
                 {"regions_used", est->regions_used},
                 {"seconds_analysed", est->end_s - est->start_s},
                 {"sampling_hz", est->fs}};
    static const char* kRegionNames[kSkinRegions] = {"forehead", "right_cheek", "left_cheek"};
    nlohmann::json regions = nlohmann::json::object();
    for (size_t i = 0; i < static_cast<size_t>(kSkinRegions); ++i)
      regions[kRegionNames[i]] = est->regions[i].used
                                     ? nlohmann::json{{"bpm", 60.0 * est->regions[i].peak.hz}, {"snr_db", est->regions[i].peak.snr_db}}
                                     : nlohmann::json(nullptr);
    e.details["regions"] = regions;
    e.details["face_track"] = main->id;
    e.details["tracks_with_faces"] = v->tracks.size();
    // Coherence over time, in overlapping windows.
    for (double t = est->start_s; t + kWindowS <= est->end_s + 1e-9; t += kStepS) {
      if (const auto w = rppg::estimate(*main, t, t + kWindowS))
        e.time_ranges.push_back({w->start_s, w->end_s, 1.0 - w->coherence, fmt::format("face {}", main->id)});
    }
    if (est->coherence >= 0.5)
      e.summary = fmt::format(
          "The main face shows one pulse of about {:.0f} beats per minute in its forehead and cheeks (coherence {:.2f}), as "
          "real skin does; good face swaps can keep the source's pulse, so this does not clear the video.",
          bpm, est->coherence);
    else
      e.summary = fmt::format(
          "The forehead and cheeks of the main face do not share one pulse (coherence {:.2f}), which many face swaps "
          "cause; compression and motion weaken the pulse too, so this is supporting evidence only.",
          est->coherence);
    return r;
  }
};

}  // namespace

std::unique_ptr<Detector> make_rppg_detector() { return std::make_unique<RppgDetector>(); }

}  // namespace veritrace::detect
