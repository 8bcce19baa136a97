"""Self-test of the SBI generator (plain asserts): /usr/bin/python3 tools/train/sbi/test_sbi_data.py

Checks, over many random draws:
- the 68-point hull mask is in [0, 1], ~0 at the crop corners and far below the chin, ~1 at the
  nose tip (landmark 30) and the eye centres, and the forehead extension only adds points above
  the brows;
- a blended image equals the target copy wherever mask * ratio == 0, equals the source copy
  wherever mask * ratio == 1, one of the two copies is the untouched original, and when the target
  is the original the output differs from the original only where the mask > 0 (and does differ
  inside it);
- index.tsv with the 68 columns gives lm68 and the hull path; without them lm68 is None and the
  five-point ellipse path still works.
"""
import os
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import sbi_data  # noqa: E402
from sbi_data import SIZE, face_mask, hull_mask, hull_points, read_index, self_blend_parts  # noqa: E402

# One face's landmarks as face_crops wrote them (UTKFace crop, 128 x 128 crop pixels).
LM68 = np.array([
    33.3, 55.6, 33.0, 63.4, 33.1, 71.3, 34.5, 79.1, 37.2, 86.5, 41.0, 93.5, 46.1, 99.6, 52.0, 104.5,
    60.3, 107.2, 69.8, 107.0, 79.3, 103.5, 86.2, 98.4, 91.5, 91.3, 95.0, 83.0, 96.9, 74.2, 98.0, 65.1,
    98.3, 56.0, 36.8, 47.6, 39.6, 43.0, 44.6, 41.3, 50.4, 42.4, 55.8, 45.2, 66.2, 45.4, 72.4, 43.2,
    79.0, 42.7, 84.8, 45.5, 89.0, 50.4, 60.1, 52.6, 59.8, 58.0, 59.1, 63.4, 58.8, 68.7, 52.2, 71.4,
    55.5, 73.4, 59.7, 74.5, 64.2, 73.6, 68.8, 72.3, 42.7, 53.7, 45.6, 52.8, 49.4, 52.8, 52.7, 54.0,
    49.4, 54.8, 45.7, 54.5, 71.3, 54.8, 74.6, 53.5, 78.4, 53.9, 82.1, 55.5, 78.4, 56.0, 74.7, 55.6,
    47.4, 79.7, 52.3, 78.4, 56.5, 78.7, 60.6, 79.9, 65.2, 79.4, 71.4, 79.7, 78.9, 81.2, 71.5, 87.5,
    64.9, 89.3, 60.4, 89.0, 56.2, 87.8, 51.6, 85.4, 49.5, 80.5, 56.5, 80.4, 60.7, 81.1, 64.8, 81.1,
    76.8, 81.7, 64.9, 85.6, 60.7, 85.7, 56.2, 84.5], dtype=np.float32).reshape(68, 2)
LM5 = np.array([[46.7, 50.8], [80.8, 50.6], [62.1, 67.3], [48.9, 80.5], [79.1, 80.6]], dtype=np.float32)
N = 60


def at(mask, p):
    return float(mask[int(round(p[1])), int(round(p[0]))])


def test_hull_mask():
    corners = [(0, 0), (0, SIZE - 6), (SIZE - 6, 0), (SIZE - 6, SIZE - 6)]
    below_chin = LM68[8] + np.array([0.0, 18.0])
    eyes = [LM68[36:42].mean(0), LM68[42:48].mean(0)]
    for seed in range(N):
        rng = np.random.default_rng(seed)
        m = hull_mask(rng, LM68)
        assert m.shape == (SIZE, SIZE) and m.dtype == np.float32, m.shape
        assert m.min() >= 0.0 and m.max() <= 1.0 + 1e-6, (m.min(), m.max())
        for y, x in corners:
            assert m[y:y + 6, x:x + 6].max() < 0.01, ("corner", seed, y, x, m[y:y + 6, x:x + 6].max())
        assert at(m, below_chin) < 0.05, ("below chin", seed, at(m, below_chin))
        assert at(m, LM68[30]) > 0.99, ("nose tip", seed, at(m, LM68[30]))
        for e in eyes:
            assert at(m, e) > 0.5, ("eye", seed, at(m, e))
        # the mask is face-sized, not a blob covering the crop nor a speck
        assert 0.15 < m.mean() < 0.6, ("area", seed, m.mean())
    # face_mask picks the hull when lm68 is given (same draws as hull_mask)
    a = face_mask(np.random.default_rng(5), LM5, lm68=LM68)
    b = hull_mask(np.random.default_rng(5), LM68)
    assert np.array_equal(a, b)


