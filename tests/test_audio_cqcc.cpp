// CQCC against the direct numpy definition (fixture written by tools/train/voice/cqcc_reference.py),
// plus shape, speed, a tone's CQT peak, silence, chunk seams and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>

#include "support/synthetic_sound.hpp"
#include "support/test_support.hpp"
#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

namespace audio = veritrace::audio;

namespace {

constexpr double kPi = std::numbers::pi;

// The fast C++ transform truncates each bin's spectral kernel (to +-22 window bins, sidelobes below
// 3e-5 of the peak) where the reference sums every sample of every window. The dropped leakage
// matters only in bins near the 1e-10 floor of the log power, so the log power agrees to ~7e-3
// relative at worst (not to float precision) and the cepstra, which average 256 interpolated
// values, to ~6e-3.
constexpr double kLogPowerTolerance = 1e-2;
constexpr double kCepstrumTolerance = 2e-2;

using vt_test::sound::parity_waveform;

nlohmann::json fixture() {
  std::ifstream in(vt_test::source_dir() / "tests" / "fixtures" / "audio" / "cqcc_reference.json");
  return nlohmann::json::parse(in);
}

double relative(double ours, double want) { return std::abs(ours - want) / std::max(1.0, std::abs(want)); }

// Static cepstra of one frame straight from its log CQT power (interpolation + DCT-II).
std::vector<double> static_cepstra(const std::vector<float>& lp) {
  std::vector<double> lin(audio::kCqccLinearBins);
  for (int j = 0; j < audio::kCqccLinearBins; ++j) {
    const double g = audio::kCqtMinHz + j * (8000.0 - audio::kCqtMinHz) / (audio::kCqccLinearBins - 1);
    int i = 0;
    while (i + 2 < audio::kCqtBins && audio::cqt_bin_frequency(i + 1) <= g) ++i;
    const double f0 = audio::cqt_bin_frequency(i), f1 = audio::cqt_bin_frequency(i + 1);
    lin[j] = lp[i] + std::clamp((g - f0) / (f1 - f0), 0.0, 1.0) * (lp[i + 1] - lp[i]);
  }
  std::vector<double> c(audio::kCepstra);
  for (int k = 0; k < audio::kCepstra; ++k) {
    for (int j = 0; j < audio::kCqccLinearBins; ++j)
      c[k] += std::cos(kPi / audio::kCqccLinearBins * (j + 0.5) * k) * lin[j];
    c[k] *= std::sqrt((k == 0 ? 1.0 : 2.0) / audio::kCqccLinearBins);
  }
  return c;
}

}  // namespace

TEST(AudioCqcc, MatchesTheDirectReference) {
  const auto fx = fixture();
  const auto x = parity_waveform(fx.at("samples").get<int>());
  const audio::Features f = audio::cqcc(x);
  ASSERT_EQ(f.rows, audio::kFeatureRows);
  ASSERT_EQ(f.frames, fx.at("frames").get<int>());
  const auto& want = fx.at("cqcc");
  double worst = 0.0;
  for (int r = 0; r < f.rows; ++r)
    for (int t = 0; t < f.frames; ++t) {
      const double w = want[r][t].get<double>();
      worst = std::max(worst, relative(f.at(r, t), w));
      ASSERT_LT(relative(f.at(r, t), w), kCepstrumTolerance)
          << "row " << r << " frame " << t << ": ours " << f.at(r, t) << ", reference " << w;
    }
  double worst_bin = 0.0;
  std::map<int, std::vector<float>> frames;  // one transform per frame the fixture samples
  for (const auto& p : fx.at("log_power_bins")) {
    const int k = p[0].get<int>(), t = p[1].get<int>();
    const double w = p[2].get<double>();
    if (!frames.contains(t)) frames[t] = audio::cqt_log_power(x, t);
    const float ours = frames[t][k];
    worst_bin = std::max(worst_bin, relative(ours, w));
    EXPECT_LT(relative(ours, w), kLogPowerTolerance)
        << "bin " << k << " frame " << t << ": ours " << ours << ", reference " << w;
  }
  std::printf("CQCC vs direct reference: worst relative error %.2e (cepstra), %.2e (log power)\n", worst, worst_bin);
  RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST(AudioCqcc, SegmentShapeAndSpeed) {
  const auto x = parity_waveform(audio::kSegmentSamples);
  audio::Features f = audio::cqcc(x);  // the first call in a process also builds the kernels
  EXPECT_EQ(f.rows, 60);
  EXPECT_EQ(f.frames, 401);
  double best_ms = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f = audio::cqcc(x);
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    best_ms = std::min(best_ms, took.count());
  }
  std::printf("CQCC of a 4 s segment: %.1f ms (best of 3)\n", best_ms);
  for (float v : f.values) ASSERT_TRUE(std::isfinite(v));
}

