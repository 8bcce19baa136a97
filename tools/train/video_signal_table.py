#!/usr/bin/env python3
"""Per-signal AUC table for video/dev (docs/detection-video.md): raw detector scores, direction
fixed by design, nothing fitted. 95% intervals by bootstrap over clips (positives and negatives
resampled apart). Groups: all clips, the FF++ pairs (c40 + c23: the clean real-vs-fake
comparison), FF++ c40, FF++ c23, DFDC. A clip where a detector did not apply is left out of that
detector's row (n says how many applied).

  veritrace eval ../shared/data/video/dev/labels.tsv --scores /tmp/video_scores.jsonl
  python3 tools/train/video_signal_table.py /tmp/video_scores.jsonl --detectors rppg,blink,lipsync
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_video_fusion import boot  # noqa: E402

GROUPS = [
    ("all clips", lambda c: True),
    ("FF++ c40 + c23 pairs", lambda c: c["source_dataset"].startswith("FaceForensics++")),
    ("FF++ c40", lambda c: c["source_dataset"] == "FaceForensics++ c40"),
    ("FF++ c23", lambda c: c["source_dataset"] == "FaceForensics++ c23"),
    ("DFDC", lambda c: c["source_dataset"].startswith("DFDC")),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scores")
    ap.add_argument("--detectors", default="rppg,blink,lipsync")
    ap.add_argument("--exclude", default="", help="comma-separated files to leave out (e.g. clips a model trained on)")
    args = ap.parse_args()
    excluded = set(filter(None, args.exclude.split(",")))
    rows = [json.loads(line) for line in open(args.scores) if line.strip()]
    rows = [r for r in rows if not r.get("error") and r["columns"]["file"] not in excluded]
    print("| signal | " + " | ".join(g for g, _ in GROUPS) + " |")
    print("| --- |" + " --- |" * len(GROUPS))
    for d in args.detectors.split(","):
        cells = []
        for _, keep in GROUPS:
            y, s = [], []
            for r in rows:
                e = r["detectors"].get(d)
                if not keep(r["columns"]) or not e or e.get("status") != "applied" or e.get("score") is None:
                    continue
                y.append(1 if r["columns"]["label"] == "fake" else 0)
                s.append(e["score"])
            npos, nneg = sum(y), len(y) - sum(y)
            if npos == 0 or nneg == 0:
                cells.append(f"- ({npos} fake, {nneg} real)")
                continue
            a, lo, hi, _ = boot(y, s)
            cells.append(f"{a:.2f} [{lo:.2f}, {hi:.2f}] ({npos}+{nneg})")
        print(f"| {d} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
