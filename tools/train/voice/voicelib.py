"""Feature cache, the two detectors' training/scoring, and the metrics (used by crossval.py and
train_final.py). Feature definitions come only from features.py."""
import json
import os
import pickle
import time
from multiprocessing import Pool

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

import common as C
import features
import lcnn_model

FEATS = os.path.join(C.WORK, "feats")


# ---------------------------------------------------------------- feature cache
def _augment(x, rng, p_noise):
    """Small gain change (+-2 dB) and, with probability p_noise, coloured noise at 20-40 dB SNR
    relative to the active-speech RMS (-20 dBFS after alignment)."""
    x = x.astype(np.float64) * 10 ** (rng.uniform(-2.0, 2.0) / 20)
    if rng.random() < p_noise:
        n = rng.standard_normal(len(x))
        a = rng.uniform(0.0, 0.95)                       # one-pole colouring: white .. brownish
        n = np.asarray(__import__("scipy.signal", fromlist=["lfilter"]).lfilter([1.0], [1.0, -a], n))
        n /= np.sqrt(np.mean(n ** 2)) + 1e-12
        snr = rng.uniform(20.0, 40.0)
        x = x + n * 10 ** ((-20.0 - snr) / 20)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def _clip_feats(job):
    i, cid, path, is_dev = job
    torch.set_num_threads(1)
    rng = np.random.default_rng(12345 + i)
    out = {}
    srcs = {"clean": path, "noise": path}
    for codec in C.CODECS:
        srcs[codec] = os.path.join(C.DATA, "rt", codec, cid + ".wav")
    for v in C.TRAIN_VERSIONS:
        x = C.load(srcs[v])
        if v == "noise":
            x = _augment(x, rng, 1.0)
        elif v != "clean":
            if is_dev and v in ("mp3", "opus"):
                out[v + "t"] = _seg_feats(x)            # the plain round trip: the test condition
            x = _augment(x, rng, 0.3)
        out[v] = _seg_feats(x)
    return cid, out


def _seg_feats(x):
    segs = features.segments(x)
    X = np.stack([features.lfcc60(s) for s in segs]).astype(np.float16)
    M = np.stack([features.speech_mask(s) for s in segs])
    return X, M


def build_feats():
    man = C.read_manifest()
    jobs = [(i, m["id"], m["path"], m["path"].startswith(C.DEV)) for i, m in enumerate(man)]
    os.makedirs(FEATS, exist_ok=True)
    t = time.time()
    with Pool(2) as pool:
        res = dict(pool.imap(_clip_feats, jobs, chunksize=4))
    print("features %.0f s" % (time.time() - t), flush=True)
    with open(os.path.join(FEATS, "feats.pkl"), "wb") as f:
        pickle.dump(res, f, protocol=4)


def load_feats():
    with open(os.path.join(FEATS, "feats.pkl"), "rb") as f:
        return pickle.load(f)


# ---------------------------------------------------------------- GMM
def attack_group(m):
    """Sampling group of a manifest row: dev family or synthetic kind/engine."""
    a = m["attack"]
    if a.startswith("synth:"):
        return a
    if a.startswith("tts:") and m["source_clip"] == "":
        return a.split(":")[0] + ":" + a.split(":")[1]
    return C.family_of(a)


def gmm_frames(feats, ids, rng, per_group, groups):
    """Speech frames of the given clips over all training versions, at most per_group frames from
    each group (so no attack kind dominates)."""
    byg = {}
    for cid in ids:
        for v in C.TRAIN_VERSIONS:
            X, M = feats[cid][v]
            fr = X.transpose(0, 2, 1)[M]                    # frames x 60
            byg.setdefault(groups[cid], []).append(fr)
    out = []
    for g, lst in sorted(byg.items()):
        a = np.concatenate(lst).astype(np.float32)
        if len(a) > per_group:
            a = a[rng.choice(len(a), per_group, replace=False)]
        out.append(a)
    return np.concatenate(out)


def gmm_fit(frames, seed=0, k=32):
    g = GaussianMixture(n_components=k, covariance_type="diag", max_iter=60, tol=1e-3, reg_covar=1e-3,
                        random_state=seed, init_params="kmeans")
    g.fit(frames)
    return g


def gmm_seg_scores(gb, gs, X, M):
    """Per segment: mean over speech frames of log p_spoof - log p_bonafide (0 when no speech frame)."""
    out = []
    for x, m in zip(X, M):
        fr = x.T[m].astype(np.float64)
        if len(fr) == 0:
            out.append(0.0)
            continue
        out.append(float(np.mean(gs.score_samples(fr) - gb.score_samples(fr))))
    return np.array(out)


