"""Writes tests/fixtures/audio/cqcc_reference.json: CQCC of features.parity_waveform(16000) computed
straight from the definition (one windowed complex sum per bin and frame, no FFT, no kernel
truncation), which tests/test_audio_cqcc.cpp compares the fast C++ audio::cqcc with.

Definition (the same as include/veritrace/audio.hpp):
  * 16 kHz mono; B = 96 bins per octave from fmin = 15.625 Hz: K = ceil(B log2(8000 / fmin)) = 864
    bins, f_k = fmin 2^(k / B), Q = 1 / (2^(1/B) - 1);
  * window length N_k = min(ceil(Q fs / f_k), 16384) (the cap holds bins below ~135 Hz to 1 s);
    periodic Hann w_k[n] = 0.5 - 0.5 cos(2 pi n / N_k), n = 0..N_k-1;
  * frames centred at c_t = 160 t, t = 0..n // 160, signal zero beyond its ends:
    X_k(t) = (1 / N_k) sum_n x[c_t + n - N_k // 2] w_k[n] exp(-2 pi i f_k n / fs);
  * log(|X_k|^2 + 1e-10), linearly interpolated in frequency (np.interp: clamped at the ends) onto
    L = 256 frequencies evenly spaced from fmin to 8000 Hz;
  * orthonormal DCT-II over the 256 values, first 20 coefficients (c0 included), then deltas and
    delta-deltas by the 5-frame regression with replicated edges: 60 x (1 + n // 160).
Slow (a few seconds for 1 s of audio); numpy only apart from features.parity_waveform.
Run: /usr/bin/python3 tools/train/voice/cqcc_reference.py"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import features  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")

FS = 16000
BINS_PER_OCTAVE = 96
FMIN = FS / 1024
FMAX = FS / 2
N_BINS = math.ceil(BINS_PER_OCTAVE * math.log2(FMAX / FMIN))
WINDOW_CAP = 16384
N_LINEAR = 256
N_CEPSTRA = 20
HOP = 160


def centre_frequencies():
    return FMIN * 2.0 ** (np.arange(N_BINS) / BINS_PER_OCTAVE)


def window_lengths():
    q = 1.0 / (2.0 ** (1.0 / BINS_PER_OCTAVE) - 1.0)
    return np.minimum(np.ceil(q * FS / centre_frequencies()).astype(np.int64), WINDOW_CAP)


def cqt_log_power(x):
    """K x T log CQT power of the definition, computed directly in float64."""
    x = np.asarray(x, dtype=np.float64)
    frames = 1 + len(x) // HOP
    half = WINDOW_CAP // 2
    pad = np.concatenate([np.zeros(half), x, np.zeros(half + HOP)])  # zeros beyond the ends
    out = np.empty((N_BINS, frames))
    for k, (f, n) in enumerate(zip(centre_frequencies(), window_lengths())):
        i = np.arange(n)
        w = 0.5 - 0.5 * np.cos(2 * np.pi * i / n)
        kern = w * np.exp(-2j * np.pi * f * i / FS) / n
        # Row t holds x[c_t - n//2 .. c_t - n//2 + n - 1] (padded coordinates start at -half).
        start = half - n // 2
        view = np.lib.stride_tricks.sliding_window_view(pad[start:], n)[::HOP][:frames]
        re = view @ kern.real
        im = view @ kern.imag
        out[k] = np.log(re * re + im * im + 1e-10)
    return out


def deltas(c):
    """5-frame regression, edges replicated: (x[t+1] - x[t-1] + 2 (x[t+2] - x[t-2])) / 10."""
    p = np.pad(c, ((0, 0), (2, 2)), mode="edge")
    return (p[:, 3:-1] - p[:, 1:-3] + 2 * (p[:, 4:] - p[:, :-4])) / 10.0


def cqcc60(x):
    logp = cqt_log_power(x)
    lin = np.linspace(FMIN, FMAX, N_LINEAR)
    fk = centre_frequencies()
    res = np.stack([np.interp(lin, fk, logp[:, t]) for t in range(logp.shape[1])], axis=1)
    j = np.arange(N_LINEAR)
    dct = np.cos(np.pi / N_LINEAR * (j[None, :] + 0.5) * np.arange(N_CEPSTRA)[:, None]) * math.sqrt(2.0 / N_LINEAR)
    dct[0] /= math.sqrt(2.0)
    c = dct @ res
    d1 = deltas(c)
    return np.concatenate([c, d1, deltas(d1)], axis=0), logp


def main():
    assert N_BINS == 864
    x = features.parity_waveform(16000)
    cq, logp = cqcc60(x)
    # Log power at a spread of bins: capped ones (k < 299), the 440 Hz tone (k = 462) and 3100 Hz
    # (k = 733), and bins ~25 either side of 440 Hz, where kernel truncation shows most.
    picks = []
    for k in (0, 150, 298, 300, 420, 438, 462, 489, 515, 600, 700, 733, 789, 863):
        for t in (0, 1, 25, 31, 50, 77, 100):
            picks.append([k, t, round(float(logp[k, t]), 5)])
    out = {
        "note": "direct numpy CQCC (tools/train/voice/cqcc_reference.py) of features.parity_waveform(16000); "
                "rows: 20 static, 20 delta, 20 delta-delta; log_power_bins: [bin, frame, log(|X|^2 + 1e-10)]",
        "samples": 16000,
        "frames": int(cq.shape[1]),
        "cqcc": [[round(float(v), 5) for v in row] for row in cq],
        "log_power_bins": picks,
    }
    path = os.path.join(ROOT, "tests", "fixtures", "audio", "cqcc_reference.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, cq.shape)


if __name__ == "__main__":
    main()
