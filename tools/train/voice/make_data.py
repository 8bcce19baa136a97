"""Synthesises extra training attacks and the codec round trips, cached under /tmp/voice/data.

  /usr/bin/python3 tools/train/voice/make_data.py          (about 5-10 min on 2 cores)

Writes /tmp/voice/data/{griffinlim,lpc,stftgl,flite,festival,espeak}/*.wav (16 kHz mono 16-bit,
loudness-aligned like the dev set), /tmp/voice/data/rt/<codec>/<id>.wav (codec round trips of
every dev and synthetic clip) and /tmp/voice/data/manifest.tsv
(id, path, label, attack, group, source_clip). Only the 50 real dev clips and Debian's TTS programs
are used as sources."""
import os
import subprocess
import tempfile
from multiprocessing import Pool

import numpy as np
import scipy.signal as sps
import torch
import torchaudio

import common as C

SENTENCES = [
    "The ferry left the harbour an hour late because of the fog.",
    "Please remember to water the tomatoes before you leave on Friday.",
    "My grandmother kept every letter she ever received in a tin box.",
    "The committee will publish its findings early next spring.",
    "Turn left at the bakery, then walk straight on for two blocks.",
    "Seven hungry pelicans waited on the pier for the fishing boats.",
    "A sudden gust of wind scattered the papers across the courtyard.",
    "He tuned the old violin carefully and began to play a slow waltz.",
    "Our train was cancelled, so we shared a taxi to the airport.",
    "The library closes at nine, but the reading room stays open later.",
    "She measured the flour twice and still forgot the baking powder.",
    "Thunder rolled over the valley while the cattle sheltered under the oaks.",
    "Could you send me the invoice by the end of the week?",
    "The museum's new exhibit explores the history of clockmaking.",
    "Bright yellow kayaks drifted slowly down the quiet river.",
    "I think the printer on the second floor is out of paper again.",
    "Volunteers planted four hundred trees along the new cycle path.",
    "The chef recommends the mushroom soup and the lemon tart.",
    "After the storm, the beach was covered in seaweed and driftwood.",
    "Nobody expected the underdog team to reach the final.",
    "The spacecraft will enter orbit around the planet in October.",
    "He whispered the answer, but the whole class still heard it.",
    "Our neighbours are building a greenhouse in their back garden.",
    "The quarterly figures show a modest rise in exports.",
    "Keep the receipt in case you need to return the jacket.",
    "Foxes are often seen crossing the park just after midnight.",
    "The orchestra rehearsed the final movement for three hours.",
    "Weather permitting, the parade will start at half past ten.",
    "She painted the kitchen a pale shade of green last summer.",
    "The old lighthouse has guided sailors along this coast for a century.",
]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
ESPEAK_VOICES = ["en-us", "en-gb-x-rp", "en-us+f3", "en-029+m2", "en-gb-scotland+f4", "en-gb-x-gbclan"]
GL_SETTINGS = [(1024, 256, 80), (512, 160, 64), (1024, 200, 128)]   # n_fft, hop, n_mels


def griffinlim_mel(x, n_fft, hop, n_mels, seed):
    torch.manual_seed(seed)
    w = torch.from_numpy(x)
    spec = torchaudio.transforms.Spectrogram(n_fft=n_fft, hop_length=hop, power=1.0)(w)
    fb = torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, 0.0, 8000.0, n_mels, C.SR, norm="slaney",
                                               mel_scale="slaney")          # freq x mel
    mel = fb.T @ spec                                                       # mel x T
    inv = torch.linalg.pinv(fb.T)                                           # freq x mel
    mag = torch.clamp(inv @ mel, min=0.0)
    gl = torchaudio.transforms.GriffinLim(n_fft=n_fft, hop_length=hop, power=1.0, n_iter=32, momentum=0.99)
    return gl(mag).numpy().astype(np.float32)


