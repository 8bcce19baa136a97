"""Self-blended images (SBI, Shiohara and Yamasaki, CVPR 2022), written for Veritrace's aligned
face crops (face::align_face: 128 x 128, five landmarks known in crop pixels).

A real face crop becomes a "fake" by blending a slightly altered copy of itself into itself inside
a soft face-shaped mask: the only difference between the classes is a blending boundary and a
colour/frequency mismatch, so a network must learn those and cannot learn any one swap method's
look. Both classes then go through the same post-processing (JPEG, resampling, flips).

Masks: when index.tsv carries the 68 dlib landmarks (columns p0x p0y .. p67x p67y, iBUG 300-W
layout, crop pixels), the face region is their convex hull as in the paper, its top optionally
pushed up from the brows towards the forehead, then deformed by a random low-frequency
displacement field, eroded or dilated and feathered (hull_mask). Without them (older index
files) it is an ellipse placed from the five YuNet landmarks (ellipse_mask).
"""
import csv
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shared_nn import jpeg  # noqa: E402

SIZE = 128


def read_index(folder):
    """Crops and landmarks written by build/face_crops (tools/face_crops/main.cpp)."""
    out = []
    with open(os.path.join(folder, "index.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            lm = np.array([[float(r[f"x{j}"]), float(r[f"y{j}"])] for j in range(5)], dtype=np.float32)
            lm68 = None
            if r.get("p67y") not in (None, ""):
                lm68 = np.array([[float(r[f"p{j}x"]), float(r[f"p{j}y"])] for j in range(68)], dtype=np.float32)
            with Image.open(os.path.join(folder, r["crop"])) as im:
                img = np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
            out.append(dict(img=img, lm=lm, lm68=lm68, source=r["source"], time=float(r["time_s"])))
    return out


def face_mask(rng, lm, size=SIZE, lm68=None):
    """Soft mask in [0, 1]: the 68-point hull mask when those landmarks are known, else the ellipse."""
    if lm68 is not None:
        return hull_mask(rng, lm68, size)
    return ellipse_mask(rng, lm, size)


def convex_hull(pts):
    """Andrew's monotone chain; returns the hull vertices in order (no repeat of the first)."""
    p = sorted(set((float(x), float(y)) for x, y in pts))
    if len(p) < 3:
        return p

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    for q in reversed(p):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return lower[:-1] + upper[:-1]


def hull_points(rng, lm68):
    """The 68 landmarks plus, at random, the brows (17-26) moved up towards the forehead."""
    pts = np.asarray(lm68, dtype=np.float32)
    if rng.random() < 0.5:
        return pts
    brows = pts[17:27]
    eyes = 0.5 * (pts[36:42].mean(0) + pts[42:48].mean(0))
    chin = pts[8]
    up = eyes - chin                       # chin -> eyes, i.e. "up the face"
    h = float(np.linalg.norm(up))
    if h < 1:
        return pts
    up = up / h
    lift = h * rng.uniform(0.05, 0.3)      # up to ~30% of the eyes-chin distance above the brows
    return np.concatenate([pts, brows + up[None] * lift], axis=0)


def polygon_mask(poly, size=SIZE):
    m = Image.new("L", (size, size), 0)
    ImageDraw.Draw(m).polygon([(float(x), float(y)) for x, y in poly], fill=255)
    return np.asarray(m, dtype=np.float32) / 255.0


def deform_mask(rng, mask, amp):
    """Elastic-like warp: a random displacement field on a coarse grid, upsampled smoothly."""
    size = mask.shape[0]
    g = int(rng.integers(3, 6))
    disp = torch.from_numpy(rng.normal(0, 1, size=(1, 2, g, g)).astype(np.float32))
    disp = F.interpolate(disp, size=(size, size), mode="bicubic", align_corners=True)
    disp = disp * (amp * 2.0 / size)         # pixels -> normalised coordinates
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    grid = torch.stack([xx, yy], dim=-1)[None] + disp.permute(0, 2, 3, 1)
    x = torch.from_numpy(mask)[None, None]
    y = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return y[0, 0].numpy()


def erode_or_dilate_and_feather(rng, mask, sizes):
    """A binary mask eroded or dilated by a random odd square of 1 .. 2*sizes-1 px (1: unchanged),
    then feathered by a Gaussian of sigma 1-6 and scaled so its maximum is 1."""
    m = Image.fromarray((mask * 255).astype(np.uint8))
    k = int(rng.integers(0, sizes)) * 2 + 1
    if k > 1:
        m = m.filter(ImageFilter.MinFilter(k) if rng.random() < 0.5 else ImageFilter.MaxFilter(k))
    m = m.filter(ImageFilter.GaussianBlur(float(rng.uniform(1.0, 6.0))))
    mask = np.asarray(m, dtype=np.float32) / 255.0
    if mask.max() > 0:
        mask = mask / mask.max()
    return mask


def hull_mask(rng, lm68, size=SIZE):
    """SBI mask from 68 landmarks: convex hull (forehead optional), random deformation,
    random erosion or dilation, Gaussian feathering; values in [0, 1], 1 deep inside."""
    mask = polygon_mask(convex_hull(hull_points(rng, lm68)), size)
    mask = (deform_mask(rng, mask, rng.uniform(0.0, 5.0)) > 0.5).astype(np.float32)
    return erode_or_dilate_and_feather(rng, mask, 4)   # 1, 3, 5 or 7 px


def ellipse_mask(rng, lm, size=SIZE):
    """Soft mask in [0, 1] of a face-shaped region placed from the 5 landmarks."""
    re, le, nose, rm, lmth = lm
    eyes = 0.5 * (re + le)
    mouth = 0.5 * (rm + lmth)
    v = mouth - eyes
    vlen = max(4.0, float(np.linalg.norm(v)))
    d = max(4.0, float(np.linalg.norm(le - re)))
    centre = eyes + v * rng.uniform(0.25, 0.6)
    a = d * rng.uniform(0.85, 1.25)         # half-width across the face
    b = vlen * rng.uniform(1.5, 2.3)        # half-height along the face
    angle = math.atan2(v[1], v[0]) - math.pi / 2 + rng.normal(0, 0.05)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    ca, sa = math.cos(angle), math.sin(angle)
    u = (dx * ca + dy * sa) / a
    w = (-dx * sa + dy * ca) / b
    r = np.sqrt(u * u + w * w)
    theta = np.arctan2(w, u)
    wobble = np.ones_like(r)
    for k in range(2, 6):  # low-frequency deformation of the outline
        wobble += rng.normal(0, 0.04) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    mask = (r <= wobble).astype(np.float32)
    return erode_or_dilate_and_feather(rng, mask, 3)   # 1, 3 or 5 px


def colour_shift(rng, img):
    x = img.astype(np.float32)
    gain = 1 + rng.uniform(-0.07, 0.07, size=3)
    offset = rng.uniform(-10, 10, size=3)
    x = x * gain + offset
    if rng.random() < 0.5:  # contrast / brightness
        m = x.mean()
        x = (x - m) * rng.uniform(0.9, 1.1) + m + rng.uniform(-8, 8)
    return np.clip(x, 0, 255).astype(np.uint8)


def frequency_shift(rng, img):
    im = Image.fromarray(img)
    r = rng.random()
    if r < 0.4:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.2))))
    elif r < 0.8:
        im = im.filter(ImageFilter.UnsharpMask(radius=float(rng.uniform(1, 2)), percent=int(rng.integers(50, 150)), threshold=0))
    return np.asarray(im, dtype=np.uint8)


