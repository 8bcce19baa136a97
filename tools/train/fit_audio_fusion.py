#!/usr/bin/env python3
"""Fit the audio fusion model (the "audio" object of models/fusion.json; the voice detectors also
join the "video" object) and cross-validate it.

Input: tools/train/voice/oof_scores.tsv (columns file, label, attack, detector, condition, model,
score), the voice detectors' out-of-fold scores from tools/train/voice/crossval.py: a fake is scored
by models that never saw its attack family, a real clip by models that never saw it ("model" names
the held-out family; "pooled" is a real clip's mean over the families' models).
Method (docs/detection-audio.md):
  1. Per voice detector, Platt calibration p = sigmoid(a * raw + b); one joint logistic head over
     the detectors' logit(p), weights >= 0, L2 1.0. Fitted on the fakes' scores and the real
     clips' pooled scores.
  2. The fusion is cross-validated the same way: for each attack family F and each of 5 folds of
     real clips, it is fitted without F's fakes and without that fold, then scores F's fakes and
     the fold's reals as F's models scored them. Figures per family (its fakes against every real
     clip): EER and AUC with 95% bootstrap intervals, and their mean over families (with and
     without the espeak-ng sanity group); the same for MP3 64k and Opus 16k round trips of the
     test clips (fusion fitted on clean scores).
  3. The shipped thresholds come from the out-of-fold fused scores of the real clips: flagged at
     or above their 95th percentile, "unsure" from their 75th percentile up to that.
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
    """{(file, model): row} for one condition; a row holds both detectors' scores by the models of
    that fold ("model" is the held-out attack family, or "pooled" for a real clip's mean over them)."""
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["condition"] != condition:
                continue
            d = ALIASES.get(r["detector"])
            if d is None:
                continue
            key = (r["file"], r["model"])
            c = rows.setdefault(key, {"file": r["file"], "model": r["model"], "y": int(r["label"] in ("fake", "spoof", "1")),
                                      "family": family(r["attack"]), "x": {}})
            c["x"][d] = float(r["score"])
    return {k: c for k, c in rows.items() if all(d in c["x"] for d in DETECTORS)}


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


REAL_FOLDS = 5


def real_fold(file):
    return sum(file.encode()) % REAL_FOLDS


def training_rows(table, exclude_family, exclude_fold):
    """Fakes of the other families (scored by their own fold's models) and the real clips outside
    one fold (their pooled out-of-fold score)."""
    return [r for (f, m), r in table.items()
            if (r["y"] == 1 and r["family"] != exclude_family and m == r["family"])
            or (r["y"] == 0 and m == "pooled" and real_fold(f) != exclude_fold)]


def cross_validate(clean, table):
    """Per attack family F and real fold k: the fusion fitted without F's fakes and fold k's reals
    scores F's fakes and fold k's reals as family F's models scored them. Returns per family the
    test scores {file: fused}: fakes averaged over the real folds."""
    families = sorted({r["family"] for r in clean.values() if r["family"]})
    out = {}
    for fam in families:
        fake_scores, real_scores = {}, {}
        for k in range(REAL_FOLDS):
            m = fit(training_rows(clean, fam, k))
            for (f, model), r in table.items():
                if model != fam:
                    continue
                if r["y"] == 1 and r["family"] == fam:
                    fake_scores.setdefault(f, []).append(predict(m, r))
                elif r["y"] == 0 and real_fold(f) == k:
                    real_scores[f] = predict(m, r)
        out[fam] = {"fake": {f: float(np.mean(v)) for f, v in fake_scores.items()}, "real": real_scores}
    return families, out


def figures(per_family, families):
    out = {"families": {}}
    eers, aucs = [], []
    for fam in families:
        real_s = list(per_family[fam]["real"].values())
        fake_s = list(per_family[fam]["fake"].values())
        y = [0] * len(real_s) + [1] * len(fake_s)
        s = real_s + fake_s
        e, a = eer(y, s), auc(y, s)
        eers.append(e)
        aucs.append(a)
        out["families"][fam] = {"fakes": len(fake_s), "reals": len(real_s), "eer": e, "eer_ci": boot(y, s, eer),
                                "auc": a, "auc_ci": boot(y, s, auc)}
    out["mean_family_eer"] = float(np.mean(eers))
    out["mean_family_auc"] = float(np.mean(aucs))
    keep = [i for i, f in enumerate(families) if f != "espeak-ng"]
    out["mean_family_eer_without_espeak"] = float(np.mean([eers[i] for i in keep]))
    out["mean_family_auc_without_espeak"] = float(np.mean([aucs[i] for i in keep]))
    return out


def single_detector(table, d):
    """A detector's own out-of-fold scores in the same per-family layout (no fusion)."""
    families = sorted({r["family"] for r in table.values() if r["family"]})
    out = {}
    for fam in families:
        out[fam] = {"fake": {f: r["x"][d] for (f, m), r in table.items() if r["y"] == 1 and r["family"] == fam and m == fam},
                    "real": {f: r["x"][d] for (f, m), r in table.items() if r["y"] == 0 and m == fam}}
    return families, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("oof")
    ap.add_argument("--fusion", help="models/fusion.json to update")
    ap.add_argument("--report", help="write the cross-validated figures here")
    args = ap.parse_args()
    clean = load(args.oof, "clean")
    report = {"protocol": __doc__.split("Method (docs/detection-audio.md):")[1].split("Only numpy")[0].strip()}
    families, per = cross_validate(clean, clean)
    report["fused"] = figures(per, families)
    for d in DETECTORS:
        report[d] = figures(single_detector(clean, d)[1], families)
    for cond in ("mp3", "opus"):
        table = load(args.oof, cond)
        if table:
            _, cper = cross_validate(clean, table)
            report[cond] = {"fused": figures(cper, families)}
            for d in DETECTORS:
                report[cond][d] = figures(single_detector(table, d)[1], families)
    real_oof = np.array([v for fam in families for v in per[fam]["real"].values()])
    fake_oof = np.array([v for fam in families for v in per[fam]["fake"].values()])
    lo, hi = float(np.percentile(real_oof, 75)), float(np.percentile(real_oof, 95))
    threshold, band = 0.5 * (lo + hi), 0.5 * (hi - lo)
    report["thresholds"] = {"threshold": threshold, "unsure_band": band,
                            "oof_real_flagged": float(np.mean(real_oof >= hi)),
                            "oof_real_unsure": float(np.mean((real_oof >= lo) & (real_oof < hi))),
                            "oof_fake_flagged": float(np.mean(fake_oof >= hi)),
                            "oof_fake_unsure": float(np.mean((fake_oof >= lo) & (fake_oof < hi)))}
    final = fit(training_rows(clean, None, -1))
    report["shipped"] = final
    print(json.dumps({k: v for k, v in report.items() if k != "protocol"}, indent=1))
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
            audio["detectors"][d] = {"weight": c["weight"], "impute": 0.0, "calibration": {"a": c["a"], "b": c["b"]},
                                     "reliability": "Cross-validated leaving one attack family out, on 99 studio-quality English clips of older synthesisers: mean EER %.0f%% alone; not tested on current voice-cloning systems." % (100 * report[d]["mean_family_eer"])}
        fusion["audio"] = audio
        # Videos with speech: the same calibrated voice evidence joins the video model; impute 0
        # keeps videos without sound where they were.
        for d in DETECTORS:
            fusion["video"]["detectors"][d] = dict(audio["detectors"][d])
        with open(args.fusion, "w") as f:
            json.dump(fusion, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