TEST(AudioCqcc, ToneLandsOnItsBin) {
  const double octaves = std::log2(8000.0 / audio::kCqtMinHz);
  EXPECT_EQ(audio::kCqtBins, static_cast<int>(std::ceil(audio::kCqtBinsPerOctave * octaves)));
  const int bin = 6 * audio::kCqtBinsPerOctave;  // six octaves above 15.625 Hz
  EXPECT_NEAR(audio::cqt_bin_frequency(bin), 1000.0, 1e-9);
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(0.5 * std::sin(2 * kPi * 1000.0 * i / audio::kSampleRate));
  const auto lp = audio::cqt_log_power(x, 50);
  const auto peak = std::max_element(lp.begin(), lp.end()) - lp.begin();
  EXPECT_EQ(peak, bin);
  // Amplitude a under a Hann window normalised by its length: |X| = a / 4.
  EXPECT_NEAR(lp[bin], std::log(0.125 * 0.125), 1e-3);
  EXPECT_LT(lp[bin - 10], lp[bin] - 10.0);  // well outside the main lobe
}

TEST(AudioCqcc, SilenceIsFinite) {
  const auto f = audio::cqcc(std::vector<float>(4000, 0.0f));
  EXPECT_EQ(f.frames, 26);
  for (float v : f.values) ASSERT_TRUE(std::isfinite(v));
  // log(1e-10) everywhere: c0 = 16 log(1e-10), the rest 0.
  EXPECT_NEAR(f.at(0, 10), 16.0 * std::log(1e-10), 1e-3);
  EXPECT_NEAR(f.at(1, 10), 0.0, 1e-3);
}

TEST(AudioCqcc, ChunksJoinWithoutSeams) {
  // 626 frames: computed in two chunks; frames either side of the seam agree with a transform
  // started at that frame (to 1e-4: the truncated kernels' tiny residual depends on the chunk).
  const auto x = parity_waveform(100000);
  const auto f = audio::cqcc(x);
  ASSERT_EQ(f.frames, 626);
  for (int t : {0, 300, 409, 410, 411, 625}) {
    const auto c = static_cepstra(audio::cqt_log_power(x, t));
    for (int k = 0; k < audio::kCepstra; ++k)
      EXPECT_LT(relative(f.at(k, t), c[k]), 1e-4) << "frame " << t << " row " << k;
  }
}

TEST(AudioCqcc, RejectsShortInputAndBadFrames) {
  EXPECT_THROW(audio::cqcc(std::vector<float>(100, 0.1f)), veritrace::Error);
  try {
    audio::cqcc(std::vector<float>(256, 0.1f));
    FAIL() << "256 samples accepted";
  } catch (const veritrace::Error& e) {
    EXPECT_EQ(e.kind(), veritrace::ErrorKind::Usage);
  }
  EXPECT_THROW(audio::cqt_log_power(std::vector<float>(1000, 0.1f), 7), veritrace::Error);
  EXPECT_THROW(audio::cqt_log_power(std::vector<float>(1000, 0.1f), -1), veritrace::Error);
  EXPECT_NO_THROW(audio::cqt_log_power(std::vector<float>(1000, 0.1f), 6));
}
