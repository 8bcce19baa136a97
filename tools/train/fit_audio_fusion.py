#!/usr/bin/env python3
"""Fit the audio fusion model (the "audio" object of models/fusion.json; the voice detectors also
join the "video" object) and cross-validate it.

Input: tools/train/voice/oof_scores.tsv (columns file, label, attack, detector, condition, score),
the voice detectors' out-of-fold clip scores from tools/train/voice/crossval.py: no fake is scored
by a detector that trained on its attack family, no real clip by one that trained on it.
Method (docs/detection-audio.md):
  1. Per voice detector, Platt calibration p = sigmoid(a * raw + b); one joint logistic head over
     the detectors' logit(p), weights >= 0, L2 1.0.
  2. The fusion itself is cross-validated the same way: leave one attack family out for the fakes,
     and the real clips split into as many folds as there are families (fold i held out with
     family i). Figures: EER and AUC per family (its fakes against every real clip's out-of-fold
     fused score), their mean, and 95% bootstrap intervals.
  3. The shipped model is fitted on every clip. Its thresholds come from the out-of-fold fused
     scores of the real clips: flagged at or above their 95th percentile, "unsure" from their 75th
     percentile up to that, so that about 5% of real speech is flagged and 20% reads "unsure".
Only numpy; never needed at run time.

  python3 tools/train/fit_audio_fusion.py tools/train/voice/oof_scores.tsv --fusion models/fusion.json \
      --report tools/train/voice/fusion_cv.json
"""
import argparse
import csv
import json
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_fusion import fit_logistic, logit, sigmoid  # noqa: E402

DETECTORS = ["voice_gmm", "voice_lcnn"]
# Detector names in the engine for the training side's names.
ALIASES = {"lfcc-gmm": "voice_gmm", "gmm": "voice_gmm", "lcnn": "voice_lcnn", "voice_gmm": "voice_gmm", "voice_lcnn": "voice_lcnn"}


def family(attack):
    if attack == "bonafide":
        return None
    if attack.startswith("tts:tacotron2"):
        return "tacotron2"
    if attack.startswith("vocoder:hifigan"):
        return "hifigan"
    if attack.startswith("classic-tts:espeak"):
        return "espeak-ng"
    return attack.split(":", 1)[1].replace("wavefake-unspecified", "wavefake")


def load(path, condition):
    clips = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["condition"] != condition:
                continue
            d = ALIASES.get(r["detector"])
            if d is None:
                continue
            c = clips.setdefault(r["file"], {"file": r["file"], "y": int(r["label"] in ("fake", "spoof", "1")),
                                             "family": family(r["attack"]), "x": {}})
            c["x"][d] = float(r["score"])
    rows = [c for c in clips.values() if all(d in c["x"] for d in DETECTORS)]
    return sorted(rows, key=lambda c: c["file"])


def fit(rows):
    model = {"detectors": {}}
    cols = []
    for d in DETECTORS:
        xs = np.array([r["x"][d] for r in rows])
        ys = np.array([r["y"] for r in rows], dtype=float)
        w = fit_logistic(xs[:, None], ys, l2=1.0, nonneg=True)
        model["detectors"][d] = {"a": float(w[1]), "b": float(w[0])}
        cols.append(logit(sigmoid(w[1] * xs + w[0])))
    X = np.stack(cols, axis=1)
    w = fit_logistic(X, np.array([r["y"] for r in rows], dtype=float), l2=1.0, nonneg=True)
    model["intercept"] = float(w[0])
    for i, d in enumerate(DETECTORS):
        model["detectors"][d]["weight"] = float(w[i + 1])
    return model


def predict(model, r):
    z = model["intercept"]
    for d in DETECTORS:
        c = model["detectors"][d]
        z += c["weight"] * logit(sigmoid(c["a"] * r["x"][d] + c["b"]))
    return float(sigmoid(z))


def auc(y, s):
    y, s = np.asarray(y), np.asarray(s)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


def eer(y, s):
    """Equal error rate: over every threshold, the point where the miss and false-alarm rates cross
    (their mean where they are closest)."""
    y, s = np.asarray(y), np.asarray(s)
    best = (2.0, 1.0)
    for t in np.unique(s):
        far = float(np.mean(s[y == 0] >= t))
        frr = float(np.mean(s[y == 1] < t))
        if abs(far - frr) < best[0]:
            best = (abs(far - frr), 0.5 * (far + frr))
    return best[1]


def boot(y, s, stat, reps=2000, seed=0):
    rng = np.random.default_rng(seed)
    y, s = np.asarray(y), np.asarray(s)
    pos, neg = np.where(y == 1)[0], np.where(y == 0)[0]
    vals = []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        vals.append(stat(y[idx], s[idx]))
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def cross_validate(rows):
    families = sorted({r["family"] for r in rows if r["family"]})
    reals = [r for r in rows if r["y"] == 0]
    real_fold = {r["file"]: i % len(families) for i, r in enumerate(reals)}
    oof = {}
    for i, fam in enumerate(families):
        train = [r for r in rows if (r["y"] == 1 and r["family"] != fam) or (r["y"] == 0 and real_fold[r["file"]] != i)]
        m = fit(train)
        for r in rows:
            if (r["y"] == 1 and r["family"] == fam) or (r["y"] == 0 and real_fold[r["file"]] == i):
                oof[r["file"]] = predict(m, r)
    return families, oof