def small_warp(rng, img):
    """Scale 0.95-1.05 and a shift of up to 2 px about the centre (bilinear, replicated border)."""
    x = torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1)[None]
    s = rng.uniform(0.95, 1.05)
    tx, ty = rng.uniform(-2, 2, size=2) * 2 / SIZE
    theta = torch.tensor([[[1 / s, 0, tx], [0, 1 / s, ty]]], dtype=torch.float32)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    y = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return y[0].permute(1, 2, 0).clamp(0, 255).round().numpy().astype(np.uint8)


def self_blend(rng, img, lm, lm68=None):
    """One SBI fake from one real crop."""
    return self_blend_parts(rng, img, lm, lm68)[0]


def self_blend_parts(rng, img, lm, lm68=None):
    """self_blend, also returning (mask, ratio, src, tgt): out = src * mask * ratio + tgt * (1 - ...)."""
    src, tgt = img, img
    altered = frequency_shift(rng, colour_shift(rng, img))
    if rng.random() < 0.5:
        altered = small_warp(rng, altered)
    if rng.random() < 0.5:
        src, tgt = altered, img
    else:
        src, tgt = img, altered
    mask = face_mask(rng, lm, lm68=lm68)
    ratio = float(rng.choice([0.25, 0.5, 0.75, 1, 1, 1]))
    m = (mask * ratio)[..., None]
    out = src.astype(np.float32) * m + tgt.astype(np.float32) * (1 - m)
    return np.clip(np.round(out), 0, 255).astype(np.uint8), mask, ratio, src, tgt


def post_process(rng, img):
    """What video pipelines do to both classes: resampling, strong or light JPEG, flips."""
    if rng.random() < 0.4:
        f = rng.uniform(0.4, 0.9)
        small = Image.fromarray(img).resize((max(8, int(SIZE * f)),) * 2, Image.BILINEAR)
        img = np.asarray(small.resize((SIZE, SIZE), Image.BILINEAR), dtype=np.uint8)
    if rng.random() < 0.8:
        img = jpeg(img, rng.integers(20, 96))
    if rng.random() < 0.5:
        img = img[:, ::-1]
    if rng.random() < 0.3:  # grey (the ORL faces and monochrome footage)
        g = (img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[..., None]
        img = np.repeat(np.clip(g, 0, 255), 3, axis=2).astype(np.uint8)
    return np.ascontiguousarray(img)
