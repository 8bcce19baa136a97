"""Honest cross-validated evaluation of lfcc-gmm and lcnn on the 99 dev clips.

  /usr/bin/python3 tools/train/voice/crossval.py gmm      # trains the GMM folds  (~10 min)
  /usr/bin/python3 tools/train/voice/crossval.py lcnn     # trains the LCNN folds (~25 min)
  /usr/bin/python3 tools/train/voice/crossval.py report   # metrics -> results.json, oof_scores.tsv

Schemes (see results.json "protocol"):
  * real clips are split into folds grouped by source utterance (the two p225 microphones of one take
    are one group; a copy-synthesis fake shares its group with its real recording), round-robin within
    each source dataset: 5 folds for the GMM, 2 for the LCNN;
  * GMM: one model pair per (held-out attack family f, held-out real fold k): trained on the reals
    outside fold k, the dev fakes outside family f, and the synthetic attacks (resyntheses of reals in
    fold k are left out too; TTS clips always in);
  * LCNN: the seven families are held out in two groups, G1 = {hifigan, waveglow, wavefake, espeak-ng},
    G2 = {melgan, wavenet_mol, tacotron2}: one net per (group, real fold) = 4 nets (stricter than
    leave-one-family-out: each net misses three or four families);
  * a fake of family f is scored by the models that held out f (mean over real folds); a real clip in
    fold k is scored, for family f's comparison, by the model (f, k); its pooled score is the mean over f;
  * "synthetic-only": models trained on reals + synthetic attacks only (no dev fake), real folds as
    above, evaluated on every dev fake;
  * test conditions: clean, MP3 64 kbit/s and Opus 16 kbit/s round trips of every test clip (training
    side unchanged).
Nothing is tuned on the test folds: all settings were fixed before the first run."""
import os
import pickle
import sys
import time

import numpy as np
import torch

import common as C
import voicelib as V

torch.set_num_threads(int(os.environ.get("VOICE_THREADS", "2")))
G1 = ["hifigan", "waveglow", "wavefake", "espeak-ng"]
G2 = ["melgan", "wavenet_mol", "tacotron2"]
CONDS = ["clean", "mp3", "opus"]
OUT = os.path.join(C.WORK, "cv")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def setup():
    man = C.read_manifest()
    dev = {r["file"]: r for r in C.dev_labels()}
    f5 = C.real_folds(list(dev.values()), 5)
    f2 = C.real_folds(list(dev.values()), 2)
    info = {}
    for m in man:
        cid = m["id"]
        d = {"label": 1 if m["label"] == "fake" else 0, "group": V.attack_group(m), "is_dev": cid in dev,
             "family": C.family_of(m["attack"]) if cid in dev else "synthetic"}
        if cid in dev:
            src = dev[cid]
        elif m["source_clip"]:
            src = dev[m["source_clip"]]
        else:
            src = None
        d["fold5"] = f5.get(src["group"], -1) if src is not None and src["label"] == "real" else -1
        d["fold2"] = f2.get(src["group"], -1) if src is not None and src["label"] == "real" else -1
        if cid in dev:
            d["source_dataset"] = dev[cid]["source_dataset"]
            d["attack"] = dev[cid]["attack"]
        info[cid] = d
    return man, info


def train_ids(info, heldout_fams, foldkey, k, synthetic_only=False):
    ids = []
    for cid, d in info.items():
        if d[foldkey] == k:                         # held-out reals and their resyntheses
            continue
        if d["is_dev"] and d["label"] == 1 and (synthetic_only or d["family"] in heldout_fams):
            continue
        ids.append(cid)
    return sorted(ids)


def dev_ids(info):
    return sorted(c for c, d in info.items() if d["is_dev"])


