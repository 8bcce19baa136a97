// Veritrace audio analysis: the speech features and models the voice detectors share.
//
//   audio::Segmenter seg([&](int64_t start, std::span<const float> s) { ... });  // 4 s every 2 s
//   seg.push(block); ... seg.finish();
//   audio::Features f = audio::lfcc(segment);          // 60 x 401: LFCC, deltas, delta-deltas
//   auto speech = audio::speech_frames(segment);       // energy VAD per 10 ms frame
//   audio::SpeechCheck c = audio::check_speech(segment, speech);   // silence and music do not vote
//
// The definitions follow tools/train/voice/features.py exactly (the training side uses torchaudio);
// tests compare the two on fixtures. Input is mono float audio at 16 kHz in [-1, 1]
// (media::AudioReader with AudioOptions::sample_rate = 16000).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace veritrace::audio {

inline constexpr int kSampleRate = 16000;
inline constexpr int kSegmentSamples = 64000;  // 4.0 s
inline constexpr int kSegmentHop = 32000;      // a segment every 2.0 s
inline constexpr int kFft = 512;
inline constexpr int kWindow = 320;            // 20 ms Hann window
inline constexpr int kFrameHop = 160;          // 10 ms
inline constexpr int kFilters = 20;            // linear triangular filters, 0-8 kHz
inline constexpr int kCepstra = 20;            // static coefficients (c0 included)
inline constexpr int kFeatureRows = 3 * kCepstra;  // static, delta, delta-delta

// rows x frames, row-major (one row per coefficient, one column per 10 ms frame).
struct Features {
  int rows = 0;
  int frames = 0;
  std::vector<float> values;
  float at(int row, int frame) const { return values[static_cast<size_t>(row) * frames + frame]; }
  const float* row(int r) const { return values.data() + static_cast<size_t>(r) * frames; }
};

// Frames of a waveform of n samples (centred frames): 1 + n / kFrameHop.
inline int frame_count(size_t n) { return 1 + static_cast<int>(n / kFrameHop); }

// LFCC (ASVspoof-style: 512-point power spectrum of 20 ms Hann frames, 20 linear triangular
// filters, natural log, orthonormal DCT-II to 20 coefficients) with deltas and delta-deltas
// (5-frame regression, edges replicated): kFeatureRows x frame_count(x.size()). Frames are centred
// on multiples of 10 ms with the signal reflected at both ends. Throws Error(Usage) when x has
// fewer than kFft / 2 + 1 samples.
Features lfcc(std::span<const float> x);

// Energy voice-activity mask, one byte per frame of lfcc(x): 1 when the frame's RMS over the 20 ms
// around its centre is at least -55 dBFS and within 30 dB of the loudest frame of x.
std::vector<uint8_t> speech_frames(std::span<const float> x);

// Whether a segment carries speech, so that silence, steady noise and sustained music do not vote.
// Speech is active for part of the time, pauses between syllables (low-energy frames), and its
// loudness rises and falls at the syllable rate (about 2-8 Hz).
struct SpeechCheck {
  double active_share = 0.0;      // frames of speech_frames()
  double low_energy_share = 0.0;  // active-span frames below half the mean RMS (pauses)
  double syllabic_share = 0.0;    // share of the loudness envelope's modulation in 2-8 Hz
  bool speech = false;
  std::string why_not;            // empty when speech
};
SpeechCheck check_speech(std::span<const float> segment, std::span<const uint8_t> frames);

// Segmentation of a clip of n samples (n >= kSegmentSamples): a segment every kSegmentHop, plus one
// ending exactly at the end when the last regular one stops short of it.
std::vector<int64_t> segment_starts(int64_t n);

// Cuts a stream into kSegmentSamples windows as the blocks arrive, keeping at most about one
// segment in memory. A stream shorter than one segment gives one segment, tiled (repeated from its
// start) to full length. on_segment(start_sample, samples, real_samples): real_samples is how many
// of the samples are the stream's own (less than the segment only for a tiled short stream).
class Segmenter {
 public:
  using Callback = std::function<void(int64_t start, std::span<const float> samples, int64_t real_samples)>;
  explicit Segmenter(Callback on_segment);
  void push(std::span<const float> block);
  void finish();  // emits what is still owed; call once, at the end of the stream
  int64_t samples() const { return total_; }

