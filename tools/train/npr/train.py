"""Training loop of the NPR-style detector (used by the LOGO evaluation and the final fit)."""
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (NPRNet, TRAIN_CROP, augment, random_patch, simulate_upsampled, to_tensor)

def make_sample(rng, src, fake_kind, crop=TRAIN_CROP, upscale=False):
    """fake_kind: 'real', 'gan' or 'sim'. src: list of uint8 images to draw from. The patch is
    taken at twice the crop before augmentation so a 0.5 resize still covers a crop."""
    img = src[int(rng.integers(0, len(src)))]
    p = random_patch(rng, img, 2 * crop)
    if fake_kind == "sim":
        p = simulate_upsampled(rng, p)
    p = augment(rng, p, upscale)
    return random_patch(rng, p, crop)


def train_model(train_items, steps, seed, batch=32, lr=2e-3, log=None, width=16,
                residual="npr", crop=TRAIN_CROP, upscale=False):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    real_pools = {}
    for it in train_items:
        if it["label"] == 0:
            real_pools.setdefault(it["set"], []).append(it["img"])
    pools = [real_pools[k] for k in sorted(real_pools)]
    all_reals = [im for p in pools for im in p]
    gan_fakes = [it["img"] for it in train_items if it["label"] == 1]
    net = NPRNet(width, residual)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    net.train()
    t0 = time.time()
    run = 0.0
    for step in range(steps):
        xs, ys = [], []
        for i in range(batch):
            if i < batch // 2:
                pool = pools[int(rng.integers(0, len(pools)))]
                xs.append(make_sample(rng, pool, "real", crop, upscale))
                ys.append(0.0)
            elif i < batch // 2 + batch // 4:
                xs.append(make_sample(rng, gan_fakes, "gan", crop, upscale))
                ys.append(1.0)
            else:
                xs.append(make_sample(rng, all_reals, "sim", crop, upscale))
                ys.append(1.0)
        x = to_tensor(xs)
        y = torch.tensor(ys).view(-1, 1)
        out = net(x)
        loss = F.binary_cross_entropy_with_logits(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run = 0.95 * run + 0.05 * float(loss) if step else float(loss)
        if log and (step % 50 == 0 or step == steps - 1):
            log(f"  step {step:4d}/{steps} loss {run:.3f} ({time.time() - t0:.0f}s)")
    net.eval()
    return net
