"""Shared pieces of the NPR-style up-sampling-trace detector.

Data loading, the network (with the fixed nearest down/up residual inside it), the simulated
up-sampling fakes, augmentation, and the crop geometry of the model-file contract.
Everything is seeded by the caller; torch runs on one thread.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from contract import crop_origins, photo_group, read_tsv  # noqa: E402,F401
from shared_nn import Block, jpeg  # noqa: E402,F401

torch.set_num_threads(1)

GAN_DIR = os.environ.get("NPR_GAN_DIR", "/tmp/gan_dev_content")
DATA = os.environ.get("NPR_DATA", "/work/shared/data/images")
DIFF_DIR = os.path.join(DATA, "diffusion_dev")
PHOTO_DIR = os.path.join(DATA, "photos")
SPLICE_DIR = os.path.join(DATA, "splicing_dev")

TRAIN_CROP = 64      # random crops used while training (fully convolutional + GAP)
INFER = 96           # W = H of the exported network / sidecar
MAX_CROPS = 9
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]
SCALE = 1.0 / 255.0


def load_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def load_all():
    """Returns a list of dicts: set, file, group, label (1 fake / 0 real), img (uint8 HxWx3)."""
    items = []
    for r in read_tsv(os.path.join(GAN_DIR, "labels.tsv")):
        items.append(dict(set="gan_dev", file=r["file"], group=r["generator"],
                          label=1 if r["label"] == "fake" else 0,
                          img=load_rgb(os.path.join(GAN_DIR, r["file"]))))
    for r in read_tsv(os.path.join(PHOTO_DIR, "labels.tsv")):
        items.append(dict(set="photos", file=r["file"], group=photo_group(r["debian_package"]),
                          label=0, img=load_rgb(os.path.join(PHOTO_DIR, r["file"]))))
    for r in read_tsv(os.path.join(SPLICE_DIR, "labels.tsv")):
        if r["kind"] != "authentic":
            continue
        items.append(dict(set="splicing_dev", file=r["file"], group="splicing:authentic",
                          label=0, img=load_rgb(os.path.join(SPLICE_DIR, r["file"]))))
    return items


def load_diffusion():
    out = []
    for r in read_tsv(os.path.join(DIFF_DIR, "labels.tsv")):
        out.append(dict(set="diffusion_dev", file=r["file"], group="diffusion:" + r["generator"],
                        label=1, img=load_rgb(os.path.join(DIFF_DIR, r["file"]))))
    return out


# ----------------------------------------------------------------------------- network
class NPRResidual(nn.Module):
    """x - up(down(x)) with nearest down/up by 2, as two fixed depthwise convolutions."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 3, 2, stride=2, groups=3, bias=False)
        self.up = nn.ConvTranspose2d(3, 3, 2, stride=2, groups=3, bias=False)
        with torch.no_grad():
            self.down.weight.zero_()
            self.down.weight[:, :, 0, 0] = 1.0
            self.up.weight.fill_(1.0)
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return x - self.up(self.down(x))