def griffinlim_linear(x, seed):
    """Magnitude-only STFT, phase rebuilt from zero by a few Griffin-Lim iterations."""
    torch.manual_seed(seed)
    w = torch.from_numpy(x)
    spec = torchaudio.transforms.Spectrogram(n_fft=512, hop_length=128, power=1.0)(w)
    gl = torchaudio.transforms.GriffinLim(n_fft=512, hop_length=128, power=1.0, n_iter=8, momentum=0.0,
                                          rand_init=False)
    return gl(spec).numpy().astype(np.float32)


def lpc_coeffs(fr, order):
    r = np.correlate(fr, fr, "full")[len(fr) - 1:len(fr) + order]
    if r[0] <= 1e-10:
        return np.zeros(order), 0.0
    r[0] *= 1.0 + 1e-6
    a = np.zeros(order + 1)
    a[0] = 1.0
    e = r[0]
    for i in range(1, order + 1):                      # Levinson-Durbin
        k = -(r[i] + np.dot(a[1:i], r[i - 1:0:-1])) / e
        a[1:i + 1] = a[1:i + 1] + k * np.concatenate([a[1:i][::-1], [1.0]])
        e *= 1.0 - k * k
    return a[1:], e


def lpc_resynth(x, seed, order=18, win=400, hop=200):
    """Source-filter resynthesis: per frame LPC (autocorrelation, Hann window), pitch by the
    normalised autocorrelation peak in 70-400 Hz, pulse train (voiced) or white noise (unvoiced)
    scaled to the prediction-error energy, all-pole filter, Hann overlap-add."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    w = np.hanning(win)
    out = np.zeros(n + win)
    norm = np.zeros(n + win)
    next_pulse = 0
    lo, hi = C.SR // 400, C.SR // 70
    for s in range(0, max(1, n - win + 1), hop):
        fr = x[s:s + win]
        if len(fr) < win:
            fr = np.pad(fr, (0, win - len(fr)))
        fw = fr * w
        a, err = lpc_coeffs(fw, order)
        ac = np.correlate(fr, fr, "full")[win - 1:]
        voiced = False
        period = 100
        if ac[0] > 1e-8:
            seg = ac[lo:hi] / ac[0]
            p = int(np.argmax(seg))
            voiced = seg[p] > 0.35
            period = lo + p
        gain = np.sqrt(max(err, 1e-12) / win)
        if voiced:
            exc = np.zeros(win)
            pos = next_pulse - s
            while pos < win:
                if pos >= 0:
                    exc[pos] = np.sqrt(period)
                pos += period
            next_pulse = s + pos
        else:
            exc = rng.standard_normal(win)
            next_pulse = s + hop
        y = sps.lfilter([gain], np.concatenate([[1.0], a]), exc)
        out[s:s + win] += y * w
        norm[s:s + win] += w ** 2
    out = out[:n] / np.maximum(norm[:n], 1e-3)
    return out.astype(np.float32)


def tts_clip(job):
    engine, voice, si, out = job
    text = SENTENCES[si]
    with tempfile.TemporaryDirectory() as td:
        raw = os.path.join(td, "raw.wav")
        if engine == "flite":
            subprocess.run(["flite", "-voice", voice, "-t", text, "-o", raw], check=True, capture_output=True)
        elif engine == "espeak":
            speed = str(135 + (si * 7) % 40)
            subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", raw, text], check=True,
                           capture_output=True)
        else:
            txt = os.path.join(td, "t.txt")
            with open(txt, "w") as f:
                f.write(text + "\n")
            stretch = [0.9, 1.0, 1.15][si % 3]
            subprocess.run(["text2wave", "-eval", "(Parameter.set 'Duration_Stretch %s)" % stretch,
                            txt, "-o", raw], check=True, capture_output=True)
        x = C.load(raw)[:8 * C.SR]
    C.write_wav(out, C.loudness_align(x))
    return out


def resynth_clip(job):
    kind, setting, src, out, seed = job
    torch.set_num_threads(1)
    x = C.load(src)
    if kind == "griffinlim":
        y = griffinlim_mel(x, *GL_SETTINGS[setting], seed=seed)
    elif kind == "stftgl":
        y = griffinlim_linear(x, seed)
    else:
        y = lpc_resynth(x, seed)
    y = y[:len(x)]
    C.write_wav(out, C.loudness_align(y))
    return out


def rt_clip(job):
    path, codec, out = job
    if not os.path.exists(out):
        C.write_wav(out, C.roundtrip(path, codec))
    return out


def main():
    os.makedirs(C.DATA, exist_ok=True)
    rows = C.dev_labels()
    reals = [r for r in rows if r["label"] == "real"]
    man = []
    for r in rows:
        man.append((r["file"], os.path.join(C.DEV, r["file"]), r["label"], r["attack"], r["group"], r["file"]))
    jobs = []
    for i, r in enumerate(reals):
        src = os.path.join(C.DEV, r["file"])
        stem = r["file"].split(".")[0]
        for k in range(len(GL_SETTINGS)):
            jobs.append(("griffinlim", k, src, os.path.join(C.DATA, "griffinlim", "%s_gl%d.wav" % (stem, k)),
                         1000 + 10 * i + k))
        jobs.append(("lpc", 0, src, os.path.join(C.DATA, "lpc", stem + "_lpc.wav"), 2000 + i))
        jobs.append(("stftgl", 0, src, os.path.join(C.DATA, "stftgl", stem + "_stftgl.wav"), 3000 + i))
        for j in jobs[-5:]:
            man.append((os.path.basename(j[3]).split(".")[0], j[3], "fake", "synth:" + j[0], r["group"], r["file"]))
    tjobs = []
    for si in range(len(SENTENCES)):
        for v in FLITE_VOICES:
            tjobs.append(("flite", v, si, os.path.join(C.DATA, "flite", "s%02d_%s.wav" % (si, v))))
        for v in ESPEAK_VOICES:
            tjobs.append(("espeak", v, si, os.path.join(C.DATA, "espeak", "s%02d_%s.wav" % (si, v.replace("+", "_")))))
        tjobs.append(("festival", "kal_diphone", si, os.path.join(C.DATA, "festival", "s%02d_kal.wav" % si)))
    for j in tjobs:
        eng = {"flite": "tts:flite", "espeak": "tts:espeak-ng", "festival": "tts:festival"}[j[0]]
        man.append((os.path.basename(j[3]).split(".")[0] + "_" + j[0], j[3], "fake", eng + ":" + j[1],
                    "tts-s%02d" % j[2], ""))
    for d in ["griffinlim", "lpc", "stftgl", "flite", "espeak", "festival"]:
        os.makedirs(os.path.join(C.DATA, d), exist_ok=True)
    with Pool(2) as pool:
        todo = [j for j in jobs if not os.path.exists(j[3])]
        print("resynthesis", len(todo), flush=True)
        pool.map(resynth_clip, todo, chunksize=4)
        todo = [j for j in tjobs if not os.path.exists(j[3])]
        print("tts", len(todo), flush=True)
        pool.map(tts_clip, todo, chunksize=4)
        rt = []
        for m in man:
            for codec in C.CODECS:
                rt.append((m[1], codec, os.path.join(C.DATA, "rt", codec, m[0] + ".wav")))
        for codec in C.CODECS:
            os.makedirs(os.path.join(C.DATA, "rt", codec), exist_ok=True)
        print("round trips", len(rt), flush=True)
        pool.map(rt_clip, rt, chunksize=8)
    with open(os.path.join(C.DATA, "manifest.tsv"), "w") as f:
        f.write("id\tpath\tlabel\tattack\tgroup\tsource_clip\n")
        for m in man:
            f.write("\t".join(m) + "\n")
    print("manifest", len(man))


if __name__ == "__main__":
    main()
