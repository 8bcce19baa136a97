#!/usr/bin/python3
"""Fit the `frequency` detector's logistic model and check it honestly (docs/detection-frequency.md).

Input: feature tables written by tools/train/frequency_features.cpp (the detector's own numbers).
  fit_frequency.py --gan gan_dev.tsv --photos photos.tsv --diffusion diffusion_dev.tsv \
      [--synth synth.tsv] [--write src/detect/detectors/frequency_model.hpp]

Evaluation: leave-one-generator-group-out on gan_dev (the reals and fakes of a group are held out
together). Inside each outer fold the feature subset is chosen among a few fixed candidates by an
inner leave-one-group-out on the nine training groups, so the pooled out-of-fold AUC covers the
whole procedure. The flag threshold of a fold is the 95th percentile of its training reals' scores.
Then the shipped model is refitted on all of gan_dev (plus synthetic pairs with --synth) with the
subset the same inner procedure picks on all groups, and photos/ and diffusion_dev are scored with it.
Needs Debian's python3-numpy and python3-sklearn; nothing here runs at detection time.
"""
import argparse
import csv
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

FEATURES = ["hf_ratio", "vhf_ratio", "slope", "grid2", "grid4", "grid8", "offgrid_peak", "resid_rms", "content_std",
            "sat_mean", "sat_std", "clip_share"]
SPECTRAL = FEATURES[:9]
COLOUR = ["sat_mean", "sat_std", "clip_share"]
_BASE = [
    SPECTRAL,
    ["grid4", "resid_rms", "content_std"],
    ["resid_rms", "content_std"],
    ["grid2", "grid4", "grid8", "resid_rms", "content_std"],
    ["hf_ratio", "slope", "grid4", "resid_rms", "content_std"],
]
# Each spectral subset alone and with the colour statistics: 10 candidates, chosen inside the folds.
# (--spectral-only drops the colour ones: without the photos in training they flagged colourful
# toned photos; with --train-photos they no longer do, docs/detection-frequency.md.)
CANDIDATES = _BASE + [b + COLOUR for b in _BASE]
C_REG = 1.0
FLAG_QUANTILE = 0.95  # flag threshold: this quantile of the training reals' scores


