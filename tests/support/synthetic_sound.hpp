// Sounds made in tests (no recordings): a speech-like signal, steady noise, a sustained chord, and
// a 16-bit WAV writer. The speech-like signal is a glottal pulse train (pitch gliding around
// 130 Hz) through two resonances that change every syllable, gated into syllables of 120-260 ms
// with short pauses: what the speech check looks for, nothing more.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <vector>

namespace vt_test::sound {

inline std::vector<float> speech_like(double seconds, uint64_t seed, int rate = 16000) {
  constexpr double pi = std::numbers::pi;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = static_cast<int>(seconds * rate);
  std::vector<float> x(n, 0.0f);
  double phase = 0.0, y1 = 0, y2 = 0, z1 = 0, z2 = 0;
  int i = 0;
  while (i < n) {
    const int syllable = static_cast<int>((0.12 + 0.14 * u(rng)) * rate);
    const int pause = static_cast<int>((0.04 + 0.08 * u(rng)) * rate);
    const double f1 = 300 + 500 * u(rng), f2 = 900 + 1400 * u(rng);
    for (int j = 0; j < syllable && i < n; ++j, ++i) {
      const double t = static_cast<double>(i) / rate;
      phase += (130 + 30 * std::sin(2 * pi * 0.7 * t)) / rate;
      const double src = phase >= 1.0 ? 1.0 : 0.0;
      if (phase >= 1.0) phase -= 1.0;
      auto resonate = [rate](double in, double f, double& a, double& b) {
        const double r = 0.97, w = 2 * pi * f / rate;
        const double out = in + 2 * r * std::cos(w) * a - r * r * b;
        b = a;
        a = out;
        return out;
      };
      const double v = resonate(src, f1, y1, y2) + 0.5 * resonate(src, f2, z1, z2);
      x[i] = static_cast<float>(0.02 * v * std::sin(pi * j / syllable));
    }
    for (int j = 0; j < pause && i < n; ++j, ++i) x[i] = static_cast<float>(1e-4 * (u(rng) - 0.5));
  }
  return x;
}

inline std::vector<float> sustained_chord(double seconds, int rate = 16000) {
  const int n = static_cast<int>(seconds * rate);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    double v = 0.0;
    for (double f : {261.6, 329.6, 392.0, 523.3})
      v += std::sin(2 * std::numbers::pi * f * t) + 0.3 * std::sin(4 * std::numbers::pi * f * t);
    x[i] = static_cast<float>(0.08 * v);
  }
  return x;
}

inline std::vector<float> white_noise(double seconds, double amplitude, uint64_t seed, int rate = 16000) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, amplitude);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (auto& v : x) v = static_cast<float>(g(rng));
  return x;
}

// features.parity_waveform(n) of tools/train/voice/features.py: the fixtures' and parity files'
// fixed test waveform at 16 kHz.
inline std::vector<float> parity_waveform(int n) {
  constexpr double pi = std::numbers::pi;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    const double t = i / 16000.0;
    double v = 0.3 * std::sin(2 * pi * 440 * t) + 0.1 * std::sin(2 * pi * 3100 * t + 0.5) +
               0.05 * std::sin(2 * pi * (200 + 900 * t) * t) + 0.02 * std::sin(2 * pi * 6500 * t * t);
    v *= 0.5 + 0.5 * std::pow(std::sin(2 * pi * 3 * t), 2);
    x[i] = static_cast<float>(v);
  }
  return x;
}

// The canonical 44-byte header of a 16-bit mono PCM WAV holding data_bytes of samples.
inline void write_wav16_header(std::ofstream& out, uint32_t rate, uint32_t data_bytes) {
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  out.write("RIFF", 4);
  u32(36 + data_bytes);
  out.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  out.write("data", 4);
  u32(data_bytes);
}

// A canonical 44-byte-header PCM WAV, 16-bit, mono.
inline void write_wav16(const std::filesystem::path& p, const std::vector<float>& x, int rate = 16000) {
  std::ofstream out(p, std::ios::binary);
  write_wav16_header(out, static_cast<uint32_t>(rate), static_cast<uint32_t>(x.size() * 2));
  for (float v : x) {
    const auto s = static_cast<int16_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f));
    out.write(reinterpret_cast<const char*>(&s), 2);
  }
}

}  // namespace vt_test::sound