def test_forehead_points():
    lifted = 0
    for seed in range(N):
        pts = hull_points(np.random.default_rng(seed), LM68)
        assert np.array_equal(pts[:68], LM68)
        if len(pts) > 68:
            lifted += 1
            assert len(pts) == 78
            assert np.all(pts[68:, 1] < LM68[17:27, 1]), "forehead points must lie above the brows"
            assert np.all(pts[68:, 1] > 0), "forehead points stay in the crop"
    assert 0 < lifted < N, lifted


def test_blend_boundaries():
    rng0 = np.random.default_rng(123)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    img = np.clip(np.stack([xx * 1.5, yy * 1.5, (xx + yy) * 0.7], 2) + rng0.normal(0, 20, (SIZE, SIZE, 3)) + 30,
                  0, 255).astype(np.uint8)
    seen_orig_tgt = 0
    for seed in range(N):
        out, mask, ratio, src, tgt = self_blend_parts(np.random.default_rng(seed), img, LM5, LM68)
        assert out.shape == img.shape and out.dtype == np.uint8
        m = mask * ratio
        zero = m == 0
        one = m >= 1 - 1e-6
        assert zero.sum() > 0.2 * m.size, ("mask covers nearly everything", seed)
        assert np.array_equal(out[zero], tgt[zero]), ("out != target outside the mask", seed)
        if one.any():
            assert np.abs(out[one].astype(int) - src[one].astype(int)).max() <= 1, ("out != source inside", seed)
        assert np.array_equal(src, img) or np.array_equal(tgt, img), ("neither copy is the original", seed)
        if np.array_equal(tgt, img):
            seen_orig_tgt += 1
            changed = np.any(out != img, axis=2)
            assert not np.any(changed & (mask == 0)), ("changed outside the mask", seed)
            assert changed[mask > 0.5].mean() > 0.05, ("nothing blended inside the mask", seed)
    assert seen_orig_tgt > 0


def write_index(folder, with68):
    img = np.full((SIZE, SIZE, 3), 128, np.uint8)
    Image.fromarray(img).save(os.path.join(folder, "000000.png"))
    cols = ["crop", "source", "time_s", "score"] + [f"{c}{j}" for j in range(5) for c in "xy"]
    vals = ["000000.png", "x.jpg", "-1", "0.9"] + [f"{v:.2f}" for v in LM5.reshape(-1)]
    if with68:
        cols += [f"p{j}{c}" for j in range(68) for c in "xy"]
        vals += [f"{v:.2f}" for v in LM68.reshape(-1)]
    with open(os.path.join(folder, "index.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n" + "\t".join(vals) + "\n")


def test_read_index():
    for with68 in (True, False):
        with tempfile.TemporaryDirectory() as d:
            write_index(d, with68)
            items = read_index(d)
            assert len(items) == 1
            it = items[0]
            assert np.allclose(it["lm"], LM5, atol=0.01)
            if with68:
                assert it["lm68"] is not None and np.allclose(it["lm68"], LM68, atol=0.01)
            else:
                assert it["lm68"] is None
            m = face_mask(np.random.default_rng(0), it["lm"], lm68=it["lm68"])
            assert m.shape == (SIZE, SIZE) and m[0:6, 0:6].max() < 0.01 and at(m, LM5[2]) > 0.9


if __name__ == "__main__":
    print("sbi_data from", sbi_data.__file__)
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
            print("ok", name)
    print("all passed")
