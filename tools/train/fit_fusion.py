#!/usr/bin/env python3
"""Fit the fusion model (models/fusion.json) from per-file detector scores, and cross-validate it.

Input: JSON lines written by `veritrace eval --scores FILE` (one object per file: set, file, label,
columns, detectors{name: {status, score}}). Method (docs/detection.md, "Fusion"):
  1. Per detector, Platt calibration p = sigmoid(a * score + b), fitted on the sets that detector is
     meant for (synthetic-pointing detectors on real-vs-generated sets, manipulation detectors on
     splicing sets), with the real-only sets as extra negatives.
  2. A logistic combination over the detectors' logits logit(p_i) (0 when a detector did not apply),
     L2-regularised, weights constrained >= 0 (a detector can only add evidence it was built for).
  3. Leave-one-group-out cross-validation: each group (a generator of gan_dev, a fold of splicing_dev
     by source id, each real-only set) is predicted by a model fitted without it. The out-of-fold
     scores give the figures quoted in docs; the shipped model is then fitted on everything.
Only numpy (Debian python3-numpy); never needed at run time.

  veritrace eval gan.tsv photos.tsv ... --scores scores.jsonl
  python3 tools/train/fit_fusion.py scores.jsonl --out models/fusion.json --report fusion-cv.json
"""
import argparse
import json
import math
import sys

import numpy as np

SYNTHETIC = {"frequency"}
MANIPULATED = {"jpeg_ghost", "block_grid", "noise", "cfa", "copy_move", "metadata"}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_logistic(X, y, l2=1.0, nonneg=False, iters=200):
    """Logistic regression by projected Newton steps; X without the intercept column."""
    n, k = X.shape
    A = np.hstack([np.ones((n, 1)), X])
    w = np.zeros(k + 1)
    reg = np.full(k + 1, l2)
    reg[0] = 1e-6
    for _ in range(iters):
        p = sigmoid(A @ w)
        g = A.T @ (p - y) + reg * w
        H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg)
        step = np.linalg.solve(H, g)
        w_new = w - step
        if nonneg:
            w_new[1:] = np.maximum(w_new[1:], 0.0)
        if np.max(np.abs(w_new - w)) < 1e-9:
            w = w_new
            break
        w = w_new
    return w


