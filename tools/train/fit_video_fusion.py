#!/usr/bin/env python3
"""Fit the video fusion model (the "video" object of models/fusion.json) and cross-validate it.

Input: JSON lines of `veritrace eval ../shared/data/video/dev/labels.tsv --scores FILE`.
Method (docs/detection-video.md):
  1. Per video detector, Platt calibration p = sigmoid(a * raw + b) on the training clips.
  2. One joint logistic head over the detectors' logit(p), weights >= 0, L2 1.0; a detector that did
     not apply enters at its imputed logit (the training clips' mean).
  3. Leave-one-pair-out cross-validation (labels.tsv `pair_id`: a real clip and the fakes made from
     it are always on the same side): every figure is out of fold. Per fold, the flag threshold is
     the 90th percentile of that fold's training reals' fused scores, applied to the held-out clips.
  4. The shipped model is fitted on all clips; its flag threshold (threshold + unsure band) is the
     90th percentile of the out-of-fold real scores, unless the out-of-fold AUC's 95% interval
     reaches 0.5: then statistics never flag (flag at 0.99, provenance rules only) and the whole
     range of fitted scores reads "unsure".
Only numpy; never needed at run time.

  veritrace eval ../shared/data/video/dev/labels.tsv --scores /tmp/video_scores.jsonl
  python3 tools/train/fit_video_fusion.py /tmp/video_scores.jsonl --fusion models/fusion.json --report /tmp/video_cv.json
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_fusion import fit_logistic, logit, sigmoid  # noqa: E402

VIDEO_DETECTORS = ["face_sbi", "rppg", "blink", "lipsync"]
BAND = 0.1


def load(path, detectors=VIDEO_DETECTORS):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    out = []
    for r in rows:
        if r.get("error"):
            continue
        feats = {}
        for d in detectors:
            e = r["detectors"].get(d)
            feats[d] = e["score"] if e and e.get("status") == "applied" and e.get("score") is not None else None
        out.append(dict(file=r["file"], y=int(r["label"]), group=r["columns"]["pair_id"],
                        source=r["columns"]["source_dataset"], method=r["columns"]["method"], x=feats))
    return out


def fit(train, detectors):
    model = {"detectors": {}}
    cols = []
    for d in detectors:
        xs = np.array([r["x"][d] for r in train if r["x"][d] is not None], dtype=float)
        ys = np.array([r["y"] for r in train if r["x"][d] is not None], dtype=float)
        if len(xs) < 4 or len(set(ys.tolist())) < 2:
            continue
        w = fit_logistic(xs[:, None], ys, l2=1.0, nonneg=True)  # a detector is never read backwards
        a, b = float(w[1]), float(w[0])
        imp = float(np.mean(logit(sigmoid(a * xs + b))))
        model["detectors"][d] = {"calibration": {"a": a, "b": b}, "impute": imp}
        cols.append(d)
    X = np.array([[features(r, model, d) for d in cols] for r in train]) if cols else np.zeros((len(train), 0))
    y = np.array([r["y"] for r in train], dtype=float)
    w = fit_logistic(X, y, l2=1.0, nonneg=True)
    model["intercept"] = float(w[0])
    for i, d in enumerate(cols):
        model["detectors"][d]["weight"] = float(w[i + 1])
    return model


def features(r, model, d):
    c = model["detectors"][d]
    if r["x"][d] is None:
        return c["impute"]
    return float(logit(sigmoid(c["calibration"]["a"] * r["x"][d] + c["calibration"]["b"])))


def predict(r, model):
    z = model["intercept"]
    for d, c in model["detectors"].items():
        z += c.get("weight", 0.0) * features(r, model, d)
    return float(sigmoid(z))


def auc(y, s):
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    d = pos[:, None] - neg[None, :]
    return float((d > 0).mean() + 0.5 * (d == 0).mean())


def boot(y, s, reps=2000, seed=0):
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    rng = np.random.default_rng(seed)
    pos, neg = np.where(y == 1)[0], np.where(y == 0)[0]
    if len(pos) == 0 or len(neg) == 0:
        return [auc(y, s), float("nan"), float("nan"), int(len(y))]
    vals = []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        vals.append(auc(y[idx], s[idx]))
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return [auc(y, s), float(lo), float(hi), int(len(y))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scores")
    ap.add_argument("--fusion", default="models/fusion.json", help="fusion.json to update (its \"video\" object)")
    ap.add_argument("--report", default="/tmp/video_cv.json")
    ap.add_argument("--detectors", default=",".join(VIDEO_DETECTORS))
    args = ap.parse_args()
    dets = [d for d in args.detectors.split(",") if d]
    rows = load(args.scores, dets)
    groups = sorted({r["group"] for r in rows})
    oof = {}
    fold_thr = {}
    for g in groups:
        train = [r for r in rows if r["group"] != g]
        test = [r for r in rows if r["group"] == g]
        m = fit(train, dets)
        thr = float(np.percentile([predict(r, m) for r in train if r["y"] == 0], 90))
        for r in test:
            oof[r["file"]] = predict(r, m)
            fold_thr[r["file"]] = thr
    y = [r["y"] for r in rows]
    s = [oof[r["file"]] for r in rows]
    report = {"n": len(rows), "folds": len(groups), "fused_oof_auc": boot(y, s), "per_source": {}, "per_detector": {}}
    for src in sorted({r["source"] for r in rows}):
        sel = [r for r in rows if r["source"] == src]
        report["per_source"][src] = boot([r["y"] for r in sel], [oof[r["file"]] for r in sel])
    ffpp = [r for r in rows if r["source"].startswith("FaceForensics++")]
    report["ffpp_pairs"] = boot([r["y"] for r in ffpp], [oof[r["file"]] for r in ffpp])
    for d in dets:
        sel = [r for r in rows if r["x"][d] is not None]
        report["per_detector"][d] = boot([r["y"] for r in sel], [r["x"][d] for r in sel])
        report["per_detector"][d].append(f"applied to {len(sel)}/{len(rows)}")
    reals = [r for r in rows if r["y"] == 0]
    fakes = [r for r in rows if r["y"] == 1]
    report["fp_at_fold_threshold"] = [sum(oof[r["file"]] > fold_thr[r["file"]] for r in reals), len(reals)]
    report["tpr_at_fold_threshold"] = [sum(oof[r["file"]] > fold_thr[r["file"]] for r in fakes), len(fakes)]
    report["per_method_tpr_at_fold_threshold"] = {
        m: [sum(oof[r["file"]] > fold_thr[r["file"]] for r in fakes if r["method"] == m), sum(r["method"] == m for r in fakes)]
        for m in sorted({r["method"] for r in fakes})}

    final = fit(rows, dets)
    flag = float(np.percentile([s for r, s in zip(rows, s) if r["y"] == 0], 90))
    flag = min(max(flag, BAND + 0.01), 0.99)
    threshold, band = flag - BAND, BAND
    if report["fused_oof_auc"][1] <= 0.5:
        # No evidence that the fusion separates fakes from reals out of fold: it must not flag on
        # statistics. Flag only at 0.99 (provenance rules), and read every fitted score as unsure.
        lo = max(0.0, min(predict(r, final) for r in rows) - 0.01)
        threshold, band = (lo + 0.99) / 2, (0.99 - lo) / 2
        report["no_statistical_flags"] = "out-of-fold AUC CI reaches 0.5: statistics never flag videos"
    video = {"version": "video-1",
             "note": "Fitted by tools/train/fit_video_fusion.py on ../shared/data/video/dev; see docs/detection-video.md.",
             "combine": "joint", "threshold": round(threshold, 4), "unsure_band": round(band, 4),
             "heads": {"joint": {"intercept": final["intercept"]}}, "detectors": final["detectors"]}
    for d, c in video["detectors"].items():
        a = report["per_detector"][d]
        c["reliability"] = (f"On the {a[3]} video dev clips it applied to, AUC {a[0]:.2f} [{a[1]:.2f}, {a[2]:.2f}]"
                            + ("; it does not separate real from manipulated videos yet." if a[1] <= 0.5 else "."))
    report["shipped"] = video
    report["shipped_flag_threshold"] = flag
    with open(args.fusion) as f:
        fusion = json.load(f)
    fusion["video"] = video
    with open(args.fusion, "w") as f:
        json.dump(fusion, f, indent=2)
        f.write("\n")
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "shipped"}, indent=1))


if __name__ == "__main__":
    main()
