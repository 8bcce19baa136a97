"""zed: reals-only blind-spot predictive model of natural images (shared code).

The network predicts every pixel's luma from its 7x7 neighbourhood with the centre pixel
(all three channels) hidden, together with a Laplacian inverse scale. On an input crop it
computes, at full and at half resolution (2x2 average pooling):
  D = mean(|e| * w)         (actual / expected coding cost of the residuals, ~1 on reals)
  H = mean(log b + log wmax) (predicted entropy up to a constant: a texture measure)
and combines [D0, H0, H0^2, D1, H1, H1^2] with one fixed affine map (Gemm) fitted on reals
only, so that score = standardized "too predictable" deviation (larger = more likely synthetic).
"""
import io
import math
import os
import sys
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from contract import crop_origins, photo_group, read_tsv  # noqa: E402,F401

W = H = 112            # crop size of the sidecar contract
K = 7                  # neighbourhood size of the blind-spot predictor
C = 32                 # hidden width
WMAX = 4.0             # w = WMAX * sigmoid(t) is the Laplacian inverse scale (b >= 0.25 grey level)
LUMA = (0.299, 0.587, 0.114)

SHARED = '/work/shared/data/images'
GAN_CONTENT = '/tmp/gan_dev_content'


class ScaleNet(nn.Module):
    """Blind-spot predictor for one resolution. Input: 1x3xhxw in [0,1]. Valid convolutions."""

    def __init__(self):
        super().__init__()
        self.feat = nn.Conv2d(3, C, K)             # centre tap masked
        self.lin = nn.Conv2d(3, 1, K)              # linear predictor, centre tap masked
        self.m1 = nn.Conv2d(C, C, 1)
        self.m2 = nn.Conv2d(C, C, 1)
        self.mu = nn.Conv2d(C, 1, 1)
        self.t = nn.Conv2d(C, 1, 1)
        mask = torch.ones(1, 1, K, K)
        mask[..., K // 2, K // 2] = 0
        self.register_buffer('mask', mask)
        tgt = torch.zeros(1, 3, K, K)              # fixed conv: luma of the centre pixel (0..255)
        for c in range(3):
            tgt[0, c, K // 2, K // 2] = 255.0 * LUMA[c]
        self.register_buffer('tgt', tgt)

    def heads(self, x):
        h = F.relu(F.conv2d(x, self.feat.weight * self.mask, self.feat.bias))
        h = F.relu(self.m1(h))
        h = F.relu(self.m2(h))
        mu = self.mu(h) + F.conv2d(x, self.lin.weight * self.mask, self.lin.bias) * 255.0
        y = F.conv2d(x, self.tgt)
        t = self.t(h)
        return y - mu, t

    def nll(self, x):
        """Per-pixel Laplacian NLL (grey-level units, constant log 2 dropped)."""
        e, t = self.heads(x)
        return F.softplus(-t) - math.log(WMAX) + e.abs() * WMAX * torch.sigmoid(t)

    def feats(self, x):
        e, t = self.heads(x)
        d = (e.abs() * WMAX * torch.sigmoid(t)).mean(dim=(1, 2, 3))
        hh = F.softplus(-t).mean(dim=(1, 2, 3))
        return d, hh


class Zed(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = ScaleNet()
        self.register_buffer('gw', torch.zeros(6))
        self.register_buffer('gb', torch.zeros(1))

    def loss(self, x):
        l0 = self.net.nll(x).mean()
        l1 = self.net.nll(F.avg_pool2d(x, 2)).mean()
        return l0 + l1, l0.detach(), l1.detach()

    def features(self, x):
        """Nx6 feature matrix [D0,H0,H0^2,D1,H1,H1^2]."""
        d0, h0 = self.net.feats(x)
        d1, h1 = self.net.feats(F.avg_pool2d(x, 2))
        return torch.stack([d0, h0, h0 * h0, d1, h1, h1 * h1], 1)

    def forward(self, x):
        return self.features(x) @ self.gw + self.gb


class ExportZed(nn.Module):
    """Same computation written with only Conv/Relu/Sigmoid/Softplus/Abs/Mul/Add/
    GlobalAveragePool/Concat/Flatten/Gemm (no Slice, no Neg) for ONNX opset 11 / OpenCV 4.6."""

    def __init__(self, z: Zed):
        super().__init__()
        n = z.net
        self.feat = nn.Conv2d(3, C, K)
        self.feat.weight.data = (n.feat.weight * n.mask).detach().clone()
        self.feat.bias.data = n.feat.bias.detach().clone()
        # e = y - mu_lin - mu_mlp: fold target and linear predictor into one 7x7 conv
        self.ylin = nn.Conv2d(3, 1, K)
        self.ylin.weight.data = (n.tgt - 255.0 * n.lin.weight * n.mask).detach().clone()
        self.ylin.bias.data = (-255.0 * n.lin.bias).detach().clone()
        self.m1, self.m2 = n.m1, n.m2
        self.mu = nn.Conv2d(C, 1, 1)
        self.mu.weight.data = (-n.mu.weight).detach().clone()
        self.mu.bias.data = (-n.mu.bias).detach().clone()
        self.t = n.t
        self.nt = nn.Conv2d(C, 1, 1)
        self.nt.weight.data = (-n.t.weight).detach().clone()
        self.nt.bias.data = (-n.t.bias).detach().clone()
        # 2x2 average pooling written as a stride-2 depthwise Conv (no Pad/AveragePool nodes)
        self.pool = nn.Conv2d(3, 3, 2, stride=2, groups=3, bias=False)
        self.pool.weight.data.fill_(0.25)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.g = nn.Linear(6, 1)
        self.g.weight.data = z.gw.view(1, 6).clone()
        self.g.bias.data = z.gb.clone()

    def one(self, x):
        h = F.relu(self.feat(x))
        h = F.relu(self.m1(h))
        h = F.relu(self.m2(h))
        e = self.ylin(x) + self.mu(h)
        d = self.gap(torch.abs(e) * (torch.sigmoid(self.t(h)) * WMAX))
        hh = self.gap(F.softplus(self.nt(h)))
        return d, hh

    def forward(self, x):
        d0, h0 = self.one(x)
        d1, h1 = self.one(self.pool(x))
        f = torch.cat([d0, h0, h0 * h0, d1, h1, h1 * h1], 1)
        return self.g(torch.flatten(f, 1))


# ---------------------------------------------------------------- contract geometry
def crop_boxes(width, height, w=W, h=H, max_crops=9):
    """Crop origins of the sidecar contract (fit 'crops'). [] if not applicable."""
    return crop_origins(width, height, w, h, max_crops)


def crops_tensor(rgb):
    """rgb: HxWx3 uint8 -> Nx3xHxW float tensor per the contract (scale 1/255, mean 0, std 1)."""
    hh, ww = rgb.shape[:2]
    boxes = crop_boxes(ww, hh)
    if not boxes:
        return None
    a = np.stack([rgb[y:y + H, x:x + W] for x, y in boxes]).astype(np.float32) * np.float32(1 / 255.0)
    return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()


def load_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def jpeg(rgb, q):
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format='JPEG', quality=int(q))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert('RGB'))


def half(rgb):
    im = Image.fromarray(rgb)
    return np.asarray(im.resize((max(1, rgb.shape[1] // 2), max(1, rgb.shape[0] // 2)), Image.BICUBIC))


# ---------------------------------------------------------------- data sets
def dev_files():
    """All dev files: dicts with set, file (relative), path, label, group."""
    out = []
    for r in read_tsv(os.path.join(GAN_CONTENT, 'labels.tsv')):
        out.append(dict(set='gan_dev', file=r['file'], path=os.path.join(GAN_CONTENT, r['file']),
                        label=r['label'], group=r['generator'], family='gan'))
    d = os.path.join(SHARED, 'photos')
    for r in read_tsv(os.path.join(d, 'labels.tsv')):
        out.append(dict(set='photos', file=r['file'], path=os.path.join(d, r['file']), label='real',
                        group=photo_group(r['debian_package']), family='photos'))
    d = os.path.join(SHARED, 'splicing_dev')
    for r in read_tsv(os.path.join(d, 'labels.tsv')):
        if r['kind'] == 'authentic' and r['file'].startswith('authentic/'):
            out.append(dict(set='splicing_dev', file=r['file'], path=os.path.join(d, r['file']),
                            label='real', group='splicing:authentic', family='splicing'))
    d = os.path.join(SHARED, 'diffusion_dev')
    for r in read_tsv(os.path.join(d, 'labels.tsv')):
        out.append(dict(set='diffusion_dev', file=r['file'], path=os.path.join(d, r['file']),
                        label='fake', group='diffusion:' + r['generator'], family='diffusion'))
    return out


# ---------------------------------------------------------------- training patches
P = 64


def make_bank(reals, seed=0):
    """Augmented 64x64 patches from real images only: random down-scaling (never up), random
    JPEG q60-95 or none. Returns uint8 patches Nx64x64x3, owner index per patch."""
    rng = random.Random(seed)
    patches, owner = [], []
    for i, r in enumerate(reals):
        rgb = load_rgb(r['path'])
        im = Image.fromarray(rgb)
        big = r['family'] == 'photos'
        nreg, per = (60, 4) if big else (12, 3)
        for _ in range(nreg):
            if big:
                s = 1.0 if rng.random() < 0.35 else rng.uniform(0.25, 1.0)
            else:
                s = 1.0 if rng.random() < 0.5 else rng.uniform(0.5, 1.0)
            side = min(int(math.ceil(160 / s)), im.width, im.height)
            x0 = rng.randint(0, im.width - side)
            y0 = rng.randint(0, im.height - side)
            reg = im.crop((x0, y0, x0 + side, y0 + side))
            out_side = max(P, int(round(side * s)))
            if out_side < side:
                reg = reg.resize((out_side, out_side), rng.choice([Image.BICUBIC, Image.LANCZOS, Image.BOX, Image.BILINEAR]))
            a = np.asarray(reg.convert('RGB'))
            if rng.random() < 0.6:
                a = jpeg(a, rng.randint(60, 95))
            for _ in range(per):
                px = rng.randint(0, a.shape[1] - P)
                py = rng.randint(0, a.shape[0] - P)
                patches.append(a[py:py + P, px:px + P])
                owner.append(i)
    return np.stack(patches), np.array(owner)


FAMILY_SHARE = {'photos': 0.35, 'gan': 0.40, 'splicing': 0.25}


def train_model(reals, bank, owner, use, steps, seed, log=None, batch=32):
    """Train a Zed predictor on the bank patches whose owner index is in `use` (a set)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    sel = np.array([o in use for o in owner])
    idx = np.nonzero(sel)[0]
    fam = np.array([reals[owner[i]]['family'] for i in idx])
    wts = np.zeros(len(idx))
    present = {f for f in fam}
    for f in present:
        m = fam == f
        wts[m] = FAMILY_SHARE[f] / m.sum()
    wts /= wts.sum()
    model = Zed()
    opt = torch.optim.Adam(model.net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    rs = np.random.RandomState(seed)
    run = []
    for step in range(steps):
        b = idx[rs.choice(len(idx), batch, p=wts)]
        x = torch.from_numpy(bank[b]).permute(0, 3, 1, 2).float() / 255.0
        if rs.rand() < 0.5:
            x = x.flip(3)
        loss, l0, l1 = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run.append((l0.item(), l1.item()))
        if log and (step + 1) % 100 == 0:
            a = np.mean(run[-100:], 0)
            log('  step %d nll0 %.3f nll1 %.3f' % (step + 1, a[0], a[1]))
    model.eval()
    return model


@torch.no_grad()
def image_features(model, rgb):
    x = crops_tensor(rgb)
    if x is None:
        return None
    return model.features(x).numpy()


def fit_calibration(feat_list):
    """feat_list: per training real image, an Nx6 crop-feature array. Fits, on reals only,
    D_k ~ a + b H_k + c H_k^2 per scale (images weighted equally), standardizes the residuals,
    and sets score = -(r0/sd0 + r1/sd1), re-standardized to mean 0 / sd 1 over real crops.
    Returns (gw[6], gb, info)."""
    Fm = np.concatenate(feat_list).astype(np.float64)
    wimg = np.concatenate([np.full(len(f), 1.0 / len(f)) for f in feat_list])
    gw = np.zeros(6)
    gb = 0.0
    info = {}
    for k, (di, hi) in enumerate([(0, 1), (3, 4)]):
        X = np.stack([np.ones(len(Fm)), Fm[:, hi], Fm[:, hi] ** 2], 1)
        sw = np.sqrt(wimg)
        coef, *_ = np.linalg.lstsq(X * sw[:, None], Fm[:, di] * sw, rcond=None)
        r = Fm[:, di] - X @ coef
        sd = math.sqrt(np.sum(wimg * r ** 2) / np.sum(wimg))
        # score contribution -(D - a - bH - cH^2)/sd
        gw[di] += -1.0 / sd
        gw[hi] += coef[1] / sd
        gw[hi + 1] += coef[2] / sd
        gb += coef[0] / sd
        info['scale%d' % k] = dict(a=coef[0], b=coef[1], c=coef[2], sd=sd)
    s = Fm @ gw + gb
    m = np.sum(wimg * s) / np.sum(wimg)
    sd = math.sqrt(np.sum(wimg * (s - m) ** 2) / np.sum(wimg))
    gw /= sd
    gb = (gb - m) / sd
    return gw, gb, info


def set_calibration(model, gw, gb):
    model.gw.copy_(torch.tensor(gw, dtype=torch.float32))
    model.gb.copy_(torch.tensor([gb], dtype=torch.float32))


@torch.no_grad()
def score_image(model, rgb):
    """Aggregated raw score of the contract (mean over crops) and the crop count."""
    x = crops_tensor(rgb)
    if x is None:
        return None, 0
    return float(model(x).mean()), x.shape[0]