def load(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    X = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    y = np.array([r["label"] == "fake" for r in rows])
    g = np.array([r["group"] for r in rows])
    names = [r["file"] for r in rows]
    return X, y, g, names


class Model:
    """Standardise then L2 logistic regression on a feature subset; weights in FEATURES order."""

    def __init__(self, subset):
        self.idx = [FEATURES.index(f) for f in subset]

    def fit(self, X, y):
        Z = X[:, self.idx]
        self.mean = Z.mean(0)
        self.scale = Z.std(0) + 1e-9
        self.lr = LogisticRegression(C=C_REG, max_iter=5000).fit((Z - self.mean) / self.scale, y)
        return self

    def score(self, X):
        return self.lr.decision_function((X[:, self.idx] - self.mean) / self.scale)

    def constants(self):
        mean = np.zeros(len(FEATURES))
        scale = np.ones(len(FEATURES))
        weight = np.zeros(len(FEATURES))
        for k, i in enumerate(self.idx):
            mean[i], scale[i], weight[i] = self.mean[k], self.scale[k], self.lr.coef_[0][k]
        return mean, scale, weight, float(self.lr.intercept_[0])


def logo_scores(X, y, g, subset, extra=None):
    oof = np.zeros(len(y))
    for gg in sorted(set(g)):
        tr = g != gg
        Xt, yt = X[tr], y[tr]
        if extra is not None:
            Xt, yt = np.vstack([Xt, extra[0]]), np.concatenate([yt, extra[1]])
        oof[~tr] = Model(subset).fit(Xt, yt).score(X[~tr])
    return oof


def pick_subset(X, y, g, extra=None):
    best, best_auc = None, -1
    for s in CANDIDATES:
        auc = roc_auc_score(y, logo_scores(X, y, g, s, extra))
        if auc > best_auc:
            best, best_auc = s, auc
    return best, best_auc


def bootstrap_ci(y, s, n=2000, seed=7):
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if y[i].all() or (~y[i]).all():
            continue
        vals.append(roc_auc_score(y[i], s[i]))
    return np.percentile(vals, [2.5, 97.5])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gan", required=True)
    ap.add_argument("--photos")
    ap.add_argument("--diffusion")
    ap.add_argument("--synth")
    ap.add_argument("--write")
    ap.add_argument("--spectral-only", action="store_true", help="no subsets with the colour statistics")
    ap.add_argument("--oof", metavar="TSV", help="write each training file's out-of-fold score here "
                    "(fit_fusion.py --oof frequency=TSV uses them, so its cross-validation stays held out)")
    ap.add_argument("--train-photos", metavar="LABELS_TSV",
                    help="also train on the photos (--photos) as reals, one cross-validation group per "
                         "Debian package family (read from this labels.tsv's debian_package column)")
    a = ap.parse_args()
    if a.spectral_only:
        del CANDIDATES[len(_BASE):]
    X, y, g, names_all = load(a.gan)
    n_gan = len(y)
    if a.train_photos:
        package = {r["file"]: r["debian_package"].split()[0] for r in
                   csv.DictReader(open(a.train_photos), delimiter="\t")}
        family = lambda p: "photos:" + ("lomiri" if p.startswith("lomiri") else p)
        Xp, yp, _, names = load(a.photos)
        names_all = names_all + names
        X = np.vstack([X, Xp])
        y = np.concatenate([y, yp])
        g = np.concatenate([g, np.array([family(package[n]) for n in names])])
    extra = None
    if a.synth:
        Xs, ys, _, _ = load(a.synth)
        extra = (Xs, ys)

    # Outer leave-one-group-out with the subset chosen inside each fold.
    oof = np.zeros(len(y))
    flagged = np.zeros(len(y), dtype=bool)
    print("held-out group  subset chosen on the other 9 groups (inner LOGO AUC)   group AUC")
    per_group = {}
    for gg in sorted(set(g)):
        tr = g != gg
        subset, inner = pick_subset(X[tr], y[tr], g[tr], extra)
        Xt, yt = X[tr], y[tr]
        if extra is not None:
            Xt, yt = np.vstack([Xt, extra[0]]), np.concatenate([yt, extra[1]])
        m = Model(subset).fit(Xt, yt)
        oof[~tr] = m.score(X[~tr])
        thr = np.quantile(m.score(X[tr][~y[tr]]), FLAG_QUANTILE)
        flagged[~tr] = oof[~tr] >= thr
        if y[~tr].any() and not y[~tr].all():
            per_group[gg] = roc_auc_score(y[~tr], oof[~tr])
            print(f"  {gg:<12}  {','.join(subset):<52} ({inner:.3f})  {per_group[gg]:.3f}")
        else:
            print(f"  {gg:<12}  {','.join(subset):<52} ({inner:.3f})  flagged {int(flagged[~tr].sum())}/{int((~tr).sum())}")
    if a.oof:
        with open(a.oof, "w") as f:
            f.write("file\tgroup\toof_score\n")
            for n, gg, v in zip(names_all, g, oof):
                f.write(f"{n}\t{gg}\t{v:.9g}\n")
    gan = np.arange(len(y)) < n_gan
    auc = roc_auc_score(y[gan], oof[gan])
    lo, hi = bootstrap_ci(y[gan], oof[gan])
    print(f"gan_dev pooled out-of-fold AUC {auc:.3f} (95% bootstrap CI {lo:.3f}-{hi:.3f}), n={int(gan.sum())}")
    print(f"  at each fold's threshold (95th pct of its training reals): TPR {flagged[gan & y].mean():.3f}, "
          f"FPR {flagged[gan & ~y].mean():.3f}")
    if not gan.all():
        k, n = int(flagged[~gan].sum()), int((~gan).sum())
        print(f"photos out of fold (each package family held out): flagged {k}/{n} ({k / n:.1%})")

    # The shipped model.
    subset, inner = pick_subset(X, y, g, extra)
    Xt, yt = X, y
    if extra is not None:
        Xt, yt = np.vstack([X, extra[0]]), np.concatenate([y, extra[1]])
    final = Model(subset).fit(Xt, yt)
    thr = float(np.quantile(final.score(X[~y]), FLAG_QUANTILE))
    print(f"final subset {','.join(subset)} (LOGO AUC of that subset on all groups {inner:.3f}, "
          f"selection-biased); flag logit {thr:.3f}")
    for label, path in (("photos", a.photos), ("diffusion_dev", a.diffusion)):
        if not path:
            continue
        Xp, _, gp, _ = load(path)
        sp = final.score(Xp)
        print(f"{label}: n={len(sp)} score min {sp.min():.2f} median {np.median(sp):.2f} max {sp.max():.2f}; "
              f"flagged at {thr:.2f}: {int((sp >= thr).sum())}/{len(sp)} ({(sp >= thr).mean():.1%})")
        for gg in sorted(set(gp)):
            m = gp == gg
            if m.sum() and gg != "-":
                print(f"  {gg:<22} flagged {int((sp[m] >= thr).sum())}/{int(m.sum())}, median score {np.median(sp[m]):.2f}")
    if a.write:
        mean, scale, weight, b = final.constants()
        fmt = lambda v: "{" + ", ".join(f"{x:.9g}" for x in v) + "}"
        with open(a.write, "w") as f:
            f.write(f"""// Fitted constants of the `frequency` detector (src/detect/detectors/frequency.cpp).
// Written by tools/train/fit_frequency.py (command in docs/detection-frequency.md); do not edit by hand.
// Features: {', '.join(FEATURES)}.
// Subset used (weights of the others are 0): {', '.join(subset)}.
// Trained on all of gan_dev{' + synthetic pairs' if extra is not None else ''}; leave-one-group-out AUC {auc:.3f} (CI {lo:.3f}-{hi:.3f}).
#pragma once

namespace veritrace::detect::frequency_model {{

inline constexpr int kFeatureCount = {len(FEATURES)};
// Standardisation (x - mean) / scale, then logit = intercept + sum(weight * z).
inline constexpr double kMean[kFeatureCount] = {fmt(mean)};
inline constexpr double kScale[kFeatureCount] = {fmt(scale)};
inline constexpr double kWeight[kFeatureCount] = {fmt(weight)};
inline constexpr double kIntercept = {b:.9g};
// Logit at or above which the summary speaks of up-sampling traces: the {FLAG_QUANTILE:.0%} quantile of
// the gan_dev reals' scores.
inline constexpr double kFlagLogit = {thr:.9g};

}}  // namespace veritrace::detect::frequency_model
""")
        print("wrote", a.write)


if __name__ == "__main__":
    sys.exit(main())