 private:
  Callback on_segment_;
  std::vector<float> buffer_;  // samples [buffer_start_, total_)
  int64_t buffer_start_ = 0;
  int64_t total_ = 0;
  int64_t next_start_ = 0;
  int64_t last_end_ = 0;
};

// A Gaussian mixture with diagonal covariances.
class Gmm {
 public:
  Gmm() = default;
  // {"weights": [K], "means": [[D] x K], "variances": [[D] x K]}; Error(Malformed) when the shapes
  // disagree, a weight is not positive or a variance is not positive and finite.
  static Gmm from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
  // Expectation-maximisation from a deterministic start (seeded k-means++ picks), `rows` vectors of
  // `dims` values each in `data`; variances floored at 1e-3 of the data's variance per dimension.
  static Gmm fit(std::span<const float> data, int dims, int components, int iterations, uint64_t seed);

  int dims() const { return dims_; }
  int components() const { return static_cast<int>(log_weights_.size()); }
  // log p(x) of one vector of dims() values.
  double log_likelihood(const float* x) const;

 private:
  void prepare();
  int dims_ = 0;
  std::vector<double> log_weights_;
  std::vector<double> means_;      // K x D
  std::vector<double> variances_;  // K x D
  std::vector<double> inv_var_;    // K x D
  std::vector<double> log_norm_;   // per component: log w - 0.5 * sum log(2 pi var)
};

// The classic ASVspoof reference: a bona fide and a spoof mixture over feature frames. The score
// of a segment is the mean over its speech frames of log p_spoof(x) - log p_bonafide(x) (higher:
// more likely spoofed); unset when no frame is speech.
struct GmmPair {
  std::string name, version;
  Gmm bonafide, spoof;
  static GmmPair from_json(const nlohmann::json& j);  // {"name", "version", "classes": {...}}
  std::optional<double> score(const Features& f, std::span<const uint8_t> speech) const;
};

// CQCC, constant-Q cepstral coefficients (the ASVspoof 2019 baseline feature, Todisco et al.), as
// tools/train/voice/cqcc_reference.py defines it directly:
//   * constant-Q transform of K = ceil(B log2(8000 / fmin)) = 864 bins, B = 96 per octave from
//     fmin = 15.625 Hz: f_k = fmin 2^(k / B), Q = 1 / (2^(1/B) - 1);
//   * window N_k = min(ceil(Q fs / f_k), kCqtWindowCap): the cap holds the bins below ~135 Hz to
//     1 s (uncapped, the lowest would need 141334 samples); periodic Hann
//     w_k[n] = 0.5 - 0.5 cos(2 pi n / N_k);
//   * frames centred at c_t = 160 t, t < frame_count(n), the signal zero beyond its ends:
//     X_k(t) = (1 / N_k) sum_n x[c_t + n - N_k / 2] w_k[n] exp(-2 pi i f_k n / fs);
//   * log(|X_k|^2 + 1e-10), interpolated linearly in frequency (clamped at the ends) onto 256
//     frequencies evenly spaced from fmin to 8000 Hz; orthonormal DCT-II, 20 coefficients (c0
//     included); deltas and delta-deltas as for lfcc().
// Computed with spectral kernels truncated to +-22 window bins of each centre (where the Hann
// sidelobes fall below 3e-5 of the peak), so it matches the direct sums to about 1e-2.
inline constexpr int kCqtBinsPerOctave = 96;
inline constexpr double kCqtMinHz = 15.625;
inline constexpr int kCqtBins = 864;
inline constexpr int kCqtWindowCap = 16384;
inline constexpr int kCqccLinearBins = 256;

// Centre frequency f_k of CQT bin k in Hz.
double cqt_bin_frequency(int k);
// kCqtBins values of log(|X_k(frame)|^2 + 1e-10). Throws Error(Usage) as cqcc() does, or when frame
// is not below frame_count(x.size()).
std::vector<float> cqt_log_power(std::span<const float> x, int frame);
// kFeatureRows x frame_count(x.size()); throws Error(Usage) when x has fewer than kFft / 2 + 1
// samples.
Features cqcc(std::span<const float> x);

}  // namespace veritrace::audio