def run_gmm(feats, info):
    os.makedirs(OUT, exist_ok=True)
    groups = {c: d["group"] for c, d in info.items()}
    dids = dev_ids(info)
    tv = {c: C.TEST_VERSIONS[c] for c in CONDS}

    def frame_ll(g):
        return {cond: {c: [g.score_samples(x.T[m].astype(np.float64)) if m.any() else np.zeros(0)
                           for x, m in zip(*feats[c][tv[cond]])] for c in dids} for cond in CONDS}

    def clip_scores(llb, lls):
        return {cond: {c: float(np.mean([np.mean(s - b) if len(b) else 0.0
                                         for b, s in zip(llb[cond][c], lls[cond][c])])) for c in dids}
                for cond in CONDS}

    res = {}
    for k in range(5):
        rng = np.random.default_rng(100 + k)
        ids = train_ids(info, [], "fold5", k)
        reals = [c for c in ids if info[c]["label"] == 0]
        gb = V.gmm_fit(V.gmm_frames(feats, reals, rng, 60000, {c: "real" for c in reals}))
        llb = frame_ll(gb)
        log("gmm bona fold", k, len(reals))
        for f in C.FAMILIES + ["synthetic-only"]:
            syn = f == "synthetic-only"
            ids = train_ids(info, [f], "fold5", k, synthetic_only=syn)
            fakes = [c for c in ids if info[c]["label"] == 1]
            gs = V.gmm_fit(V.gmm_frames(feats, fakes, rng, 3000, groups))
            res[(f, k)] = {"scores": clip_scores(llb, frame_ll(gs)), "train": ids}
            log("  gmm spoof", f, k, len(fakes))
    with open(os.path.join(OUT, "gmm.pkl"), "wb") as fh:
        pickle.dump(res, fh)


def run_lcnn(feats, info):
    os.makedirs(OUT, exist_ok=True)
    labels = {c: d["label"] for c, d in info.items()}
    groups = {c: d["group"] for c, d in info.items()}
    dids = dev_ids(info)
    path = os.path.join(OUT, "lcnn.pkl")
    res = pickle.load(open(path, "rb")) if os.path.exists(path) else {}
    for name, fams in [("G1", G1), ("G2", G2), ("synthetic-only", [])]:
        for k in range(2):
            if (name, k) in res:
                continue
            ids = train_ids(info, fams, "fold2", k, synthetic_only=(name == "synthetic-only"))
            log("lcnn", name, k, "train clips", len(ids))
            model, mean, std = V.lcnn_train(feats, ids, labels, groups, seed=7, log=log)
            sc = {cond: {c: float(np.mean(V.lcnn_seg_scores(model, mean, std,
                                                            feats[c][C.TEST_VERSIONS[cond]][0])))
                         for c in dids} for cond in CONDS}
            res[(name, k)] = {"scores": sc, "train": ids}
            with open(path, "wb") as fh:
                pickle.dump(res, fh)


def assemble(info, det):
    """OOF scores: {cond: {"fake": {clip: s}, "real": {family: {clip: s}}, "thr": {family: {clip: t}}}}."""
    res = pickle.load(open(os.path.join(OUT, det + ".pkl"), "rb"))
    dids = dev_ids(info)
    if det == "gmm":
        fold, nf = "fold5", 5
        key = lambda f, k: (f, k)  # noqa: E731
    else:
        fold, nf = "fold2", 2
        key = lambda f, k: ("synthetic-only" if f == "synthetic-only" else ("G1" if f in G1 else "G2"), k)  # noqa
    thr = {}
    for kk, r in res.items():                  # in-sample EER threshold on the model's training dev clips
        tr = [c for c in r["train"] if info[c]["is_dev"]]
        rs = [r["scores"]["clean"][c] for c in tr if info[c]["label"] == 0]
        fs = [r["scores"]["clean"][c] for c in tr if info[c]["label"] == 1]
        thr[kk] = V.eer(rs, fs)[1] if fs else float(np.percentile(rs, 95))
    out = {}
    for cond in CONDS:
        o = {"fake": {}, "real": {}, "thr": {}, "fake_syn": {}, "real_syn": {}, "thr_syn": {}}
        for c in dids:
            d = info[c]
            if d["label"] == 1:
                o["fake"][c] = float(np.mean([res[key(d["family"], k)]["scores"][cond][c] for k in range(nf)]))
                o["fake_syn"][c] = float(np.mean([res[key("synthetic-only", k)]["scores"][cond][c]
                                                  for k in range(nf)]))
            else:
                k = d[fold]
                for f in C.FAMILIES:
                    o["real"].setdefault(f, {})[c] = res[key(f, k)]["scores"][cond][c]
                    o["thr"].setdefault(f, {})[c] = thr[key(f, k)]
                o["real_syn"][c] = res[key("synthetic-only", k)]["scores"][cond][c]
                o["thr_syn"][c] = thr[key("synthetic-only", k)]
        out[cond] = o
    return out


