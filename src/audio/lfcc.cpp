// LFCC as tools/train/voice/features.py defines it through torchaudio (Spectrogram with centred,
// reflect-padded frames and a periodic Hann window of 320 samples centred in 512; a linear
// triangular filterbank; log(x + 1e-6); orthonormal DCT-II; compute_deltas with 5 frames).
#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numbers>

#include "audio/fft.hpp"
#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

namespace veritrace::audio {

namespace {

constexpr int kBins = kFft / 2 + 1;

struct Tables {
  std::array<float, kFft> window{};                     // Hann(320, periodic) centred in 512
  std::array<std::array<double, kBins>, kFilters> fb{};  // filter x bin
  std::array<std::array<double, kFilters>, kCepstra> dct{};
  fftwf_plan plan = nullptr;

  Tables() {
    const int left = (kFft - kWindow) / 2;
    for (int n = 0; n < kWindow; ++n)
      window[left + n] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * n / kWindow));
    // Filter m rises from point m to m + 1 and falls to m + 2; points evenly spaced over 0-8 kHz.
    const double nyquist = kSampleRate / 2.0;
    std::array<double, kFilters + 2> pts{};
    for (int i = 0; i < kFilters + 2; ++i) pts[i] = nyquist * i / (kFilters + 1);
    for (int m = 0; m < kFilters; ++m)
      for (int k = 0; k < kBins; ++k) {
        const double f = nyquist * k / (kBins - 1);
        const double up = (f - pts[m]) / (pts[m + 1] - pts[m]);
        const double down = (pts[m + 2] - f) / (pts[m + 2] - pts[m + 1]);
        fb[m][k] = std::max(0.0, std::min(up, down));
      }
    for (int k = 0; k < kCepstra; ++k)
      for (int n = 0; n < kFilters; ++n) {
        double v = std::cos(std::numbers::pi / kFilters * (n + 0.5) * k) * std::sqrt(2.0 / kFilters);
        if (k == 0) v /= std::sqrt(2.0);
        dct[k][n] = v;
      }
    std::lock_guard lock(fftw_planner_mutex());
    auto* in = static_cast<float*>(fftwf_malloc(sizeof(float) * kFft));
    auto* out = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * kBins));
    if (in && out) plan = fftwf_plan_dft_r2c_1d(kFft, in, out, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
    if (!plan) throw Error(ErrorKind::Internal, "audio: FFTW could not plan a transform");
  }
  ~Tables() { fftwf_destroy_plan(plan); }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

// Index into x of position i of the signal reflected at both ends (numpy/torch "reflect").
inline size_t reflect(int64_t i, int64_t n) {
  if (i < 0) i = -i;
  if (i >= n) i = 2 * (n - 1) - i;
  return static_cast<size_t>(i);
}

// 5-frame regression deltas with replicated edges: d_t = sum_{i=1,2} i (x_{t+i} - x_{t-i}) / 10.
void deltas(const float* in, float* out, int frames) {
  auto at = [&](int t) { return in[std::clamp(t, 0, frames - 1)]; };
  for (int t = 0; t < frames; ++t)
    out[t] = ((at(t + 1) - at(t - 1)) + 2.0f * (at(t + 2) - at(t - 2))) / 10.0f;
}

}  // namespace

Features lfcc(std::span<const float> x) {
  if (x.size() <= static_cast<size_t>(kFft / 2))
    throw Error(ErrorKind::Usage, "audio: LFCC needs more than 256 samples");
  const Tables& tb = tables();
  const int64_t n = static_cast<int64_t>(x.size());
  const int frames = frame_count(x.size());
  Features f;
  f.rows = kFeatureRows;
  f.frames = frames;
  f.values.assign(static_cast<size_t>(kFeatureRows) * frames, 0.0f);
  std::unique_ptr<float, FftwFree> in(static_cast<float*>(fftwf_malloc(sizeof(float) * kFft)));
  std::unique_ptr<fftwf_complex, FftwFree> out(static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * kBins)));
  if (!in || !out) throw std::bad_alloc();
  std::array<double, kBins> power{};
  std::array<double, kFilters> log_energy{};
  for (int t = 0; t < frames; ++t) {
    const int64_t first = static_cast<int64_t>(t) * kFrameHop - kFft / 2;
    for (int j = 0; j < kFft; ++j) in.get()[j] = tb.window[j] == 0.0f ? 0.0f : x[reflect(first + j, n)] * tb.window[j];
    fftwf_execute_dft_r2c(tb.plan, in.get(), out.get());
    for (int k = 0; k < kBins; ++k) {
      const double re = out.get()[k][0], im = out.get()[k][1];
      power[k] = re * re + im * im;
    }
    for (int m = 0; m < kFilters; ++m) {
      double e = 0.0;
      for (int k = 0; k < kBins; ++k) e += tb.fb[m][k] * power[k];
      log_energy[m] = std::log(e + 1e-6);
    }
    for (int c = 0; c < kCepstra; ++c) {
      double v = 0.0;
      for (int m = 0; m < kFilters; ++m) v += tb.dct[c][m] * log_energy[m];
      f.values[static_cast<size_t>(c) * frames + t] = static_cast<float>(v);
    }
  }
  for (int c = 0; c < kCepstra; ++c) {
    deltas(f.values.data() + static_cast<size_t>(c) * frames, f.values.data() + static_cast<size_t>(kCepstra + c) * frames, frames);
    deltas(f.values.data() + static_cast<size_t>(kCepstra + c) * frames,
           f.values.data() + static_cast<size_t>(2 * kCepstra + c) * frames, frames);
  }
  return f;
}

}  // namespace veritrace::audio
