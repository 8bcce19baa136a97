"""Leave-one-group-out evaluation of the NPR-style detector.

10 folds = the 10 gan_dev generator groups (a fold holds out that group's reals AND fakes).
Photos: each Debian package family is attached to one fold (held out there, so every photo is
scored by a model that never saw its package). splicing_dev authentic pictures are spread
round-robin over the folds. diffusion_dev is never trained on; each file is scored by one fold
model (round-robin), so every figure is out of fold. Simulated fakes are made on the fly from the
fold's training reals only.

Writes /tmp/npr_oof.tsv (file, group, oof_score) and /tmp/npr_logo.json (all scores and figures).
Usage: nice -n 10 /usr/bin/python3 tools/train/npr/logo_eval.py [--steps 500] [--seed 1234]
"""
import argparse
import json
import pickle
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (contract_crops, jpeg, load_all, load_diffusion, resize_area,  # noqa: E402
                    score_image)
from train import train_model  # noqa: E402

torch.set_num_threads(1)

PHOTO_FOLD = {"photos:lomiri": "biggan", "photos:mate-backgrounds": "gaugan",
              "photos:plasma-workspace-wallpapers": "stylegan"}
CONDS = ("orig", "jpeg75", "resize50")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def auc_mw(pos, neg):
    """AUC as the Mann-Whitney probability P(fake score > real score), ties count 1/2."""
    d = pos[:, None] - neg[None, :]
    return float((d > 0).mean() + 0.5 * (d == 0).mean())


def boot_auc(y, s, reps=2000, seed=0):
    """AUC with a 95% percentile bootstrap CI (fakes and reals resampled separately)."""
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    ok = ~np.isnan(s)
    y, s = y[ok], s[ok]
    if len(set(y.tolist())) < 2:
        return float("nan"), float("nan"), float("nan"), int(len(y))
    pos, neg = s[y == 1], s[y == 0]
    auc = auc_mw(pos, neg)
    rng = np.random.default_rng(seed)
    vals = [auc_mw(rng.choice(pos, len(pos)), rng.choice(neg, len(neg))) for _ in range(reps)]
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(auc), float(lo), float(hi), int(len(y))


def variants(img):
    return {"orig": img, "jpeg75": jpeg(img, 75), "resize50": resize_area(img, 0.5)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default="/tmp/npr_logo.json")
    ap.add_argument("--oof", default="/tmp/npr_oof.tsv")
    ap.add_argument("--residual", choices=("npr", "haar"), default="npr",
                    help="fixed first stage: NPR cell residual (v1) or Haar detail bands")
    ap.add_argument("--crop", type=int, default=64, help="training crop size in pixels")
    ap.add_argument("--upscale", action="store_true",
                    help="also enlarge some training pictures (both classes) by 1.05-1.5")
    ap.add_argument("--report-only", action="store_true",
                    help="recompute figures from <out>.scores.pkl of a previous run")
    args = ap.parse_args()
    raw = args.out + ".scores.pkl"
    if args.report_only:
        with open(raw, "rb") as f:
            items, diff, groups = pickle.load(f)
        return report(args, items, diff, groups)

    items = load_all()
    diff = load_diffusion()
    groups = sorted({it["group"] for it in items if it["set"] == "gan_dev"})
    sp = 0
    for it in items:
        if it["set"] == "gan_dev":
            it["fold"] = it["group"]
        elif it["set"] == "photos":
            it["fold"] = PHOTO_FOLD[it["group"]]
        else:
            it["fold"] = groups[sp % len(groups)]
            sp += 1
    for i, it in enumerate(diff):
        it["fold"] = groups[i % len(groups)]
    log("precomputing test variants")
    for it in items + diff:
        it["var"] = variants(it["img"])

    t_all = time.time()
    for fi, g in enumerate(groups):
        t0 = time.time()
        tr = [it for it in items if it["fold"] != g]
        te = [it for it in items if it["fold"] == g] + [it for it in diff if it["fold"] == g]
        log(f"fold {fi} hold out {g}: train {len(tr)} test {len(te)}")
        net = train_model(tr, args.steps, args.seed + fi, log=log, residual=args.residual,
                          crop=args.crop, upscale=args.upscale)
        for it in te:
            it["score"] = {c: score_image(net, it["var"][c])[0] for c in CONDS}
        tr_real = [score_image(net, it["img"])[0] for it in tr if it["label"] == 0]
        thr = float(np.nanpercentile(tr_real, 95))
        for it in te:
            it["thr"] = thr
        log(f"fold {g} done in {time.time() - t0:.0f}s, thr95(train reals)={thr:.3f}")
    log(f"LOGO total {time.time() - t_all:.0f}s")
    for it in items + diff:
        it.pop("var", None)
        it.pop("img", None)
    with open(raw, "wb") as f:
        pickle.dump((items, diff, groups), f)
    report(args, items, diff, groups)


