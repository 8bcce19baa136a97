// Voice activity: an energy mask per frame (the GMM scores only speech frames) and a segment-level
// check that keeps silence, steady noise and sustained music from voting.
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "veritrace/audio.hpp"

namespace veritrace::audio {

namespace {

// RMS level in dBFS of the 20 ms around each frame centre, the signal reflected at both ends. The
// window of frame t is the two 10 ms blocks t and t + 1 of the padded signal, so each block's
// energy is summed once.
std::vector<double> frame_levels(std::span<const float> x) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int frames = frame_count(x.size());
  auto at = [&](int64_t i) {  // padded position -> sample (reflect)
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return static_cast<double>(x[static_cast<size_t>(std::clamp<int64_t>(i, 0, n - 1))]);
  };
  std::vector<double> block(static_cast<size_t>(frames) + 1);
  for (int j = 0; j <= frames; ++j) {
    const int64_t first = static_cast<int64_t>(j - 1) * kFrameHop;
    double sum = 0.0;
    if (first >= 0 && first + kFrameHop <= n) {
      for (int64_t i = first; i < first + kFrameHop; ++i) sum += static_cast<double>(x[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)];
    } else {
      for (int64_t i = first; i < first + kFrameHop; ++i) sum += at(i) * at(i);
    }
    block[static_cast<size_t>(j)] = sum;
  }
  std::vector<double> db(frames);
  for (int t = 0; t < frames; ++t) db[t] = 10.0 * std::log10((block[t] + block[t + 1]) / kWindow + 1e-12);
  return db;
}

constexpr double kFloorDbfs = -55.0;
constexpr double kRangeDb = 30.0;

}  // namespace

std::vector<uint8_t> speech_frames(std::span<const float> x) {
  if (x.size() < 2) return std::vector<uint8_t>(frame_count(x.size()), 0);
  const auto db = frame_levels(x);
  const double loudest = *std::max_element(db.begin(), db.end());
  std::vector<uint8_t> mask(db.size());
  for (size_t t = 0; t < db.size(); ++t) mask[t] = db[t] >= kFloorDbfs && db[t] >= loudest - kRangeDb;
  return mask;
}

SpeechCheck check_speech(std::span<const float> segment, std::span<const uint8_t> frames) {
  SpeechCheck c;
  if (segment.size() < 2 || frames.empty()) {
    c.why_not = "too short";
    return c;
  }
  const auto db = frame_levels(segment);
  const size_t n = std::min(db.size(), frames.size());
  size_t active = 0;
  for (size_t t = 0; t < n; ++t) active += frames[t] != 0;
  c.active_share = static_cast<double>(active) / n;
  if (c.active_share < 0.2) {
    c.why_not = "mostly silence";
    return c;
  }
  // Pauses: within the span from the first to the last active frame, frames quieter than half
  // the mean RMS (speech: between syllables and words; sustained tones and noise: almost none).
  size_t first = 0, last = n;
  while (first < n && !frames[first]) ++first;
  while (last > first && !frames[last - 1]) --last;
  double mean_rms = 0.0;
  for (size_t t = first; t < last; ++t) mean_rms += std::pow(10.0, db[t] / 20.0);
  if (last > first) {
    mean_rms /= static_cast<double>(last - first);
    size_t low = 0;
    for (size_t t = first; t < last; ++t) low += std::pow(10.0, db[t] / 20.0) < 0.5 * mean_rms;
    c.low_energy_share = static_cast<double>(low) / static_cast<double>(last - first);
  }
  if (c.low_energy_share < 0.08) {
    c.why_not = "no pauses between sounds (steady noise or sustained music)";
    return c;
  }
  // Syllabic rhythm: spectrum of the loudness envelope (dB, floored 40 dB below the loudest frame,
  // mean removed, sampled at 100 Hz); share of its 0.5-20 Hz energy that lies in 2-8 Hz.
  const double loudest = *std::max_element(db.begin(), db.begin() + static_cast<long>(n));
  std::vector<double> env(n);
  double mean = 0.0;
  for (size_t t = 0; t < n; ++t) mean += env[t] = std::max(db[t], loudest - 40.0);
  mean /= static_cast<double>(n);
  for (auto& v : env) v -= mean;
  const double frame_rate = static_cast<double>(kSampleRate) / kFrameHop;
  const double df = frame_rate / static_cast<double>(n);
  double band = 0.0, total = 0.0;
  for (double f = std::max(df, 0.5); f <= 20.0; f += df) {
    std::complex<double> acc = 0.0, phasor = 1.0;
    const std::complex<double> step = std::polar(1.0, -2.0 * std::numbers::pi * f / frame_rate);
    for (size_t t = 0; t < n; ++t, phasor *= step) acc += env[t] * phasor;
    const double p = std::norm(acc);
    total += p;
    if (f >= 2.0 && f <= 8.0) band += p;
  }
  c.syllabic_share = total > 0.0 ? band / total : 0.0;
  if (c.syllabic_share < 0.12)
    c.why_not = "loudness does not rise and fall at the rate of syllables";
  c.speech = c.why_not.empty();
  return c;
}

}  // namespace veritrace::audio
