"""Writes tests/fixtures/audio/lfcc_torchaudio.json: torchaudio's LFCC (the contract in features.py)
of the fixed parity waveform, which tests/test_audio_features.cpp compares our C++ LFCC with.
Run: /usr/bin/python3 tools/train/voice/make_fixtures.py"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import features  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def main():
    x = features.parity_waveform(16000)
    lfcc = features.lfcc60(x)
    mask = features.speech_mask(x)
    # A quiet tail: the speech mask must drop frames there.
    y = x.copy()
    y[12000:] *= 1e-4
    out = {
        "note": "torchaudio %s LFCC of features.parity_waveform(16000); rows: 20 static, 20 delta, 20 delta-delta"
                % features.torchaudio.__version__,
        "samples": 16000,
        "frames": int(lfcc.shape[1]),
        "lfcc": [[round(float(v), 5) for v in row] for row in lfcc],
        "speech_frames": int(mask.sum()),
        "quiet_tail_speech_mask": [int(v) for v in features.speech_mask(y)],
    }
    path = os.path.join(ROOT, "tests", "fixtures", "audio", "lfcc_torchaudio.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, lfcc.shape)


if __name__ == "__main__":
    main()