def report(info):
    import json
    dids = dev_ids(info)
    reals = [c for c in dids if info[c]["label"] == 0]
    results = {"protocol": __doc__.split("Schemes")[1].split("Nothing")[0].strip(),
               "bootstrap": "2000 resamples of clips (reals and each family's fakes separately), seed 0, "
                            "percentile 95% CI", "detectors": {}}
    rows = []
    for det in ["gmm", "lcnn"]:
        if not os.path.exists(os.path.join(OUT, det + ".pkl")):
            continue
        if len(pickle.load(open(os.path.join(OUT, det + ".pkl"), "rb"))) < (40 if det == "gmm" else 6):
            print(det, "incomplete, skipped")
            continue
        name = {"gmm": "lfcc-gmm", "lcnn": "lcnn"}[det]
        oof = assemble(info, det)
        R = {}
        for cond in CONDS:
            o = oof[cond]
            fam_fakes = {f: np.array([o["fake"][c] for c in dids if info[c]["family"] == f]) for f in C.FAMILIES}
            real_by_f = {f: np.array([o["real"][f][c] for c in reals]) for f in C.FAMILIES}
            per = {}
            for f in C.FAMILIES:
                r, fk = real_by_f[f], fam_fakes[f]
                per[f] = {"n_fake": len(fk), "eer": V.eer(r, fk)[0],
                          "eer_ci": V.boot(lambda a, b: V.eer(a, b[0])[0], r, [fk]),
                          "auc": V.auc(r, fk), "auc_ci": V.boot(lambda a, b: V.auc(a, b[0]), r, [fk]),
                          "miss_rate_at_train_thr": float(np.mean(
                              [o["fake"][c] < np.mean([o["thr"][f][x] for x in reals])
                               for c in dids if info[c]["family"] == f]))}
            cr = {}
            for tag, fams in [("all", C.FAMILIES), ("without_espeak-ng", C.FAMILIES[:-1])]:
                realm = np.stack([real_by_f[f] for f in fams])       # fams x reals (same real order)
                fk = [fam_fakes[f] for f in fams]

                def avg_eer(rm, fl):
                    return float(np.mean([V.eer(rm[i], fl[i])[0] for i in range(len(fl))]))

                def avg_auc(rm, fl):
                    return float(np.mean([V.auc(rm[i], fl[i]) for i in range(len(fl))]))
                pooled_r = realm.mean(0)
                pooled_f = np.concatenate(fk)
                cr[tag] = {"loao_mean_eer": avg_eer(realm, fk), "loao_mean_eer_ci": V.boot(avg_eer, realm, fk),
                           "loao_mean_auc": avg_auc(realm, fk), "loao_mean_auc_ci": V.boot(avg_auc, realm, fk),
                           "pooled_eer": V.eer(pooled_r, pooled_f)[0],
                           "pooled_eer_ci": V.boot(lambda a, b: V.eer(a, b[0])[0], pooled_r, [pooled_f]),
                           "pooled_auc": V.auc(pooled_r, pooled_f),
                           "pooled_auc_ci": V.boot(lambda a, b: V.auc(a, b[0]), pooled_r, [pooled_f])}
            # false positives per real source at the thresholds chosen on each model's training clips
            fp = {}
            for c in reals:
                sd = info[c]["source_dataset"]
                fp.setdefault(sd, []).append(np.mean([o["real"][f][c] >= o["thr"][f][c] for f in C.FAMILIES]))
            fpr = {sd: {"n": len(v), "fpr": float(np.mean(v))} for sd, v in sorted(fp.items())}
            # synthetic-only models
            rs = np.array([o["real_syn"][c] for c in reals])
            syn = {}
            for f in C.FAMILIES + ["all", "without_espeak-ng"]:
                fams = C.FAMILIES if f == "all" else (C.FAMILIES[:-1] if f == "without_espeak-ng" else [f])
                fk = np.array([o["fake_syn"][c] for c in dids if info[c]["label"] == 1 and info[c]["family"] in fams])
                syn[f] = {"n_fake": len(fk), "eer": V.eer(rs, fk)[0],
                          "eer_ci": V.boot(lambda a, b: V.eer(a, b[0])[0], rs, [fk]),
                          "auc": V.auc(rs, fk), "auc_ci": V.boot(lambda a, b: V.auc(a, b[0]), rs, [fk])}
            fps = {}
            for c in reals:
                fps.setdefault(info[c]["source_dataset"], []).append(o["real_syn"][c] >= o["thr_syn"][c])
            R[cond] = {"per_family": per, "overall": cr, "real_fpr_by_source": fpr, "synthetic_only": syn,
                       "synthetic_only_real_fpr_by_source": {sd: {"n": len(v), "fpr": float(np.mean(v))}
                                                             for sd, v in sorted(fps.items())}}
            for c in dids:
                d = info[c]
                if d["label"] == 1:
                    rows.append((c, "fake", d["attack"], name, cond, d["family"], o["fake"][c]))
                    rows.append((c, "fake", d["attack"], name, cond, "synthetic-only", o["fake_syn"][c]))
                else:
                    for f in C.FAMILIES:
                        rows.append((c, "real", d["attack"], name, cond, f, o["real"][f][c]))
                    rows.append((c, "real", d["attack"], name, cond, "pooled",
                                 float(np.mean([o["real"][f][c] for f in C.FAMILIES]))))
                    rows.append((c, "real", d["attack"], name, cond, "synthetic-only", o["real_syn"][c]))
        results["detectors"][name] = R
    V.write_json(os.path.join(C.HERE, "results.json"), results)
    with open(os.path.join(C.HERE, "oof_scores.tsv"), "w") as fh:
        fh.write("file\tlabel\tattack\tdetector\tcondition\tmodel\tscore\n")
        for r in rows:
            fh.write("%s\t%s\t%s\t%s\t%s\t%s\t%.5f\n" % r)
    # console table
    for name, R in results["detectors"].items():
        for cond in CONDS:
            per = R[cond]["per_family"]
            print(name, cond, " ".join("%s=%.1f%%/%.3f" % (f, 100 * per[f]["eer"], per[f]["auc"]) for f in per))
            for tag, v in R[cond]["overall"].items():
                print("   %s LOAO mean EER %.1f%% [%.1f, %.1f] AUC %.3f; pooled EER %.1f%% AUC %.3f" % (
                    tag, 100 * v["loao_mean_eer"], 100 * v["loao_mean_eer_ci"][0], 100 * v["loao_mean_eer_ci"][1],
                    v["loao_mean_auc"], 100 * v["pooled_eer"], v["pooled_auc"]))
            s = R[cond]["synthetic_only"]
            print("   synthetic-only: all EER %.1f%% AUC %.3f; w/o espeak EER %.1f%% AUC %.3f" % (
                100 * s["all"]["eer"], s["all"]["auc"], 100 * s["without_espeak-ng"]["eer"],
                s["without_espeak-ng"]["auc"]))
            print("   real FPR by source:", json.dumps({k[:30]: round(v["fpr"], 2) for k, v in R[cond]["real_fpr_by_source"].items()}))


def main():
    man, info = setup()
    what = sys.argv[1]
    if what == "report":
        report(info)
        return
    feats = V.load_feats()
    log("features loaded", len(feats))
    if what == "gmm":
        run_gmm(feats, info)
    elif what == "lcnn":
        run_lcnn(feats, info)


if __name__ == "__main__":
    main()
