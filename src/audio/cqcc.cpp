// CQCC (definition in veritrace/audio.hpp; direct reference in tools/train/voice/cqcc_reference.py).
//
// The direct sums cost sum_k N_k (~7 million) multiply-adds per frame. Instead each frame's CQT
// bin is one sample of a correlation of the signal with the bin's complex kernel, evaluated in the
// frequency domain over a chunk of frames:
//   * the chunk (up to kChunkFrames frames, a whole 4 s segment) goes through one real FFT of
//     M = 160 P samples, arranged circularly around the first frame centre so that no window wraps
//     into another part of the signal;
//   * the kernel's spectrum is a Hann window's transform (three Dirichlet kernels) in closed form,
//     kept within kKernelReach window bins of the centre frequency: beyond that the sidelobes are
//     below 3e-5 of the peak. The usual 0.0054 threshold is not enough here: the leakage it drops
//     from a strong tone still sits far above the 1e-10 floor of the log power in nearby bins;
//   * since frames are 160 samples apart and M = 160 P, the correlation at the frame centres is a
//     P-point inverse FFT of the kernel-weighted spectrum folded modulo P.
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <numbers>

#include "audio/fft.hpp"
#include "veritrace/audio.hpp"
#include "veritrace/core.hpp"

namespace veritrace::audio {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr int kFold = 512;                       // P: frames per inverse FFT (with margin)
constexpr int kChunkFft = kFrameHop * kFold;     // M = 81920
constexpr int kHalfCap = kCqtWindowCap / 2;      // the widest half window
constexpr int kChunkFrames = (kChunkFft - kCqtWindowCap) / kFrameHop + 1;  // 410: no window wraps
constexpr double kKernelReach = 22.0;            // window bins: 1 / (pi R (R^2 - 1)) ~ 3e-5
constexpr double kPowerFloor = 1e-10;
static_assert(kChunkFrames >= 401, "a 4 s segment should be one chunk");

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
template <class T>
std::unique_ptr<T, FftwFree> fftw_array(size_t n) {
  std::unique_ptr<T, FftwFree> p(static_cast<T*>(fftwf_malloc(sizeof(T) * n)));
  if (!p) throw std::bad_alloc();
  return p;
}

inline int modulo(int64_t a, int64_t m) { return static_cast<int>(((a % m) + m) % m); }

// sin(N phi / 2) / sin(phi / 2), the Dirichlet kernel's magnitude part, given both sines.
inline double dirichlet_ratio(double sin_n_half, double sin_half, int n) {
  return std::abs(sin_half) < 1e-9 ? static_cast<double>(n) : sin_n_half / sin_half;
}

struct Kernel {
  int first = 0;      // FFT bin of the first value (negative bins alias to M + f)
  int count = 0;
  size_t offset = 0;  // into Tables::values
};

struct Tables {
  std::vector<double> freq;                 // f_k
  std::vector<Kernel> kernels;
  std::vector<std::complex<float>> values;  // kernel spectra, scaled by 1 / M
  std::vector<int> lin_lo;                  // resampling: value = lp[lo] + w (lp[lo + 1] - lp[lo])
  std::vector<float> lin_w;
  std::vector<double> dct;                  // kCepstra x kCqccLinearBins
  fftwf_plan forward = nullptr;             // real M-point
  fftwf_plan backward = nullptr;            // complex P-point, e^{+i}

