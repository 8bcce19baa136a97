"""Shared helpers for the voice training scripts (not part of the C++ contract; features.py is)."""
import csv
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEV = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "audio", "dev"))
WORK = os.environ.get("VOICE_WORK", "/tmp/voice")
DATA = os.path.join(WORK, "data")
SR = 16000
FAMILIES = ["hifigan", "melgan", "waveglow", "wavenet_mol", "tacotron2", "wavefake", "espeak-ng"]
# Training-side versions of every clip; test-side versions of dev clips (no noise/gain).
TRAIN_VERSIONS = ["clean", "noise", "mp3", "aac", "opus", "tel"]
TEST_VERSIONS = {"clean": "clean", "mp3": "mp3t", "opus": "opust"}
CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
    "aac": ["-c:a", "aac", "-b:a", "32k", "-f", "adts"],
    "opus": ["-c:a", "libopus", "-b:a", "16k", "-f", "ogg"],
    "tel": ["-af", "aresample=8000:resampler=soxr", "-ar", "8000", "-c:a", "pcm_s16le", "-f", "wav"],
}


def load(path):
    """Mono float32 16 kHz through ffmpeg (the same path for every file and codec round trip)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1", "-af", "aresample=resampler=soxr",
                          "-ar", str(SR), "-f", "f32le", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def roundtrip(path, codec):
    """Decode(encode(path)) with the ffmpeg CLI, back to mono float32 16 kHz."""
    enc = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1"] + CODECS[codec] + ["-"],
                         check=True, capture_output=True).stdout
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", "-", "-ac", "1", "-af", "aresample=resampler=soxr",
                          "-ar", str(SR), "-f", "f32le", "-"], input=enc, check=True,
                         capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def write_wav(path, x):
    import wave
    y = np.clip(np.round(np.asarray(x, dtype=np.float64) * 32767.0), -32768, 32767).astype("<i2")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(y.tobytes())


def loudness_align(x, target_db=-20.0, peak_db=-1.0):
    """As the dev README step 4: active frames (20 ms / 10 ms hop, within 40 dB of the loudest frame)
    at target RMS, gain reduced so the sample peak stays <= peak_db."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 320:
        return x.astype(np.float32)
    n = 1 + (len(x) - 320) // 160
    fr = np.array([np.mean(x[i * 160:i * 160 + 320] ** 2) for i in range(n)])
    db = 10 * np.log10(fr + 1e-20)
    act = db >= db.max() - 40.0
    idx = np.concatenate([np.arange(i * 160, i * 160 + 320) for i in np.nonzero(act)[0]])
    idx = np.unique(idx)
    rms = np.sqrt(np.mean(x[idx] ** 2)) + 1e-20
    g = 10 ** (target_db / 20) / rms
    pk = np.max(np.abs(x)) * g
    if pk > 10 ** (peak_db / 20):
        g *= 10 ** (peak_db / 20) / pk
    return (x * g).astype(np.float32)


def family_of(attack):
    if attack == "bonafide":
        return "bonafide"
    if attack.startswith("tts:tacotron2"):
        return "tacotron2"
    if attack.startswith("vocoder:hifigan"):
        return "hifigan"
    if attack.startswith("vocoder:wavefake"):
        return "wavefake"
    if attack.startswith("vocoder:"):
        return attack.split(":", 1)[1]
    if attack == "classic-tts:espeak-ng":
        return "espeak-ng"
    return attack


def dev_labels():
    """Rows of labels.tsv plus 'family' and 'group' (the source utterance / paired recording)."""
    rows = []
    with open(os.path.join(DEV, "labels.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            note = r["note"]
            m = re.search(r"\b(ms|e2e|ss)\b (?:section, )?(?:ground-truth )?item (\d)", note)
            m2 = re.search(r"(LJ\d{3}-\d{4})", note)
            m3 = re.search(r"(p225_\d{3})", note)
            if m:
                g = "%s-%s" % (m.group(1), m.group(2))
            elif m2:
                g = m2.group(1)
            elif m3:
                g = m3.group(1)
            elif "LA_T_1000137" in note or "ASVspoof" in r["source_dataset"]:
                g = "LA_T_1000137"
            else:
                g = r["file"]
            r["family"] = family_of(r["attack"])
            r["group"] = g
            rows.append(r)
    return rows


def real_folds(rows, k):
    """Fold index (0..k-1) per real utterance group, round-robin within source datasets."""
    groups = sorted({(r["source_dataset"], r["group"]) for r in rows if r["label"] == "real"})
    return {g: i % k for i, (_, g) in enumerate(groups)}


def read_manifest():
    with open(os.path.join(DATA, "manifest.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))
