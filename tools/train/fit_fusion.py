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

SYNTHETIC = {"frequency", "npr", "zed"}  # the learned detectors (models/*.onnx) point to synthesis
MANIPULATED = {"jpeg_ghost", "block_grid", "noise", "cfa", "copy_move"}
# metadata votes only through its rules (generator traces): its raw score rides on dataset
# confounds (CASIA's Photoshop tables), so it gets no fitted weight.


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
        w_new = w - np.linalg.solve(H, g)
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
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def bootstrap_auc(s, y, b=2000, seed=1):
    rng = np.random.default_rng(seed)
    s, y = np.asarray(s), np.asarray(y)
    pi, ni = np.where(y == 1)[0], np.where(y == 0)[0]
    if len(pi) == 0 or len(ni) == 0:
        return None
    vals = [auc(np.concatenate([s[rng.choice(pi, len(pi))], s[rng.choice(ni, len(ni))]]),
                np.concatenate([np.ones(len(pi)), np.zeros(len(ni))])) for _ in range(b)]
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
        # Folds by content category (CASIA names: Au_ani_0005, Tp_S_NRN_S_N_ani00018_...): related
        # pictures stay together; NoSo is its own fold.
        name = row["file"].split("/")[-1]
        for cat in ("ani", "arc", "art", "cha", "nat", "pla", "sec", "txt"):
            if cat in name:
                return "splicing_dev:" + cat
        return "splicing_dev:other"
    if s == "photos":  # one group per Debian package family (fit_frequency.py --train-photos alike)
        pkg = cols.get("debian_package", "?").split()[0]
        return "photos:" + ("lomiri" if pkg.startswith("lomiri") else pkg)
    return s


def stem_key(path):
    """'.../biggan/biggan_fake_080.png' -> 'biggan/biggan_fake_080': matches fit_frequency's names."""
    parts = path.replace("\\", "/").split("/")
    tail = "/".join(parts[-2:]) if len(parts) >= 2 else parts[-1]
    return tail.rsplit(".", 1)[0]


def with_oof(rows, overrides):
    """Copies of rows whose detector scores are replaced by out-of-fold ones where known, so that a
    detector fitted on these same files is scored held out in the cross-validation."""
    out = []
    for r in rows:
        c = dict(r)
        c["detectors"] = dict(r["detectors"])
        for det, table in overrides.items():
            v = c["detectors"].get(det)
            key = stem_key(r["file"])
            if v is None or v.get("status") != "applied":
                continue
            hit = table.get(key) if key in table else table.get(key.split("/")[-1])
            if hit is not None:
                c["detectors"][det] = dict(v, score=hit)
        out.append(c)
    return out


def head_rows(rows, head):
    """The rows a head is fitted on: its task's positives and every real picture."""
    out = []
    for r in rows:
        if head == "synthetic":
            if r["set"] == "splicing_dev" and r["label"] == 1:
                continue  # spliced photos are not synthetic
        else:
            if r["set"] in ("gan_dev", "diffusion_dev") and r["label"] == 1:
                continue  # whole generated pictures are not local edits
        out.append(r)
    return out


def applied_score(r, d):
    v = r["detectors"].get(d)
    if v and v["status"] == "applied" and v["score"] is not None:
        return v["score"]
    return None