def gmm_json(gb, gs):
    def cls(g):
        return {"weights": [float(v) for v in g.weights_], "means": [[float(v) for v in r] for r in g.means_],
                "variances": [[float(v) for v in r] for r in g.covariances_]}
    return {"name": "lfcc-gmm", "version": "1", "features": "lfcc60",
            "classes": {"bonafide": cls(gb), "spoof": cls(gs)}}


# ---------------------------------------------------------------- LCNN
def norm_stats(feats, ids):
    X = np.concatenate([feats[c]["clean"][0] for c in ids]).astype(np.float64)   # n x 60 x 401
    mean = X.mean(axis=(0, 2))
    std = X.std(axis=(0, 2)) + 1e-5
    return mean.astype(np.float32), std.astype(np.float32)


def lcnn_train(feats, train_ids, labels, groups, seed=0, epochs=10, per_epoch=768, bs=32, log=None):
    """Class-balanced (and within spoof, attack-group balanced) sampling of segments; each draw takes
    a random training version (clean / noise / mp3 / aac / opus / tel) of that segment."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mean, std = norm_stats(feats, train_ids)
    items, w = [], []
    gcount = {}
    for c in train_ids:
        gcount[groups[c]] = gcount.get(groups[c], 0) + 1
    nreal = sum(1 for c in train_ids if labels[c] == 0)
    ngroups = len({groups[c] for c in train_ids if labels[c] == 1})
    for c in train_ids:
        n = feats[c]["clean"][0].shape[0]
        for s in range(n):
            items.append((c, s))
            if labels[c] == 0:
                w.append(0.5 / nreal / n)
            else:
                w.append(0.5 / ngroups / gcount[groups[c]] / n)
    w = np.array(w) / np.sum(w)
    mt = torch.from_numpy(mean).view(1, 1, 60, 1)
    st = torch.from_numpy(std).view(1, 1, 60, 1)
    model = lcnn_model.LCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * (per_epoch // bs))
    lossf = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        pick = rng.choice(len(items), per_epoch, p=w)
        tot = 0.0
        for b in range(0, per_epoch, bs):
            xs, ys = [], []
            for j in pick[b:b + bs]:
                c, s = items[j]
                v = C.TRAIN_VERSIONS[rng.integers(len(C.TRAIN_VERSIONS))]
                x = feats[c][v][0]
                xs.append(x[min(s, x.shape[0] - 1)])
                ys.append(labels[c])
            x = (torch.from_numpy(np.stack(xs).astype(np.float32)).unsqueeze(1) - mt) / st
            y = torch.tensor(ys, dtype=torch.float32)
            opt.zero_grad()
            loss = lossf(model(x)[:, 0], y)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(ys)
        if log:
            log("  epoch %d loss %.4f (%.0f s)" % (ep, tot / per_epoch, time.time() - t0))
    model.eval()
    return model, mean, std


def lcnn_seg_scores(model, mean, std, X):
    with torch.no_grad():
        x = (torch.from_numpy(X.astype(np.float32)).unsqueeze(1) - torch.from_numpy(mean).view(1, 1, 60, 1)) \
            / torch.from_numpy(std).view(1, 1, 60, 1)
        return model(x)[:, 0].numpy().astype(np.float64)


# ---------------------------------------------------------------- metrics
def eer(real, fake):
    """Equal error rate (higher score = spoof), threshold swept over all scores; returns (eer, thr)."""
    real = np.asarray(real)
    fake = np.asarray(fake)
    t = np.unique(np.concatenate([real, fake, [np.inf]]))
    fpr = (real[None, :] >= t[:, None]).mean(1)
    fnr = (fake[None, :] < t[:, None]).mean(1)
    i = int(np.argmin(np.abs(fpr - fnr)))
    # linear interpolation between the two neighbouring operating points
    e = (fpr[i] + fnr[i]) / 2
    return float(e), float(t[i])


def auc(real, fake):
    real = np.asarray(real)
    fake = np.asarray(fake)
    return float(((fake[:, None] > real[None, :]).mean() + 0.5 * (fake[:, None] == real[None, :]).mean()))


def boot(fn, real, fakes, reps=2000, seed=0):
    """Bootstrap over clips (reals and each fake group resampled separately); fn(real, fakes_list)."""
    rng = np.random.default_rng(seed)
    real = np.asarray(real)
    vals = []
    for _ in range(reps):
        r = real[rng.integers(0, len(real), len(real))] if real.ndim == 1 else \
            real[:, rng.integers(0, real.shape[1], real.shape[1])]
        fs = [np.asarray(f)[rng.integers(0, len(f), len(f))] for f in fakes]
        vals.append(fn(r, fs))
    vals = np.array(vals)
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


if __name__ == "__main__":
    build_feats()
