"""Pieces the training code of several learned detectors shares (npr, zed-style, sbi): the
residual block of their small CNNs and the JPEG round trip used for augmentation and robustness
tests. Training only; never needed at run time."""
import io

import numpy as np
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


class Block(nn.Module):
    """Basic residual block: two 3x3 convolutions with batch norm, a 1x1 projection when the shape
    changes. Attribute names are part of saved state dicts: keep them."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


def jpeg(img, q):
    """Round trip of an RGB uint8 array through PIL/libjpeg at quality q."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(q))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