class Model:
    """Platt calibration per detector, then either one joint logistic head over every detector's
    calibrated logit ("joint", shipped) or two heads, synthesis and manipulation, of which the larger
    probability is the score ("max", the first model)."""

    def __init__(self, detectors, combine="joint"):
        self.heads = {"synthetic": [d for d in detectors if d in SYNTHETIC],
                      "manipulated": [d for d in detectors if d in MANIPULATED]}
        self.combine = combine
        self.cal = {}
        self.w = {}
        self.impute = {}

    def features(self, rows, head):
        """Calibrated logits; a detector that did not apply gets its imputed value (joint head: the
        mean logit over the training rows where it applied, so a missing detector is neutral rather
        than evidence either way; two heads: 0)."""
        dets = self.heads[head] if head != "joint" else self.heads["synthetic"] + self.heads["manipulated"]
        X = np.zeros((len(rows), len(dets)))
        voted = np.zeros(len(rows), bool)
        for j, d in enumerate(dets):
            X[:, j] = self.impute.get(d, 0.0) if head == "joint" else 0.0
        for i, r in enumerate(rows):
            for j, d in enumerate(dets):
                s = applied_score(r, d)
                if s is not None and d in self.cal:
                    a, b = self.cal[d]
                    X[i, j] = float(logit(sigmoid(a * s + b)))
                    voted[i] = True
        return X, voted

    def fit(self, rows, l2=1.0):
        for head, dets in self.heads.items():
            hr = head_rows(rows, head)
            for d in dets:
                pairs = [(applied_score(r, d), r["label"]) for r in hr if applied_score(r, d) is not None]
                ys = [y for _, y in pairs]
                if len(set(ys)) < 2 or len(pairs) < 10:
                    continue
                xs = np.asarray([x for x, _ in pairs], float)
                mu, sd = xs.mean(), xs.std() + 1e-9
                w = fit_logistic(((xs - mu) / sd)[:, None], np.asarray(ys, float), l2=1e-2)
                if w[1] <= 0:
                    continue  # a detector whose score does not rise with the label gets no vote
                self.cal[d] = (w[1] / sd, w[0] - w[1] * mu / sd)
            if self.combine == "max":
                X, _ = self.features(hr, head)
                y = np.array([r["label"] for r in hr], float)
                self.w[head] = fit_logistic(X, y, l2=l2, nonneg=True)
        if self.combine == "joint":
            for d in self.heads["synthetic"] + self.heads["manipulated"]:
                if d in self.cal:
                    a, b = self.cal[d]
                    vals = [float(logit(sigmoid(a * applied_score(r, d) + b))) for r in rows if applied_score(r, d) is not None]
                    self.impute[d] = float(np.mean(vals)) if vals else 0.0
            # Every row: generated pictures and local edits are the positives, every real picture
            # a negative. One model sees how much each detector's evidence is worth on all of them,
            # so a detector that is noise on the other task's pictures cannot swamp it (the two
            # heads' maximum did: splicing AUC 0.65 where the manipulation head alone had 0.86).
            X, _ = self.features(rows, "joint")
            y = np.array([r["label"] for r in rows], float)
            self.w["joint"] = fit_logistic(X, y, l2=l2, nonneg=True)

    def head_probability(self, rows, head):
        X, voted = self.features(rows, head)
        w = self.w[head]
        return sigmoid(w[0] + X @ w[1:]), voted

    def predict(self, rows):
        if self.combine == "joint":
            p, voted = self.head_probability(rows, "joint")
            return np.where(voted, p, 0.0)
        ps, vs = self.head_probability(rows, "synthetic")
        pm, vm = self.head_probability(rows, "manipulated")
        none = ~(vs | vm)
        ps = np.where(vs | none, ps, 0.0)
        pm = np.where(vm | none, pm, 0.0)
        return np.maximum(ps, pm)


def real_rows(rows):
    return [r for r in rows if r["label"] == 0]