class HaarDetail(nn.Module):
    """One-level Haar detail bands (LH, HL, HH per colour, 9 channels at half resolution) as one
    fixed 2x2 stride-2 grouped convolution: the within-cell differences that an up-sampler
    shapes, without the picture's low-pass content (SAFE, Li et al. 2025, feeds wavelet bands)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 9, 2, stride=2, groups=3, bias=False)
        bands = torch.tensor([[[1., 1.], [-1., -1.]],    # horizontal edge (rows differ)
                              [[1., -1.], [1., -1.]],    # vertical edge (columns differ)
                              [[1., -1.], [-1., 1.]]])   # diagonal
        with torch.no_grad():
            self.conv.weight.copy_((bands / 2.0).repeat(3, 1, 1).view(9, 1, 2, 2))
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return self.conv(x)


class NPRNet(nn.Module):
    def __init__(self, width=16, residual="npr"):
        super().__init__()
        w = width
        self.gain = 4.0  # residual is small; a fixed gain keeps activations O(1)
        # "npr": full-resolution x - up(down(x)), then a stride-2 stem conv;
        # "haar": the Haar detail bands are already at half resolution, so the stem keeps it
        self.npr = NPRResidual() if residual == "npr" else HaarDetail()
        cin, stride = (3, 2) if residual == "npr" else (9, 1)
        self.stem = nn.Sequential(nn.Conv2d(cin, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w),
                                  nn.ReLU(inplace=True),
                                  nn.Conv2d(w, 2 * w, 3, stride, 1, bias=False),
                                  nn.BatchNorm2d(2 * w), nn.ReLU(inplace=True))
        self.l1 = Block(2 * w, 2 * w, 1)
        self.l2 = Block(2 * w, 4 * w, 2)
        self.l3 = Block(4 * w, 8 * w, 2)
        self.fc = nn.Linear(8 * w, 1)

    def fold_gain(self):
        """Move the fixed gain into the first (bias-free) conv so the graph has no Mul/Constant."""
        with torch.no_grad():
            self.stem[0].weight.mul_(self.gain)
        self.gain = 1.0
        return self

    def forward(self, x):
        r = self.npr(x)
        if self.gain != 1.0:
            r = r * self.gain
        y = self.l3(self.l2(self.l1(self.stem(r))))
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(y)


# ----------------------------------------------------------------------------- augmentation
def resize_area(img, f):
    """Down-scaling by f in (0,1] with box filtering (PIL BOX = OpenCV INTER_AREA for f=1/2)."""
    h, w = img.shape[:2]
    nw, nh = max(1, int(round(w * f))), max(1, int(round(h * f)))
    if (nw, nh) == (w, h):
        return img
    return np.asarray(Image.fromarray(img).resize((nw, nh), Image.BOX), dtype=np.uint8)


def random_patch(rng, img, size):
    h, w = img.shape[:2]
    if h < size or w < size:
        f = size / min(h, w)  # only used for tiny inputs during training (never at scoring)
        img = np.asarray(Image.fromarray(img).resize((math.ceil(w * f), math.ceil(h * f)),
                                                     Image.BICUBIC))
        h, w = img.shape[:2]
    y = rng.integers(0, h - size + 1)
    x = rng.integers(0, w - size + 1)
    return img[y:y + size, x:x + size]


def simulate_upsampled(rng, patch):
    """AutoGAN-style fake: down by 2 then up by 2 (nearest / bilinear / random transposed conv
    decoder), optionally followed by random conv layers; clamp and round to 8 bit."""
    x = torch.from_numpy(patch.astype(np.float32)).permute(2, 0, 1)[None]  # 1x3xHxW, 0..255
    h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    x = x[:, :, :h, :w]
    dm = rng.integers(0, 3)
    if dm == 0:
        d = F.avg_pool2d(x, 2)
    elif dm == 1:
        d = x[:, :, ::2, ::2]
    else:
        d = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
    um = rng.integers(0, 4)
    if um == 0:
        u = F.interpolate(d, scale_factor=2, mode="nearest")
    elif um == 1:
        u = F.interpolate(d, scale_factor=2, mode="bilinear", align_corners=False)
    else:
        # random transposed-conv decoder (depthwise, k=4 or 3, stride 2): every output phase
        # gets its own random positive interpolation kernel of unit gain, so the result keeps
        # the picture but carries a period-2 (checkerboard) trace; then a random near-identity
        # colour mix (a 1x1 conv layer)
        k = 4 if um == 2 else 3
        g = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
        wt = torch.rand(3, 1, k, k, generator=g) + 0.05
        for a in range(2):
            for b in range(2):
                ph = wt[:, :, a::2, b::2]
                wt[:, :, a::2, b::2] = ph / ph.sum(dim=(2, 3), keepdim=True)
        if k == 4:
            t = F.conv_transpose2d(F.pad(d, (1, 1, 1, 1), mode="replicate"), wt, stride=2,
                                   groups=3)[:, :, 3:3 + h, 3:3 + w]
        else:
            t = F.conv_transpose2d(F.pad(d, (1, 1, 1, 1), mode="replicate"), wt, stride=2,
                                   groups=3)[:, :, 2:2 + h, 2:2 + w]
        mix = torch.eye(3) + 0.05 * torch.randn(3, 3, generator=g)
        mix = mix / mix.sum(1, keepdim=True)
        u = F.conv2d(t, mix.view(3, 3, 1, 1))
    if rng.random() < 0.5:
        g = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
        for _ in range(int(rng.integers(1, 3))):
            kk = torch.randn(3, 3, 3, 3, generator=g) * 0.05
            for c in range(3):
                kk[c, c, 1, 1] += 1.0
            u = F.conv2d(F.pad(u, (1, 1, 1, 1), mode="replicate"), kk)
    u = u.clamp(0, 255).round()
    return u[0].permute(1, 2, 0).numpy().astype(np.uint8)


def resize_up(img, f):
    """Up-scaling by f > 1 (bilinear or bicubic at random by the caller's choice of mode)."""
    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((int(round(w * f)), int(round(h * f))),
                                                  Image.BICUBIC), dtype=np.uint8)


def augment(rng, img, upscale=False):
    """Web post-processing applied alike to reals and fakes. upscale=True also enlarges some
    pictures (factor 1-1.5) so that interpolation itself is not learnt as a fake cue."""
    r = rng.random()
    if upscale and r < 0.2:
        img = resize_up(img, float(rng.uniform(1.05, 1.5)))
    elif r < 0.5:
        img = resize_area(img, float(rng.uniform(0.5, 1.0)))
    if rng.random() < 0.6:
        img = jpeg(img, int(rng.integers(60, 96)))
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return np.ascontiguousarray(img)


def to_tensor(batch_u8):
    x = torch.from_numpy(np.stack(batch_u8).astype(np.float32)).permute(0, 3, 1, 2) * SCALE
    m = torch.tensor(MEAN).view(1, 3, 1, 1)
    s = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - m) / s


# ----------------------------------------------------------------------------- contract crops
def contract_crops(img, W=INFER, H=INFER, max_crops=MAX_CROPS):
    """Crops of the model-file contract (fit "crops"); [] if not applicable."""
    h, w = img.shape[:2]
    return [img[y:y + H, x:x + W] for x, y in crop_origins(w, h, W, H, max_crops)]


@torch.no_grad()
def score_image(net, img):
    crops = contract_crops(img)
    if not crops:
        return float("nan"), 0
    out = net(to_tensor(crops)).view(-1)
    return float(out.mean()), len(crops)
