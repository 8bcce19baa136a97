"""Figures for the zed detector from the cross-validation scores written by cv.py.

usage: /usr/bin/python3 tools/train/zed/evaluate.py --cv /tmp/zedwork/cv --oof /tmp/zed_oof.tsv
All figures use out-of-fold scores only; the threshold is the 95th percentile of the reals'
out-of-fold clean scores (reals only, no fakes involved).
"""
import argparse
import json
import os
from collections import defaultdict

import numpy as np
from sklearn.metrics import roc_auc_score


def auc_ci(neg, pos, n=2000, seed=0):
    neg, pos = np.asarray(neg, float), np.asarray(pos, float)
    a = roc_auc_score(np.r_[np.zeros(len(neg)), np.ones(len(pos))], np.r_[neg, pos])
    rs = np.random.RandomState(seed)
    bs = []
    for _ in range(n):
        nn_ = neg[rs.randint(0, len(neg), len(neg))]
        pp = pos[rs.randint(0, len(pos), len(pos))]
        bs.append(roc_auc_score(np.r_[np.zeros(len(nn_)), np.ones(len(pp))], np.r_[nn_, pp]))
    lo, hi = np.percentile(bs, [2.5, 97.5])
    return a, lo, hi


def fmt(t):
    return '%.3f [%.3f, %.3f]' % t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cv', default='/tmp/zedwork/cv')
    ap.add_argument('--oof', default='/tmp/zed_oof.tsv')
    ap.add_argument('--key', default='score', help='score (shipped), or diagnostics: D0, D1, H0, H1, abs')
    a = ap.parse_args()
    rows = json.load(open(os.path.join(a.cv, 'scores.json')))
    key = a.key
    by = defaultdict(list)
    for r in rows:
        if r['score'] is not None:
            by[r['variant']].append(r)
    clean = by['clean']
    if a.oof and key == 'score':
        with open(a.oof, 'w') as f:
            f.write('file\tgroup\toof_score\n')
            for r in clean:
                f.write('%s\t%s\t%.6f\n' % (r['file'], r['group'], r[key]))
    if key == 'abs':      # diagnostic: two-sided |score|
        val = lambda r: abs(r['score'])  # noqa: E731
    else:                 # diagnostics D0/D1: lower actual/expected cost = more synthetic
        sign = -1.0 if key in ('D0', 'D1') else 1.0
        val = lambda r: sign * r[key]  # noqa: E731
    reals_clean = np.array([val(r) for r in clean if r['label'] == 'real'])
    thr = float(np.percentile(reals_clean, 95))
    print('reals (OOF, clean): n=%d mean %.3f sd %.3f; threshold (95th pct) = %.4f' % (
        len(reals_clean), reals_clean.mean(), reals_clean.std(), thr))
    for fam in ('gan', 'photos', 'splicing'):
        v = np.array([val(r) for r in clean if r['label'] == 'real' and r['family'] == fam])
        print('  reals %-9s n=%3d mean %+.3f sd %.3f  above thr %d/%d' % (fam, len(v), v.mean(), v.std(), (v > thr).sum(), len(v)))
    # texture check: reals' OOF score by tertile of H0
    rr = [r for r in clean if r['label'] == 'real']
    h = np.array([r['H0'] for r in rr])
    cuts = np.percentile(h, [33.3, 66.7])
    for i, (lo, hi) in enumerate([(-1e9, cuts[0]), (cuts[0], cuts[1]), (cuts[1], 1e9)]):
        v = np.array([val(r) for r in rr if lo <= r['H0'] < hi])
        print('  texture tertile %d (H0 %.2f..%.2f): n=%d mean %+.3f sd %.3f' % (i + 1, max(lo, h.min()), min(hi, h.max()), len(v), v.mean(), v.std()))
    for var in ('clean', 'jpeg75', 'half'):
        R = by[var]
        print('\n== variant %s (threshold from clean reals = %.4f)' % (var, thr))
        gens = sorted({r['group'] for r in R if r['family'] == 'gan'})
        gr = [val(r) for r in R if r['family'] == 'gan' and r['label'] == 'real']
        gf = [val(r) for r in R if r['family'] == 'gan' and r['label'] == 'fake']
        for g in gens:
            neg = [val(r) for r in R if r['group'] == g and r['label'] == 'real']
            pos = [val(r) for r in R if r['group'] == g and r['label'] == 'fake']
            print('  gan %-11s AUC %s  TPR@thr %.2f  FPR@thr %.2f (n %d/%d)' % (
                g, fmt(auc_ci(neg, pos)), np.mean(np.array(pos) > thr), np.mean(np.array(neg) > thr), len(neg), len(pos)))
        print('  gan pooled      AUC %s  TPR@thr %.2f  FPR@thr %.2f (n %d/%d)' % (
            fmt(auc_ci(gr, gf)), np.mean(np.array(gf) > thr), np.mean(np.array(gr) > thr), len(gr), len(gf)))
        allr = [val(r) for r in R if r['label'] == 'real']
        df = [val(r) for r in R if r['family'] == 'diffusion']
        print('  diffusion (n=%d) vs pooled dev reals (n=%d): AUC %s  TPR@thr %.2f' % (
            len(df), len(allr), fmt(auc_ci(allr, df)), np.mean(np.array(df) > thr)))
        for g in sorted({r['group'] for r in R if r['family'] == 'diffusion'}):
            pos = [val(r) for r in R if r['group'] == g]
            print('    %-32s AUC %s  TPR@thr %.2f (n %d)' % (g, fmt(auc_ci(allr, pos)), np.mean(np.array(pos) > thr), len(pos)))
        ph = np.array([val(r) for r in R if r['family'] == 'photos'])
        sp = np.array([val(r) for r in R if r['family'] == 'splicing'])
        print('  photo false positives @thr: %d/%d; splicing-authentic FP: %d/%d; all reals FPR %.3f' % (
            (ph > thr).sum(), len(ph), (sp > thr).sum(), len(sp), np.mean(np.array(allr) > thr)))
        na = [r for r in rows if r['variant'] == var and r['score'] is None]
        if na:
            print('  not applicable (smaller than crop): %d files' % len(na))


if __name__ == '__main__':
    main()
