"""Leave-one-real-group-out cross-validation of the zed detector.

usage: nice -n 10 /usr/bin/python3 tools/train/zed/cv.py --out /tmp/zedwork/cv [--steps 400]
Each fold holds out one real source group (each gan_dev generator's reals, each photo package
family, splicing authentic), trains on the other groups' reals only, fits the reals-only
calibration on its own training reals, and scores: the held-out reals, the gan_dev fakes of the
held-out generator, and (round-robin over folds) the diffusion_dev fakes. Each test file is also
scored after JPEG q75 and after a 50% bicubic resize.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zedlib as Z  # noqa: E402

torch.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='/tmp/zedwork/cv')
    ap.add_argument('--steps', type=int, default=400)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, 'log.txt'), 'a')

    def log(s):
        print(s, flush=True)
        logf.write(s + '\n')
        logf.flush()

    files = Z.dev_files()
    reals = [f for f in files if f['label'] == 'real']
    t0 = time.time()
    bank, owner = Z.make_bank(reals, seed=a.seed)
    log('bank %s from %d reals in %.0fs' % (bank.shape, len(reals), time.time() - t0))
    groups = sorted({r['group'] for r in reals})
    diff = sorted([f for f in files if f['family'] == 'diffusion'], key=lambda f: f['file'])
    diff_fold = {f['file']: groups[i % len(groups)] for i, f in enumerate(diff)}
    rows = []
    cache = {}
    for fi, g in enumerate(groups):
        t1 = time.time()
        use = {i for i, r in enumerate(reals) if r['group'] != g}
        log('fold %d/%d hold out %s: %d training reals' % (fi + 1, len(groups), g, len(use)))
        model = Z.train_model(reals, bank, owner, use, a.steps, seed=a.seed + fi, log=log)
        feats = []
        for i in sorted(use):
            if i not in cache:
                cache[i] = Z.load_rgb(reals[i]['path'])
            feats.append(Z.image_features(model, cache[i]))
        gw, gb, info = Z.fit_calibration(feats)
        Z.set_calibration(model, gw, gb)
        torch.save(model.state_dict(), os.path.join(a.out, 'fold_%02d.pt' % fi))
        tests = [f for f in files if f['group'] == g]
        tests += [f for f in diff if diff_fold[f['file']] == g]
        for f in tests:
            rgb = Z.load_rgb(f['path'])
            for var, img in (('clean', rgb), ('jpeg75', Z.jpeg(rgb, 75)), ('half', Z.half(rgb))):
                x = Z.crops_tensor(img)
                if x is None:
                    rows.append(dict(f, fold=g, variant=var, score=None, crops=0))
                    continue
                with torch.no_grad():
                    fe = model.features(x).numpy()
                    s = model(x).numpy()
                rows.append(dict(f, fold=g, variant=var, score=float(s.mean()), crops=len(s),
                                 D0=float(fe[:, 0].mean()), H0=float(fe[:, 1].mean()),
                                 D1=float(fe[:, 3].mean()), H1=float(fe[:, 4].mean())))
        log('  calib %s | %d test files | %.0fs' % (json.dumps({k: {kk: round(vv, 4) for kk, vv in v.items()} for k, v in info.items()}), len(tests), time.time() - t1))
        with open(os.path.join(a.out, 'scores.json'), 'w') as fo:
            json.dump(rows, fo)
    log('done in %.0fs' % (time.time() - t0))


if __name__ == '__main__':
    main()
