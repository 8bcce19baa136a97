"""The audio feature contract shared with the C++ engine (src/audio, docs/detection-audio.md).

Every voice model trained in tools/train/voice sees exactly what the engine computes:
  * mono float audio at 16 kHz in [-1, 1] (media::AudioReader; ffmpeg -ac 1 -ar 16000 in training);
  * cut into 4.0 s segments (64000 samples) every 2.0 s; a clip shorter than one segment is tiled
    (repeated from its start) to fill it; when the last regular segment stops before the clip's
    end, one more segment ends exactly at the end;
  * per segment, LFCC as torchaudio computes it (below): 20 static coefficients, their deltas and
    delta-deltas, 60 x 401 frames (10 ms hop, centred frames, reflect padding);
  * frame speech mask (for the GMM): frame RMS in dBFS over the 320 samples around the frame centre
    (the reflect-padded signal), speech when >= -55 dBFS and within 30 dB of the segment's loudest.
Never needed at run time."""
import numpy as np
import torch
import torchaudio

SAMPLE_RATE = 16000
SEGMENT = 64000
HOP = 32000
N_FFT = 512
WIN = 320
FRAME_HOP = 160
N_FILTER = 20
N_LFCC = 20

_lfcc = torchaudio.transforms.LFCC(
    sample_rate=SAMPLE_RATE, n_filter=N_FILTER, n_lfcc=N_LFCC, f_min=0.0, f_max=SAMPLE_RATE / 2,
    dct_type=2, norm="ortho", log_lf=True,
    speckwargs={"n_fft": N_FFT, "win_length": WIN, "hop_length": FRAME_HOP, "center": True,
                "pad_mode": "reflect", "power": 2.0, "window_fn": torch.hann_window})


def segment_starts(n):
    """Start sample of each segment of a clip of n samples (n >= SEGMENT), in order."""
    starts = list(range(0, n - SEGMENT + 1, HOP))
    if starts[-1] + SEGMENT < n:
        starts.append(n - SEGMENT)
    return starts


def segments(x):
    """The clip's 64000-sample segments as a list of float32 arrays (tiled when short)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        return []
    if len(x) < SEGMENT:
        reps = -(-SEGMENT // len(x))
        return [np.tile(x, reps)[:SEGMENT]]
    return [x[s:s + SEGMENT] for s in segment_starts(len(x))]


def lfcc60(seg):
    """60 x T float32: [LFCC; delta; delta-delta] of one waveform (T = 1 + len // 160)."""
    with torch.no_grad():
        w = torch.from_numpy(np.asarray(seg, dtype=np.float32))
        c = _lfcc(w)                                   # 20 x T
        d1 = torchaudio.functional.compute_deltas(c, win_length=5)
        d2 = torchaudio.functional.compute_deltas(d1, win_length=5)
        return torch.cat([c, d1, d2], dim=0).numpy().astype(np.float32)


def speech_mask(seg):
    """Boolean per frame (same T as lfcc60): the energy VAD the GMM scores with."""
    x = np.asarray(seg, dtype=np.float64)
    pad = np.pad(x, (FRAME_HOP, FRAME_HOP), mode="reflect")
    t = 1 + len(x) // FRAME_HOP
    rms = np.array([np.mean(pad[i * FRAME_HOP:i * FRAME_HOP + WIN] ** 2) for i in range(t)])
    db = 10 * np.log10(rms + 1e-12)
    return (db >= -55.0) & (db >= db.max() - 30.0)


def parity_waveform(n=16000):
    """The fixed test waveform of the fixtures and the parity files."""
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3100 * t + 0.5)
         + 0.05 * np.sin(2 * np.pi * (200 + 900 * t) * t) + 0.02 * np.sin(2 * np.pi * 6500 * t * t))
    x *= 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    return x.astype(np.float32)