  Tables() {
    const double q = 1.0 / (std::pow(2.0, 1.0 / kCqtBinsPerOctave) - 1.0);
    freq.resize(kCqtBins);
    kernels.resize(kCqtBins);
    for (int k = 0; k < kCqtBins; ++k) {
      freq[k] = kCqtMinHz * std::pow(2.0, static_cast<double>(k) / kCqtBinsPerOctave);
      const int n = static_cast<int>(std::min<double>(std::ceil(q * kSampleRate / freq[k]), kCqtWindowCap));
      add_kernel(k, n);
    }
    // np.interp onto the linear grid: clamped beyond f_{K-1}.
    const double fmax = kSampleRate / 2.0;
    for (int j = 0; j < kCqccLinearBins; ++j) {
      const double g = kCqtMinHz + j * (fmax - kCqtMinHz) / (kCqccLinearBins - 1);
      int i = std::clamp(static_cast<int>(std::floor(kCqtBinsPerOctave * std::log2(g / kCqtMinHz))), 0, kCqtBins - 1);
      while (i + 1 < kCqtBins && freq[i + 1] <= g) ++i;
      while (i > 0 && freq[i] > g) --i;
      if (i >= kCqtBins - 1) {
        lin_lo.push_back(kCqtBins - 2);
        lin_w.push_back(1.0f);
      } else {
        lin_lo.push_back(i);
        lin_w.push_back(static_cast<float>((g - freq[i]) / (freq[i + 1] - freq[i])));
      }
    }
    dct.resize(static_cast<size_t>(kCepstra) * kCqccLinearBins);
    for (int c = 0; c < kCepstra; ++c)
      for (int j = 0; j < kCqccLinearBins; ++j) {
        double v = std::cos(kPi / kCqccLinearBins * (j + 0.5) * c) * std::sqrt(2.0 / kCqccLinearBins);
        if (c == 0) v /= std::sqrt(2.0);
        dct[static_cast<size_t>(c) * kCqccLinearBins + j] = v;
      }
    std::lock_guard lock(fftw_planner_mutex());
    auto in = fftw_array<float>(kChunkFft);
    auto spec = fftw_array<fftwf_complex>(kChunkFft / 2 + 1);
    auto z = fftw_array<fftwf_complex>(kFold);
    auto y = fftw_array<fftwf_complex>(kFold);
    forward = fftwf_plan_dft_r2c_1d(kChunkFft, in.get(), spec.get(), FFTW_ESTIMATE);
    backward = fftwf_plan_dft_1d(kFold, z.get(), y.get(), FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!forward || !backward) throw Error(ErrorKind::Internal, "audio: FFTW could not plan a transform");
  }
  ~Tables() {
    fftwf_destroy_plan(forward);
    fftwf_destroy_plan(backward);
  }

