"""Train the face-swap detector on self-blended images of real faces only, export ONNX, sidecar,
parity file.

Data: aligned crops made by build/face_crops (tools/face_crops/main.cpp) from
../shared/data/real (UTKFace 400, ORL 400) and, from the second attempt on, frames (3 per second)
of the 8 real-only DFD clips of video/dev (source_dataset "DeepFakeDetection (DFD) via FF++ c40",
in no FF++ pair). No fake face is used; video/dev figures must leave those 8 clips out.
index.tsv carries the 68 dlib landmarks (p0x .. p67y), which sbi_data uses for hull masks.

  cmake --build build --target face_crops
  build/face_crops /tmp/crops_utk /work/shared/data/real/faces_utk/*.jpg
  build/face_crops /tmp/crops_orl /work/shared/data/real/faces_orl/*/*.png
  build/face_crops /tmp/crops_dfd --fps 3 ../shared/data/video/dev/dev_0{16,20,24,26,28,29,31,41}.mp4
  nice -n 10 /usr/bin/python3 tools/train/sbi/train.py --crops /tmp/crops_utk /tmp/crops_orl /tmp/crops_dfd \
      --steps 7500 --seed 7 --models /tmp/sbi2/model

Writes models/face_sbi.onnx, .json (sidecar), .parity.json; prints the held-out SBI AUC (10% of
the crops, a sanity check on synthetic fakes, not a detection figure).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from sbi_data import SIZE, post_process, read_index, self_blend  # noqa: E402
from contract import parity_image, parity_tensor  # noqa: E402
from shared_nn import Block  # noqa: E402

torch.set_num_threads(1)
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]
SCALE = 1.0 / 255.0
ALLOWED = {"Conv", "Relu", "BatchNormalization", "Add", "GlobalAveragePool", "Flatten", "Gemm"}


class FaceNet(nn.Module):
    """A small residual CNN trained from scratch (no pretrained weights exist here)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 1, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(),
                                  nn.Conv2d(24, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.blocks = nn.Sequential(Block(32, 48, 2), Block(48, 64, 2), Block(64, 96, 2), Block(96, 128, 1))
        self.fc = nn.Linear(128, 1)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


def to_tensor(batch):
    x = torch.from_numpy(np.stack(batch).astype(np.float32)).permute(0, 3, 1, 2) * SCALE
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def sample(rng, items, fake):
    it = items[int(rng.integers(0, len(items)))]
    img = self_blend(rng, it["img"], it["lm"], it.get("lm68")) if fake else it["img"]
    return post_process(rng, img)


def auc(pos, neg):
    d = np.asarray(pos)[:, None] - np.asarray(neg)[None, :]
    return float((d > 0).mean() + 0.5 * (d == 0).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crops", nargs="+", default=["/tmp/crops_utk", "/tmp/crops_orl"])
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--models", default="models")
    ap.add_argument("--save-pt", default="/tmp/face_sbi.pt")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    items = [it for d in args.crops for it in read_index(d)]
    order = rng.permutation(len(items))
    n_val = len(items) // 10
    val = [items[i] for i in order[:n_val]]
    train = [items[i] for i in order[n_val:]]
    print(f"{len(train)} training crops, {len(val)} held out", flush=True)

    net = FaceNet()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    t0, run = time.time(), 0.0
    for step in range(args.steps):
        net.train()
        xs = [sample(rng, train, i % 2 == 1) for i in range(args.batch)]
        ys = torch.tensor([i % 2 for i in range(args.batch)], dtype=torch.float32).view(-1, 1)
        loss = F.binary_cross_entropy_with_logits(net(to_tensor(xs)), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run = 0.95 * run + 0.05 * float(loss) if step else float(loss)
        if step % 100 == 0 or step == args.steps - 1:
            print(time.strftime("%H:%M:%S"), f"step {step}/{args.steps} loss {run:.3f} ({time.time() - t0:.0f}s)", flush=True)
    torch.save(net.state_dict(), args.save_pt)
    net.eval()

    # Sanity check on held-out faces: their SBI fakes against themselves (same seed each run).
    vr = np.random.default_rng(99)
    with torch.no_grad():
        real = [float(net(to_tensor([post_process(vr, it["img"])]))) for it in val]
        fake = [float(net(to_tensor([post_process(vr, self_blend(vr, it["img"], it["lm"], it.get("lm68")))]))) for it in val]
    print(f"held-out SBI AUC {auc(fake, real):.3f} (n={len(val)} + {len(val)})", flush=True)

    path = os.path.join(args.models, "face_sbi.onnx")
    dummy = torch.from_numpy(parity_tensor(SIZE, SIZE))
    torch.onnx.export(net, dummy, path, opset_version=11, do_constant_folding=True, input_names=["input"],
                      output_names=["logit"], training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    bad = [o for o in ops if o not in ALLOWED]
    print("onnx ops", ops, "bytes", os.path.getsize(path), "params", sum(p.numel() for p in net.parameters()))
    if bad:
        raise SystemExit(f"disallowed operators: {bad}")
    with torch.no_grad():
        tout = net(dummy).view(-1).tolist()
        img = parity_image(SIZE, SIZE)
        iout = float(net(to_tensor([img])))
    with open(os.path.join(args.models, "face_sbi.parity.json"), "w") as f:
        json.dump({"tensor_test": {"shape": [1, 3, SIZE, SIZE], "output": tout},
                   "image_test": {"width": SIZE, "height": SIZE, "score": iout, "crops": 1}}, f, indent=1)
        f.write("\n")
    sidecar = {"name": "face_sbi", "version": "1", "task": "manipulated",
               "description": "Face-swap blending detector trained on self-blended real faces (SBI)",
               "input": {"width": SIZE, "height": SIZE, "colour": "rgb", "scale": SCALE, "mean": MEAN, "std": STD,
                         "fit": "face"},
               "output": {"kind": "logit", "index": 0}, "aggregate": "mean"}
    with open(os.path.join(args.models, "face_sbi.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print("wrote", path, "tensor_test", tout, "image_test", iout)


if __name__ == "__main__":
    main()