def report(args, items, diff, groups):

    res = {"steps": args.steps, "seed": args.seed, "residual": getattr(args, "residual", "npr"),
           "crop": getattr(args, "crop", 64), "upscale": getattr(args, "upscale", False), "per_group": {}, "figures": {}}
    for c in CONDS:
        fig = {}
        for g in groups:
            sel = [it for it in items if it["set"] == "gan_dev" and it["group"] == g]
            fig[g] = boot_auc([it["label"] for it in sel], [it["score"][c] for it in sel])
        sel = [it for it in items if it["set"] == "gan_dev"]
        fig["gan_dev_pooled"] = boot_auc([it["label"] for it in sel], [it["score"][c] for it in sel])
        reals = [it for it in items if it["label"] == 0]
        for name, fakes in [("diffusion_all", diff)] + [
                (d, [it for it in diff if it["group"] == d])
                for d in sorted({it["group"] for it in diff})]:
            fig[name + "_vs_dev_reals"] = boot_auc([0] * len(reals) + [1] * len(fakes),
                                                   [it["score"][c] for it in reals + fakes])
        for name, rs in [("photos", [it for it in items if it["set"] == "photos"]),
                         ("splicing_authentic", [it for it in items if it["set"] == "splicing_dev"]),
                         ("gan_dev_reals", [it for it in items if it["set"] == "gan_dev" and it["label"] == 0])]:
            fig["diffusion_vs_" + name] = boot_auc([0] * len(rs) + [1] * len(diff),
                                                   [it["score"][c] for it in rs + diff])
        d_ok = [it for it in diff if not np.isnan(it["score"][c])]
        fig["diffusion_tpr_at_thr95"] = [sum(it["score"][c] > it["thr"] for it in d_ok), len(d_ok)]
        ph = [it for it in items if it["set"] == "photos"]
        fig["photos_fp_at_thr95"] = [sum(it["score"][c] > it["thr"] for it in ph), len(ph)]
        spl = [it for it in items if it["set"] == "splicing_dev"]
        fig["splicing_authentic_fp_at_thr95"] = [sum(it["score"][c] > it["thr"] for it in spl), len(spl)]
        gr = [it for it in items if it["set"] == "gan_dev" and it["label"] == 0]
        gf = [it for it in items if it["set"] == "gan_dev" and it["label"] == 1]
        fig["gan_dev_reals_fp_at_thr95"] = [sum(it["score"][c] > it["thr"] for it in gr), len(gr)]
        fig["gan_dev_fakes_tpr_at_thr95"] = [sum(it["score"][c] > it["thr"] for it in gf), len(gf)]
        res["figures"][c] = fig
    res["thresholds"] = {g: next(it["thr"] for it in items if it["fold"] == g) for g in groups}
    res["scores"] = [{"set": it["set"], "file": it["file"], "group": it["group"], "label": it["label"],
                      "fold": it["fold"], "thr": it["thr"], **{c: it["score"][c] for c in CONDS}}
                     for it in items + diff]
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    with open(args.oof, "w") as f:
        f.write("file\tgroup\toof_score\n")
        for it in items + diff:
            f.write(f"{it['file']}\t{it['group']}\t{it['score']['orig']:.6f}\n")
    for c in CONDS:
        print(f"== {c}")
        for k, v in res["figures"][c].items():
            if isinstance(v, (list, tuple)) and len(v) == 4:
                print(f"  {k:40s} AUC {v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}] n={v[3]}")
            else:
                print(f"  {k:40s} {v[0]}/{v[1]}")


if __name__ == "__main__":
    main()
