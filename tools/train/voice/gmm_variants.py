"""Channel-normalisation variants of the cross-validated LFCC-GMM (crossval.py's GMM protocol, unchanged).

  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 VOICE_THREADS=1 \
    nohup /usr/bin/python3 tools/train/voice/gmm_variants.py run > /tmp/voice/variants/run.log 2>&1 &
  /usr/bin/python3 tools/train/voice/gmm_variants.py collate     # only re-collates finished variants

Variants (frame transform applied to every cached segment, training versions and test conditions alike;
the speech mask and the frame selection are those of features.speech_mask, unchanged):
  A  baseline: re-read from results.json (not recomputed);
  B  cepstral mean subtraction: each of the 60 rows minus its mean over the segment's speech frames;
  C  mean and variance normalisation: as B, then divided by the row's std over the same frames;
  D  B without c0 and its deltas (rows 0, 20, 40 dropped: 57 dims).
Everything else is crossval.py's: real folds, leave-one-family-out, synthetic attacks in training,
clean/mp3/opus test conditions, GMM settings (32 diag components, seed 0, per-fold rng 100 + k, frame
caps), thresholds, metrics and bootstrap (crossval.report, pointed at /tmp/voice/variants/<V>/).
The (variant, fold) jobs run in two single-threaded worker processes; per-fold results are cached
under /tmp/voice/variants/<V>/fold<k>.pkl, so a rerun resumes. No model is written."""
import json
import os
import pickle
import sys
import time
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import crossval as CV  # noqa: E402
import voicelib as V  # noqa: E402

VAR_DIR = os.path.join(C.WORK, "variants")
VARIANTS = {"B": "cepstral mean subtraction per segment (speech frames), 60 dims",
            "C": "mean and variance normalisation per segment (speech frames), 60 dims",
            "D": "cepstral mean subtraction per segment (speech frames), c0 and its deltas dropped, 57 dims"}
KEEP_D = [i for i in range(60) if i not in (0, 20, 40)]
FEATS = None            # variant -> transformed feature dict (built in the parent, inherited by fork)
INFO = None


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def _norm(X, M, variant):
    """X: n x 60 x T (float16), M: n x T bool -> n x d x T float32."""
    Xf = X.astype(np.float32)
    m = M[:, None, :].astype(np.float32)
    cnt = np.maximum(M.sum(1), 1).astype(np.float32)[:, None]               # n x 1
    mean = (Xf * m).sum(2) / cnt                                            # n x 60
    Y = Xf - mean[:, :, None]
    if variant == "C":
        var = ((Y ** 2) * m).sum(2) / cnt
        Y = Y / (np.sqrt(var) + 1e-5)[:, :, None]
    if variant == "D":
        Y = Y[:, KEEP_D, :]
    return np.ascontiguousarray(Y, dtype=np.float32)


def transform(feats, variant):
    return {cid: {v: (_norm(X, M, variant), M) for v, (X, M) in d.items()} for cid, d in feats.items()}


def fold_job(variant, k):
    """crossval.run_gmm for one real fold k (same code path: same rng, frame caps, fits, scoring)."""
    path = os.path.join(VAR_DIR, variant, "fold%d.pkl" % k)
    if os.path.exists(path):
        return variant, k, "cached"
    feats, info = FEATS[variant], INFO
    groups = {c: d["group"] for c, d in info.items()}
    dids = CV.dev_ids(info)
    tv = {c: C.TEST_VERSIONS[c] for c in CV.CONDS}

    def frame_ll(g):
        return {cond: {c: [g.score_samples(x.T[m].astype(np.float64)) if m.any() else np.zeros(0)
                           for x, m in zip(*feats[c][tv[cond]])] for c in dids} for cond in CV.CONDS}

    def clip_scores(llb, lls):
        return {cond: {c: float(np.mean([np.mean(s - b) if len(b) else 0.0
                                         for b, s in zip(llb[cond][c], lls[cond][c])])) for c in dids}
                for cond in CV.CONDS}

    t0 = time.time()
    res = {}
    rng = np.random.default_rng(100 + k)
    ids = CV.train_ids(info, [], "fold5", k)
    reals = [c for c in ids if info[c]["label"] == 0]
    gb = V.gmm_fit(V.gmm_frames(feats, reals, rng, 60000, {c: "real" for c in reals}))
    llb = frame_ll(gb)
    log(variant, "gmm bona fold", k, len(reals))
    for f in C.FAMILIES + ["synthetic-only"]:
        syn = f == "synthetic-only"
        ids = CV.train_ids(info, [f], "fold5", k, synthetic_only=syn)
        fakes = [c for c in ids if info[c]["label"] == 1]
        gs = V.gmm_fit(V.gmm_frames(feats, fakes, rng, 3000, groups))
        res[(f, k)] = {"scores": clip_scores(llb, frame_ll(gs)), "train": ids}
        log(variant, "  gmm spoof", f, k, len(fakes))
    with open(path + ".tmp", "wb") as fh:
        pickle.dump(res, fh)
    os.replace(path + ".tmp", path)
    return variant, k, "%.0f s" % (time.time() - t0)