  // G(f) = sum_j g[j] e^{+2 pi i f j / M} of the kernel g[j] = w[j + h] e^{-i omega (j + h)} / N,
  // h = N / 2: with theta = omega - 2 pi f / M it is e^{-2 pi i f h / M} W(theta) / N, where the
  // Hann transform W = 0.5 D(theta) - 0.25 D(theta - 2 pi / N) - 0.25 D(theta + 2 pi / N) and
  // D(phi) = e^{-i (N - 1) phi / 2} sin(N phi / 2) / sin(phi / 2).
  void add_kernel(int k, int n) {
    const double f0 = freq[k] * kChunkFft / kSampleRate;
    const double reach = kKernelReach * kChunkFft / n;
    Kernel& kn = kernels[k];
    kn.first = static_cast<int>(std::ceil(f0 - reach));
    kn.count = static_cast<int>(std::floor(f0 + reach)) - kn.first + 1;
    kn.offset = values.size();
    const double s1 = std::sin(kPi / n), c1 = std::cos(kPi / n);
    const std::complex<double> shift = std::polar(1.0, kPi * (n - 1) / n);  // e^{i pi (N-1)/N}
    const int h = n / 2;
    for (int i = 0; i < kn.count; ++i) {
      const int f = kn.first + i;
      const double theta = 2.0 * kPi * (f0 - f) / kChunkFft;
      const double sh = std::sin(theta / 2), ch = std::cos(theta / 2);
      const double sn = std::sin(n * theta / 2);  // sin(N phi / 2) is -sn for phi = theta -+ 2 pi / N
      const double centre = dirichlet_ratio(sn, sh, n);
      const double minus = dirichlet_ratio(-sn, sh * c1 - ch * s1, n);  // phi = theta - 2 pi / N
      const double plus = dirichlet_ratio(-sn, sh * c1 + ch * s1, n);   // phi = theta + 2 pi / N
      const std::complex<double> w = 0.5 * centre - 0.25 * minus * shift - 0.25 * plus * std::conj(shift);
      const double phase = -(n - 1) * theta / 2 - 2.0 * kPi * static_cast<double>(f) * h / kChunkFft;
      const std::complex<double> g = std::polar(1.0, phase) * w / (static_cast<double>(n) * kChunkFft);
      values.emplace_back(static_cast<float>(g.real()), static_cast<float>(g.imag()));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// Log CQT power of frames [t0, t0 + count), count <= kChunkFrames, into out (frame-major, kCqtBins
// per frame).
void cqt_chunk(std::span<const float> x, int t0, int count, float* out) {
  const Tables& tb = tables();
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t c0 = static_cast<int64_t>(t0) * kFrameHop;
  auto sample = [&](int64_t i) { return i >= 0 && i < n ? x[static_cast<size_t>(i)] : 0.0f; };
  // Buffer index j holds x[c0 + j] ahead and x[c0 - (M - j)] in the last kHalfCap places.
  auto in = fftw_array<float>(kChunkFft);
  for (int j = 0; j < kChunkFft - kHalfCap; ++j) in.get()[j] = sample(c0 + j);
  for (int j = kChunkFft - kHalfCap; j < kChunkFft; ++j) in.get()[j] = sample(c0 - (kChunkFft - j));
  auto half = fftw_array<fftwf_complex>(kChunkFft / 2 + 1);
  fftwf_execute_dft_r2c(tb.forward, in.get(), half.get());
  // The whole spectrum (Hermitian), so that kernel bands may cross Nyquist.
  std::vector<std::complex<float>> spec(kChunkFft);
  for (int f = 0; f <= kChunkFft / 2; ++f) spec[f] = {half.get()[f][0], half.get()[f][1]};
  for (int f = kChunkFft / 2 + 1; f < kChunkFft; ++f) spec[f] = std::conj(spec[kChunkFft - f]);

  auto z = fftw_array<fftwf_complex>(kFold);
  auto y = fftw_array<fftwf_complex>(kFold);
  for (int k = 0; k < kCqtBins; ++k) {
    const Kernel& kn = tb.kernels[k];
    std::fill_n(&z.get()[0][0], 2 * kFold, 0.0f);
    const std::complex<float>* v = tb.values.data() + kn.offset;
    int fm = modulo(kn.first, kChunkFft), r = modulo(kn.first, kFold);
    for (int i = 0; i < kn.count; ++i) {
      const float br = spec[fm].real(), bi = spec[fm].imag(), vr = v[i].real(), vi = v[i].imag();
      z.get()[r][0] += br * vr - bi * vi;
      z.get()[r][1] += br * vi + bi * vr;
      if (++fm == kChunkFft) fm = 0;
      if (++r == kFold) r = 0;
    }
    fftwf_execute_dft(tb.backward, z.get(), y.get());
    for (int u = 0; u < count; ++u) {
      const double re = y.get()[u][0], im = y.get()[u][1];
      out[static_cast<size_t>(u) * kCqtBins + k] = static_cast<float>(std::log(re * re + im * im + kPowerFloor));
    }
  }
}

void check_input(std::span<const float> x) {
  if (x.size() <= static_cast<size_t>(kFft / 2))
    throw Error(ErrorKind::Usage, "audio: CQCC needs more than 256 samples");
}

// Same regression as lfcc(): d_t = sum_{i=1,2} i (x_{t+i} - x_{t-i}) / 10, edges replicated.
void deltas(const float* in, float* out, int frames) {
  auto at = [&](int t) { return in[std::clamp(t, 0, frames - 1)]; };
  for (int t = 0; t < frames; ++t)
    out[t] = ((at(t + 1) - at(t - 1)) + 2.0f * (at(t + 2) - at(t - 2))) / 10.0f;
}

}  // namespace

double cqt_bin_frequency(int k) { return tables().freq.at(static_cast<size_t>(k)); }

std::vector<float> cqt_log_power(std::span<const float> x, int frame) {
  check_input(x);
  if (frame < 0 || frame >= frame_count(x.size()))
    throw Error(ErrorKind::Usage, "audio: CQT frame " + std::to_string(frame) + " is out of range");
  std::vector<float> out(kCqtBins);
  cqt_chunk(x, frame, 1, out.data());
  return out;
}

Features cqcc(std::span<const float> x) {
  check_input(x);
  const Tables& tb = tables();
  const int frames = frame_count(x.size());
  Features f;
  f.rows = kFeatureRows;
  f.frames = frames;
  f.values.assign(static_cast<size_t>(kFeatureRows) * frames, 0.0f);
  std::vector<float> lp(static_cast<size_t>(kChunkFrames) * kCqtBins);
  std::vector<double> lin(kCqccLinearBins);
  for (int t0 = 0; t0 < frames; t0 += kChunkFrames) {
    const int count = std::min(kChunkFrames, frames - t0);
    cqt_chunk(x, t0, count, lp.data());
    for (int u = 0; u < count; ++u) {
      const float* p = lp.data() + static_cast<size_t>(u) * kCqtBins;
      for (int j = 0; j < kCqccLinearBins; ++j) {
        const int i = tb.lin_lo[j];
        lin[j] = p[i] + static_cast<double>(tb.lin_w[j]) * (p[i + 1] - p[i]);
      }
      for (int c = 0; c < kCepstra; ++c) {
        const double* row = tb.dct.data() + static_cast<size_t>(c) * kCqccLinearBins;
        double v = 0.0;
        for (int j = 0; j < kCqccLinearBins; ++j) v += row[j] * lin[j];
        f.values[static_cast<size_t>(c) * frames + t0 + u] = static_cast<float>(v);
      }
    }
  }
  for (int c = 0; c < kCepstra; ++c) {
    float* s = f.values.data() + static_cast<size_t>(c) * frames;
    deltas(s, s + static_cast<size_t>(kCepstra) * frames, frames);
    deltas(s + static_cast<size_t>(kCepstra) * frames, s + static_cast<size_t>(2 * kCepstra) * frames, frames);
  }
  return f;
}

}  // namespace veritrace::audio
