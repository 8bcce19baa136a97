"""What every learned detector's training code shares with the C++ engine (docs/models.md): the
sidecar contract's crop geometry, the fixed parity inputs, and the dev sets' photo groups.
Imported by tools/train/npr and tools/train/zed; never needed at run time."""
import csv
import math

import numpy as np


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def crop_origins(width, height, w, h, max_crops=9):
    """(x, y) of each crop under fit "crops", as src/detect/learned/model_spec.cpp places them;
    [] when the image is smaller than one crop (never up-sampled)."""
    if width < w or height < h:
        return []
    nx = min(math.ceil(width / w), 3)
    ny = min(math.ceil(height / h), 3)
    while nx * ny > max_crops:  # reduce the longer count first
        if nx >= ny and nx > 1:
            nx -= 1
        elif ny > 1:
            ny -= 1
        else:
            break

    def starts(n, size, c):
        if n == 1:
            return [(size - c) // 2]
        return [int(math.floor(j * (size - c) / (n - 1) + 0.5)) for j in range(n)]  # std::lround
    return [(x, y) for y in starts(ny, height, h) for x in starts(nx, width, w)]


def parity_tensor(h, w):
    """The parity file's tensor_test input, 1 x 3 x h x w float32."""
    c = np.arange(3, dtype=np.float64).reshape(3, 1, 1)
    y = np.arange(h, dtype=np.float64).reshape(1, h, 1)
    x = np.arange(w, dtype=np.float64).reshape(1, 1, w)
    return np.sin(0.01 * (c + 1) * (x + 1) + 0.02 * (y + 1)).astype(np.float32)[None]


def parity_image(width=300, height=260):
    """The parity file's image_test input, height x width x 3 uint8 RGB."""
    y, x, c = np.meshgrid(np.arange(height), np.arange(width), np.arange(3), indexing="ij")
    return ((7 * x + 13 * y + 50 * c + (x * y) % 17) % 256).astype(np.uint8)


def photo_group(debian_package):
    """Cross-validation group of a photo: its Debian package family."""
    for family in ("lomiri", "mate-backgrounds", "plasma-workspace-wallpapers"):
        if debian_package.startswith(family):
            return "photos:" + family
    raise ValueError(debian_package)