def report_job(variant):
    """Merge the five folds into <V>/gmm.pkl and run crossval.report with its outputs redirected to <V>/."""
    d = os.path.join(VAR_DIR, variant)
    res = {}
    for k in range(5):
        res.update(pickle.load(open(os.path.join(d, "fold%d.pkl" % k), "rb")))
    with open(os.path.join(d, "gmm.pkl"), "wb") as fh:
        pickle.dump(res, fh)
    CV.OUT = d                      # crossval.assemble reads OUT/gmm.pkl
    C.HERE = d                      # crossval.report writes HERE/results.json and HERE/oof_scores.tsv
    CV.report(INFO)
    return variant, "report", "done"


def _summary(R):
    out = {}
    for cond in CV.CONDS:
        o = R[cond]["overall"]
        out[cond] = {"loao_mean_eer": o["all"]["loao_mean_eer"], "loao_mean_eer_ci": o["all"]["loao_mean_eer_ci"],
                     "loao_mean_auc": o["all"]["loao_mean_auc"], "loao_mean_auc_ci": o["all"]["loao_mean_auc_ci"],
                     "without_espeak-ng_loao_mean_eer": o["without_espeak-ng"]["loao_mean_eer"],
                     "without_espeak-ng_loao_mean_eer_ci": o["without_espeak-ng"]["loao_mean_eer_ci"],
                     "without_espeak-ng_loao_mean_auc": o["without_espeak-ng"]["loao_mean_auc"],
                     "pooled_eer": o["all"]["pooled_eer"], "pooled_auc": o["all"]["pooled_auc"],
                     "per_family_eer": {f: v["eer"] for f, v in R[cond]["per_family"].items()},
                     "per_family_auc": {f: v["auc"] for f, v in R[cond]["per_family"].items()},
                     "real_fpr_by_source": R[cond]["real_fpr_by_source"],
                     "synthetic_only": {t: {"eer": R[cond]["synthetic_only"][t]["eer"],
                                            "auc": R[cond]["synthetic_only"][t]["auc"]}
                                        for t in ["all", "without_espeak-ng"]},
                     "synthetic_only_real_fpr_by_source": R[cond]["synthetic_only_real_fpr_by_source"]}
    return out


def collate():
    base = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")))
    out = {"description": __doc__.split("Variants")[1].split("No model")[0].strip(),
           "protocol": base["protocol"], "bootstrap": base["bootstrap"],
           "variants": {"A": {"description": "baseline LFCC-GMM as is (re-read from results.json)", "status": "done",
                              "summary": _summary(base["detectors"]["lfcc-gmm"])}}}
    for v, desc in VARIANTS.items():
        p = os.path.join(VAR_DIR, v, "results.json")
        done = [k for k in range(5) if os.path.exists(os.path.join(VAR_DIR, v, "fold%d.pkl" % k))]
        if os.path.exists(p):
            R = json.load(open(p))["detectors"]["lfcc-gmm"]
            out["variants"][v] = {"description": desc, "status": "done", "summary": _summary(R), "full": R}
        else:
            out["variants"][v] = {"description": desc, "status": "incomplete: real folds done %s of 5" % done}
    V.write_json(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results_gmm_variants.json"), out)
    for v, r in out["variants"].items():
        if "summary" not in r:
            print(v, r["status"])
            continue
        s = r["summary"]
        print("%s EER %.1f%% [%.1f, %.1f] AUC %.3f | w/o espeak %.1f%% AUC %.3f | mp3 %.1f%% AUC %.3f | opus %.1f%% "
              "AUC %.3f" % (v, 100 * s["clean"]["loao_mean_eer"], 100 * s["clean"]["loao_mean_eer_ci"][0],
                            100 * s["clean"]["loao_mean_eer_ci"][1], s["clean"]["loao_mean_auc"],
                            100 * s["clean"]["without_espeak-ng_loao_mean_eer"],
                            s["clean"]["without_espeak-ng_loao_mean_auc"], 100 * s["mp3"]["loao_mean_eer"],
                            s["mp3"]["loao_mean_auc"], 100 * s["opus"]["loao_mean_eer"], s["opus"]["loao_mean_auc"]))


def run(variants):
    global FEATS, INFO
    _, INFO = CV.setup()
    raw = V.load_feats()
    log("features loaded", len(raw))
    FEATS = {}
    for v in variants:
        os.makedirs(os.path.join(VAR_DIR, v), exist_ok=True)
        FEATS[v] = transform(raw, v)
        log("variant", v, "features transformed")
    del raw
    # fold jobs in priority order (B first); a variant's report job jumps the queue once its folds are done
    pending = [(v, k) for v in variants for k in range(5)]
    todo_reports, running, done_folds = [], [], {v: set() for v in variants}
    with Pool(2) as pool:
        while pending or todo_reports or running:
            while len(running) < 2 and (todo_reports or pending):
                if todo_reports:
                    v = todo_reports.pop(0)
                    running.append(pool.apply_async(report_job, (v,)))
                else:
                    running.append(pool.apply_async(fold_job, pending.pop(0)))
            time.sleep(2)
            for r in [r for r in running if r.ready()]:
                running.remove(r)
                v, k, msg = r.get()
                log("finished", v, k, msg)
                if k == "report":
                    collate()
                else:
                    done_folds[v].add(k)
                    if len(done_folds[v]) == 5:
                        todo_reports.append(v)
    collate()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "run"
    if what == "collate":
        collate()
    else:
        run(sys.argv[2].split(",") if len(sys.argv) > 2 else list(VARIANTS))


if __name__ == "__main__":
    main()
