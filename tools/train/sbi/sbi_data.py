"""Self-blended images (SBI, Shiohara and Yamasaki, CVPR 2022), written for Veritrace's aligned
face crops (face::align_face: 128 x 128, five landmarks known in crop pixels).

A real face crop becomes a "fake" by blending a slightly altered copy of itself into itself inside
a soft face-shaped mask: the only difference between the classes is a blending boundary and a
colour/frequency mismatch, so a network must learn those and cannot learn any one swap method's
look. Both classes then go through the same post-processing (JPEG, resampling, flips).

Masks: only five landmarks are available (YuNet), so the face region is an ellipse placed from the
eyes and the mouth, with a random low-frequency radial deformation, random erosion/dilation and a
random Gaussian feather, instead of the 68-point convex hull of the paper.
"""
import csv
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from shared_nn import jpeg  # noqa: E402

SIZE = 128


def read_index(folder):
    """Crops and landmarks written by build/face_crops (tools/face_crops/main.cpp)."""
    out = []
    with open(os.path.join(folder, "index.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            lm = np.array([[float(r[f"x{j}"]), float(r[f"y{j}"])] for j in range(5)], dtype=np.float32)
            with Image.open(os.path.join(folder, r["crop"])) as im:
                img = np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
            out.append(dict(img=img, lm=lm, source=r["source"], time=float(r["time_s"])))
    return out


def face_mask(rng, lm, size=SIZE):
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
    # erosion / dilation, then feathering
    m = Image.fromarray((mask * 255).astype(np.uint8))
    k = int(rng.integers(0, 3)) * 2 + 1
    if k > 1:
        m = m.filter(ImageFilter.MinFilter(k) if rng.random() < 0.5 else ImageFilter.MaxFilter(k))
    m = m.filter(ImageFilter.GaussianBlur(float(rng.uniform(1.0, 6.0))))
    mask = np.asarray(m, dtype=np.float32) / 255.0
    if mask.max() > 0:
        mask = mask / mask.max()
    return mask


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


def self_blend(rng, img, lm):
    """One SBI fake from one real crop."""
    src, tgt = img, img
    altered = frequency_shift(rng, colour_shift(rng, img))
    if rng.random() < 0.5:
        altered = small_warp(rng, altered)
    if rng.random() < 0.5:
        src, tgt = altered, img
    else:
        src, tgt = img, altered
    mask = face_mask(rng, lm)
    ratio = float(rng.choice([0.25, 0.5, 0.75, 1, 1, 1]))
    m = (mask * ratio)[..., None]
    out = src.astype(np.float32) * m + tgt.astype(np.float32) * (1 - m)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


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
