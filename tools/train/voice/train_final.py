"""Trains the shipped voice models on all 99 dev clips + the synthetic attacks and exports them.

  /usr/bin/python3 tools/train/voice/make_data.py     # once: synthetic data + codec round trips
  /usr/bin/python3 tools/train/voice/voicelib.py      # once: feature cache (/tmp/voice/feats)
  /usr/bin/python3 tools/train/voice/train_final.py [gmm|lcnn|all]

Writes models/voice/lfcc-gmm.json, models/voice/lcnn.onnx, lcnn.json, lcnn.parity.json and
tools/train/voice/insample_scores.tsv (in-sample dev scores: a sanity check only, not an estimate)."""
import json
import os
import sys

import numpy as np
import torch

import common as C
import features
import lcnn_model
import voicelib as V

torch.set_num_threads(int(os.environ.get("VOICE_THREADS", "2")))
MODELS = os.path.join(C.ROOT, "models", "voice")


def gmm_loglik_np(cls, x):
    """Full-mixture log-likelihood per frame, written out as the C++ side computes it."""
    w = np.array(cls["weights"])
    mu = np.array(cls["means"])
    var = np.array(cls["variances"])
    d = x.shape[1]
    comp = (np.log(w)[None, :] - 0.5 * (d * np.log(2 * np.pi) + np.sum(np.log(var), 1))[None, :]
            - 0.5 * np.sum((x[:, None, :] - mu[None]) ** 2 / var[None], 2))
    m = comp.max(1, keepdims=True)
    return (m + np.log(np.exp(comp - m).sum(1, keepdims=True)))[:, 0]


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    os.makedirs(MODELS, exist_ok=True)
    man = C.read_manifest()
    dev = {r["file"]: r for r in C.dev_labels()}
    feats = V.load_feats()
    labels = {m["id"]: 1 if m["label"] == "fake" else 0 for m in man}
    groups = {m["id"]: V.attack_group(m) for m in man}
    ids = sorted(labels)
    seg = features.segments(features.parity_waveform(16000))[0]
    rows = []
    if what in ("gmm", "all"):
        rng = np.random.default_rng(99)
        reals = [c for c in ids if labels[c] == 0]
        fakes = [c for c in ids if labels[c] == 1]
        gb = V.gmm_fit(V.gmm_frames(feats, reals, rng, 60000, {c: "real" for c in reals}))
        gs = V.gmm_fit(V.gmm_frames(feats, fakes, rng, 3000, groups))
        js = V.gmm_json(gb, gs)
        X = features.lfcc60(seg)[None]
        M = features.speech_mask(seg)[None]
        s_sk = float(V.gmm_seg_scores(gb, gs, X, M)[0])
        fr = X[0].T[M[0]].astype(np.float64)
        s_np = float(np.mean(gmm_loglik_np(js["classes"]["spoof"], fr) - gmm_loglik_np(js["classes"]["bonafide"], fr)))
        assert abs(s_sk - s_np) < 1e-6, (s_sk, s_np)
        js["parity"] = {"waveform": "features.parity_waveform(16000) tiled to 64000 samples by segments()",
                        "speech_frames": int(M[0].sum()), "segment_score": s_np}
        js["score"] = ("mean over speech_mask() frames of log p_spoof(x) - log p_bonafide(x) (full diagonal "
                       "mixtures, logsumexp over components); 0 when a segment has no speech frame; higher = spoof")
        with open(os.path.join(MODELS, "lfcc-gmm.json"), "w") as f:
            json.dump(js, f, separators=(",", ":"))
        print("gmm parity score", s_np)
        for c in dev:
            X, M = feats[c]["clean"]
            rows.append((c, dev[c]["label"], dev[c]["attack"], "lfcc-gmm", float(np.mean(V.gmm_seg_scores(gb, gs, X, M)))))
    if what in ("lcnn", "all"):
        model, mean, std = V.lcnn_train(feats, ids, labels, groups, seed=7, log=print)
        path = os.path.join(MODELS, "lcnn.onnx")
        lcnn_model.export_onnx(model, path)
        with torch.no_grad():
            t = float(model(lcnn_model.tensor_test_input())[0, 0])
        a = float(V.lcnn_seg_scores(model, mean, std, features.lfcc60(seg)[None])[0])
        with open(os.path.join(MODELS, "lcnn.json"), "w") as f:
            json.dump({"name": "lcnn", "version": "1", "features": "lfcc60", "frames": 401,
                       "mean": [float(v) for v in mean], "std": [float(v) for v in std],
                       "normalisation": "input[0][0][y][x] = (lfcc60[y][x] - mean[y]) / std[y]",
                       "output": {"kind": "logit", "index": 0},
                       "score": "segment score = the logit; clip score = mean over segments; higher = spoof",
                       "parameters": lcnn_model.n_params(model)}, f, indent=1)
        with open(os.path.join(MODELS, "lcnn.parity.json"), "w") as f:
            json.dump({"tensor_test": {"shape": [1, 1, 60, 401],
                                       "input": "T[0][0][y][x] = sin(0.01*(x+1) + 0.02*(y+1)), no normalisation",
                                       "output": [t]},
                       "audio_test": {"waveform": "segments(features.parity_waveform(16000))[0], lfcc60, "
                                                  "normalised with lcnn.json mean/std",
                                      "segment_score": a}}, f, indent=1)
        print("lcnn tensor_test", t, "audio_test", a, "params", lcnn_model.n_params(model),
              "onnx bytes", os.path.getsize(path))
        for c in dev:
            rows.append((c, dev[c]["label"], dev[c]["attack"], "lcnn",
                         float(np.mean(V.lcnn_seg_scores(model, mean, std, feats[c]["clean"][0])))))
    p = os.path.join(C.HERE, "insample_scores.tsv")
    old = []
    if os.path.exists(p):
        done = {r[3] for r in rows}
        old = [l.rstrip("\n").split("\t") for l in open(p)][1:]
        old = [l for l in old if l[3] not in done]
    with open(p, "w") as f:
        f.write("file\tlabel\tattack\tdetector\tscore_in_sample\n")
        for r in old:
            f.write("\t".join(r) + "\n")
        for r in rows:
            f.write("%s\t%s\t%s\t%s\t%.5f\n" % r)
    for det in sorted({r[3] for r in rows}):
        rr = [r[4] for r in rows if r[3] == det and r[1] == "real"]
        ff = [r[4] for r in rows if r[3] == det and r[1] == "fake"]
        print(det, "in-sample EER %.3f AUC %.3f" % (V.eer(rr, ff)[0], V.auc(rr, ff)))


if __name__ == "__main__":
    main()