def thresholds_from(model, reals, fpr_target, worst_group=True):
    """Flag threshold: the (1 - fpr_target) quantile of real pictures' scores, taken in each group of
    reals (a gan_dev generator's reals, a photo package, CASIA's authentic pictures) and the highest
    of them, so that no kind of real picture is flagged more often than the target; lower edge of
    the unsure band: the median of all reals' scores."""
    scores = model.predict(reals)
    low = float(np.quantile(scores, 0.5))
    if not worst_group:
        return float(np.quantile(scores, 1 - fpr_target)), low
    groups = np.array([group_of(r).split(":")[0] if r["set"] == "gan_dev" else group_of(r) for r in reals])
    flag = max(float(np.quantile(scores[groups == g], 1 - fpr_target)) for g in set(groups))
    return flag, low


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scores", nargs="+")
    ap.add_argument("--out", help="write the fusion model JSON here")
    ap.add_argument("--report", help="write the cross-validation figures (JSON) here")
    ap.add_argument("--fpr-target", type=float, default=0.03,
                    help="share of real pictures allowed above the flag threshold (training folds)")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--combine", choices=["joint", "max"], default="joint",
                    help="one joint head (shipped) or the larger of two heads (the first model)")
    ap.add_argument("--pooled-threshold", action="store_true",
                    help="flag threshold from all reals pooled (the first model's rule) instead of the worst group")
    ap.add_argument("--oof", action="append", default=[], metavar="DETECTOR=TSV",
                    help="out-of-fold raw scores of a detector fitted on these files (fit_frequency.py "
                         "--oof): used in the cross-validation instead of the shipped detector's scores")
    args = ap.parse_args()
    overrides = {}
    for spec in args.oof:
        det, path = spec.split("=", 1)
        table = {}
        with open(path) as f:
            next(f)
            for line in f:
                name, _, score = line.rstrip("\n").split("\t")
                table[name.rsplit(".", 1)[0]] = float(score)
        overrides[det] = table

    rows = []
    for path in args.scores:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    for r in rows:
        r["columns"]["file"] = r["file"]
        if r["set"].startswith("gan_dev"):  # the content crops (tools/data/gan_dev_content.sh)
            r["set"] = "gan_dev"
    detectors = sorted({d for r in rows for d, v in r["detectors"].items() if v.get("score") is not None})
    groups = sorted({group_of(r) for r in rows})

    # Leave one group out: out-of-fold fused scores, and a flag threshold set in each fold from the
    # training rows' real pictures only.
    oof = np.zeros(len(rows))
    oof_flag = np.zeros(len(rows))
    cv_rows = with_oof(rows, overrides)
    n_replaced = sum(1 for a, b in zip(rows, cv_rows) for d in overrides
                     if a["detectors"].get(d) is not b["detectors"].get(d))
    print(f"cross-validation: {n_replaced} detector scores replaced by out-of-fold ones", file=sys.stderr)
    for g in groups:
        train = [r for r in cv_rows if group_of(r) != g]
        test_idx = [i for i, r in enumerate(cv_rows) if group_of(r) == g]
        m = Model(detectors, args.combine)
        m.fit(train, l2=args.l2)
        oof[test_idx] = m.predict([cv_rows[i] for i in test_idx])
        flag, _ = thresholds_from(m, real_rows(train), args.fpr_target, not args.pooled_threshold)
        oof_flag[test_idx] = flag

    report = {"method": "leave-one-group-out; flag threshold per fold from its training reals",
              "groups": groups, "fpr_target": args.fpr_target, "sets": {}}
    for s in sorted({r["set"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["set"] == s]
        ys = np.array([rows[i]["label"] for i in idx])
        ss = oof[idx]
        # Verdicts decided by rules (provenance, generator metadata) stay flagged.
        ruled = np.array([any(v.get("decision") for v in rows[i]["detectors"].values()) for i in idx])
        flagged = (ss >= oof_flag[idx]) | ruled
        entry = {"n": len(idx), "auc": auc(ss, ys), "auc_ci95": bootstrap_auc(ss, ys)}
        npos, nneg = int((ys == 1).sum()), int((ys == 0).sum())
        entry["tpr"] = float(flagged[ys == 1].mean()) if npos else None
        entry["tpr_ci95"] = wilson(int(flagged[ys == 1].sum()), npos)
        entry["fpr"] = float(flagged[ys == 0].mean()) if nneg else None
        entry["fpr_ci95"] = wilson(int(flagged[ys == 0].sum()), nneg)
        report["sets"][s] = entry
        groups_in = sorted({group_of(rows[i]) for i in idx})
        if len(groups_in) > 1:
            entry["groups"] = {}
            for g in groups_in:
                gi = [k for k, i in enumerate(idx) if group_of(rows[i]) == g]
                entry["groups"][g] = {"n": len(gi), "auc": auc(ss[gi], ys[gi]),
                                      "tpr": float(flagged[gi][ys[gi] == 1].mean()) if (ys[gi] == 1).any() else None,
                                      "fpr": float(flagged[gi][ys[gi] == 0].mean()) if (ys[gi] == 0).any() else None}
    # Per head, out of fold, on its own rows (for docs).
    print(json.dumps(report, indent=2))

    final = Model(detectors, args.combine)
    final.fit(rows, l2=args.l2)
    flag, low = thresholds_from(final, real_rows(rows), args.fpr_target, not args.pooled_threshold)
    threshold, band = (flag + low) / 2, (flag - low) / 2
    model = {
        "version": "fusion-2" if args.combine == "joint" else "fusion-1",
        "note": "Fitted by tools/train/fit_fusion.py on the ../shared dev sets; see docs/detection.md.",
        "combine": args.combine,
        "threshold": round(threshold, 4),
        "unsure_band": round(band, 4),
        "heads": {h: {"intercept": float(w[0])} for h, w in final.w.items()},
        "detectors": {},
    }
    for head, dets in final.heads.items():
        for j, d in enumerate(dets):
            if args.combine == "joint":
                weight = final.w["joint"][1 + (final.heads["synthetic"] + final.heads["manipulated"]).index(d)]
            else:
                weight = final.w[head][j + 1]
            entry = {"weight": float(weight)}
            if args.combine == "joint" and d in final.impute:
                entry["impute"] = final.impute[d]
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
        if "pixel_threshold" in old:
            model["pixel_threshold"] = old["pixel_threshold"]
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