def figures(rows, scores, families):
    real_s = [scores[r["file"]] for r in rows if r["y"] == 0]
    out = {"families": {}}
    eers = []
    for fam in families:
        fake_s = [scores[r["file"]] for r in rows if r["family"] == fam]
        y = [0] * len(real_s) + [1] * len(fake_s)
        s = real_s + fake_s
        e = eer(y, s)
        eers.append(e)
        out["families"][fam] = {"fakes": len(fake_s), "eer": e, "eer_ci": boot(y, s, eer), "auc": auc(y, s), "auc_ci": boot(y, s, auc)}
    out["mean_family_eer"] = float(np.mean(eers))
    no_espeak = [e for f, e in zip(families, eers) if f != "espeak-ng"]
    out["mean_family_eer_without_espeak"] = float(np.mean(no_espeak))
    y = [r["y"] for r in rows]
    s = [scores[r["file"]] for r in rows]
    out["pooled"] = {"eer": eer(y, s), "eer_ci": boot(y, s, eer), "auc": auc(y, s), "auc_ci": boot(y, s, auc)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("oof")
    ap.add_argument("--fusion", help="models/fusion.json to update")
    ap.add_argument("--report", help="write the cross-validated figures here")
    args = ap.parse_args()
    rows = load(args.oof, "clean")
    families, oof = cross_validate(rows)
    report = {"clips": len(rows), "fused": figures(rows, oof, families)}
    for d in DETECTORS:  # each detector's own out-of-fold score, for comparison
        report[d] = figures(rows, {r["file"]: r["x"][d] for r in rows}, families)
    real_oof = np.array([oof[r["file"]] for r in rows if r["y"] == 0])
    lo, hi = float(np.percentile(real_oof, 75)), float(np.percentile(real_oof, 95))
    threshold, band = 0.5 * (lo + hi), 0.5 * (hi - lo)
    fake_oof = np.array([oof[r["file"]] for r in rows if r["y"] == 1])
    report["thresholds"] = {"threshold": threshold, "unsure_band": band,
                            "oof_real_flagged": float(np.mean(real_oof >= hi)),
                            "oof_real_unsure": float(np.mean((real_oof >= lo) & (real_oof < hi))),
                            "oof_fake_flagged": float(np.mean(fake_oof >= hi)),
                            "oof_fake_unsure": float(np.mean((fake_oof >= lo) & (fake_oof < hi)))}
    for cond in ("mp3", "opus"):  # the round-tripped test clips through the clean-fitted fusion folds
        crow = load(args.oof, cond)
        if crow:
            fams, coof = cross_validate_apply(rows, crow)
            report[cond] = figures(crow, coof, fams)
    final = fit(rows)
    print(json.dumps(report, indent=1))
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
    if args.fusion:
        fusion = json.load(open(args.fusion))
        audio = {"version": "audio-1",
                 "note": "Fitted by tools/train/fit_audio_fusion.py on out-of-fold scores of ../shared/data/audio/dev; see docs/detection-audio.md.",
                 "combine": "joint", "threshold": round(threshold, 4), "unsure_band": round(band, 4),
                 "heads": {"joint": {"intercept": final["intercept"]}}, "detectors": {}}
        for d in DETECTORS:
            c = final["detectors"][d]
            fam = report[d]
            audio["detectors"][d] = {"weight": c["weight"], "impute": 0.0, "calibration": {"a": c["a"], "b": c["b"]},
                                     "reliability": "Cross-validated (leave one attack family out) on 99 studio-quality English clips: mean EER %.0f%%; not tested on current voice-cloning systems." % (100 * fam["mean_family_eer"])}
        fusion["audio"] = audio
        # Videos with speech: the same calibrated voice evidence joins the video model; impute 0
        # keeps videos without sound where they were.
        for d in DETECTORS:
            fusion["video"]["detectors"][d] = dict(audio["detectors"][d])
        with open(args.fusion, "w") as f:
            json.dump(fusion, f, indent=2)
            f.write("\n")


def cross_validate_apply(clean_rows, cond_rows):
    """Round-trip figures: the fusion folds fitted on clean clips, applied to the round-tripped test clips."""
    families = sorted({r["family"] for r in clean_rows if r["family"]})
    reals = [r for r in clean_rows if r["y"] == 0]
    real_fold = {r["file"]: i % len(families) for i, r in enumerate(reals)}
    by_file = {r["file"]: r for r in cond_rows}
    oof = {}
    for i, fam in enumerate(families):
        train = [r for r in clean_rows if (r["y"] == 1 and r["family"] != fam) or (r["y"] == 0 and real_fold[r["file"]] != i)]
        m = fit(train)
        for r in clean_rows:
            if r["file"] in by_file and ((r["y"] == 1 and r["family"] == fam) or (r["y"] == 0 and real_fold[r["file"]] == i)):
                oof[r["file"]] = predict(m, by_file[r["file"]])
    rows = [r for r in cond_rows if r["file"] in oof]
    return families, oof if rows else {}


if __name__ == "__main__":
    main()