def auc(s, y):
    s = np.asarray(s, float)
    y = np.asarray(y, int)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(allv))
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2.0 + 1
        i = j + 1
    r = np.empty(len(allv))
    r[order] = ranks
    rp = r[: len(pos)].sum()
    return (rp - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def bootstrap_auc(s, y, b=2000, seed=1):
    rng = np.random.default_rng(seed)
    s, y = np.asarray(s), np.asarray(y)
    pi, ni = np.where(y == 1)[0], np.where(y == 0)[0]
    if len(pi) == 0 or len(ni) == 0:
        return None
    vals = []
    for _ in range(b):
        idx = np.concatenate([rng.choice(pi, len(pi)), rng.choice(ni, len(ni))])
        vals.append(auc(s[idx], y[idx]))
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def wilson(k, n, z=1.96):
    if n == 0:
        return None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [max(0.0, c - h), min(1.0, c + h)]


def group_of(row):
    cols = row.get("columns", {})
    s = row["set"]
    if s == "gan_dev":
        return "gan_dev:" + cols.get("generator", "?")
    if s == "splicing_dev":
        # CASIA names carry the source photo ids; fold by content category keeps related files together.
        f = cols.get("file", "")
        name = f.split("/")[-1]
        parts = name.split("_")
        cat = parts[1] if len(parts) > 2 else name
        return "splicing_dev:" + cat
    return s


class Model:
    def __init__(self, detectors):
        self.detectors = detectors
        self.cal = {}
        self.w = None

    def features(self, rows):
        X = np.zeros((len(rows), len(self.detectors)))
        for i, r in enumerate(rows):
            for j, d in enumerate(self.detectors):
                v = r["detectors"].get(d)
                if v and v["status"] == "applied" and v["score"] is not None and d in self.cal:
                    a, b = self.cal[d]
                    X[i, j] = float(logit(sigmoid(a * v["score"] + b)))
        return X

    def fit(self, rows, l2=1.0):
        for d in self.detectors:
            xs, ys = [], []
            for r in rows:
                v = r["detectors"].get(d)
                if not v or v["status"] != "applied" or v["score"] is None:
                    continue
                target = d in SYNTHETIC and r["set"] in ("gan_dev", "diffusion_dev", "photos") or \
                    d in MANIPULATED and r["set"] in ("splicing_dev", "photos")
                if not target:
                    continue
                xs.append(v["score"])
                ys.append(r["label"])
            if len(set(ys)) < 2 or len(xs) < 10:
                continue
            xs = np.asarray(xs, float)
            mu, sd = xs.mean(), xs.std() + 1e-9
            w = fit_logistic(((xs - mu) / sd)[:, None], np.asarray(ys, float), l2=1e-2)
            self.cal[d] = (w[1] / sd, w[0] - w[1] * mu / sd)
        X = self.features(rows)
        y = np.array([r["label"] for r in rows], float)
        self.w = fit_logistic(X, y, l2=l2, nonneg=True)

    def predict(self, rows):
        X = self.features(rows)
        return sigmoid(self.w[0] + X @ self.w[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scores", nargs="+")
    ap.add_argument("--out", help="write the fusion model JSON here")
    ap.add_argument("--report", help="write the cross-validation figures (JSON) here")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--unsure-band", type=float, default=0.15)
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args()

    rows = []
    for path in args.scores:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    for r in rows:
        r["columns"]["file"] = r["file"]
    detectors = sorted({d for r in rows for d, v in r["detectors"].items() if v.get("score") is not None})
    groups = sorted({group_of(r) for r in rows})

    # Leave one group out: out-of-fold fused scores.
    oof = np.zeros(len(rows))
    for g in groups:
        train = [r for r in rows if group_of(r) != g]
        test_idx = [i for i, r in enumerate(rows) if group_of(r) == g]
        m = Model(detectors)
        m.fit(train, l2=args.l2)
        oof[test_idx] = m.predict([rows[i] for i in test_idx])

    flag = args.threshold + args.unsure_band
    report = {"method": "leave-one-group-out", "groups": groups, "flag_threshold": flag, "sets": {}}
    for s in sorted({r["set"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["set"] == s]
        ys = np.array([rows[i]["label"] for i in idx])
        ss = oof[idx]
        # Verdicts decided by rules (provenance, generator metadata) stay flagged.
        ruled = np.array([any(v.get("decision") for v in rows[i]["detectors"].values()) for i in idx])
        flagged = (ss >= flag) | ruled
        entry = {"n": len(idx), "auc": auc(ss, ys), "auc_ci95": bootstrap_auc(ss, ys)}
        npos, nneg = int((ys == 1).sum()), int((ys == 0).sum())
        entry["tpr"] = float(flagged[ys == 1].mean()) if npos else None
        entry["tpr_ci95"] = wilson(int(flagged[ys == 1].sum()), npos)
        entry["fpr"] = float(flagged[ys == 0].mean()) if nneg else None
        entry["fpr_ci95"] = wilson(int(flagged[ys == 0].sum()), nneg)
        entry["unsure"] = float(((ss >= args.threshold - args.unsure_band) & (ss < flag) & ~ruled).mean())
        report["sets"][s] = entry
    print(json.dumps(report, indent=2))

    final = Model(detectors)
    final.fit(rows, l2=args.l2)
    model = {
        "version": "fusion-1",
        "note": "Fitted by tools/train/fit_fusion.py on the ../shared dev sets; see docs/detection.md.",
        "threshold": args.threshold,
        "unsure_band": args.unsure_band,
        "intercept": float(final.w[0]),
        "detectors": {},
    }
    for j, d in enumerate(detectors):
        entry = {"weight": float(final.w[j + 1])}
        if d in final.cal:
            entry["calibration"] = {"a": float(final.cal[d][0]), "b": float(final.cal[d][1])}
        model["detectors"][d] = entry
    if args.out:
        old = {}
        try:
            with open(args.out) as f:
                old = json.load(f)
        except (OSError, ValueError):
            pass
        for d, e in model["detectors"].items():  # keep hand-written fields (reliability, heatmap_weight)
            for k in ("reliability", "heatmap_weight"):
                if k in old.get("detectors", {}).get(d, {}):
                    e[k] = old["detectors"][d][k]
        with open(args.out, "w") as f:
            json.dump(model, f, indent=2)
            f.write("\n")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
