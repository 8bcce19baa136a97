"""Final fit of the NPR-style detector on everything allowed, ONNX export, sidecar and parity file.

Trains on all gan_dev content crops (all 10 groups), simulated up-sampling fakes made from the
reals, the photos and the splicing_dev authentic pictures. diffusion_dev is never used.
Writes models/npr.onnx, models/npr.json, models/npr.parity.json and prints the operator list,
the 95th percentile of the training reals' scores and the CPU time per 1024x768 image.

Usage (from the repository root):
  nice -n 10 /usr/bin/python3 tools/train/npr/export.py --steps 800 --seed 4321
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (INFER, MAX_CROPS, MEAN, SCALE, STD, NPRNet, contract_crops,  # noqa: E402
                    load_all, score_image, to_tensor)
from train import train_model  # noqa: E402
from contract import parity_image, parity_tensor  # noqa: E402

torch.set_num_threads(1)
ALLOWED = {"Conv", "ConvTranspose", "Relu", "LeakyRelu", "BatchNormalization", "MaxPool",
           "AveragePool", "GlobalAveragePool", "Flatten", "Gemm", "Add", "Sub", "Mul", "Concat",
           "Sigmoid"}


def tensor_test(H, W):
    return parity_tensor(H, W)


def image_test():
    return parity_image()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--models", default="models")
    ap.add_argument("--save-pt", default="/tmp/npr_final.pt")
    ap.add_argument("--from-pt", default="",
                    help="skip training and load weights saved by an earlier run (--save-pt)")
    args = ap.parse_args()

    items = load_all()
    if args.from_pt:
        net = NPRNet()
        net.load_state_dict(torch.load(args.from_pt))
    else:
        t0 = time.time()
        net = train_model(items, args.steps, args.seed,
                          log=lambda s: print(time.strftime("%H:%M:%S"), s, flush=True))
        print(f"final training {time.time() - t0:.0f}s", flush=True)
        torch.save(net.state_dict(), args.save_pt)
    net.eval()
    net.fold_gain()

    # threshold suggestion: 95th percentile of the training reals' (in-sample) scores
    tr_real = {}
    for it in items:
        if it["label"] == 0:
            tr_real.setdefault(it["set"], []).append(score_image(net, it["img"])[0])
    allr = [s for v in tr_real.values() for s in v]
    thr = float(np.percentile(allr, 95))
    print(f"training reals: n={len(allr)} p95={thr:.4f} " +
          " ".join(f"{k}:median={np.median(v):.3f}" for k, v in tr_real.items()))

    os.makedirs(args.models, exist_ok=True)
    onnx_path = os.path.join(args.models, "npr.onnx")
    dummy = torch.from_numpy(tensor_test(INFER, INFER))
    torch.onnx.export(net, dummy, onnx_path, opset_version=11, do_constant_folding=True,
                      input_names=["input"], output_names=["logit"],
                      training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    counts = {o: sum(n.op_type == o for n in m.graph.node) for o in ops}
    bad = [o for o in ops if o not in ALLOWED]
    print("onnx ops:", counts, "size", os.path.getsize(onnx_path), "bytes")
    if bad:
        raise SystemExit(f"disallowed operators: {bad}")
    nparam = sum(p.numel() for p in net.parameters())
    print("parameters:", nparam)

    with torch.no_grad():
        tout = net(dummy).view(-1).tolist()
    img = image_test()
    score, ncrops = score_image(net, img)
    assert ncrops == len(contract_crops(img))
    parity = {"tensor_test": {"shape": [1, 3, INFER, INFER], "output": tout},
              "image_test": {"width": 300, "height": 260, "score": score, "crops": ncrops}}
    with open(os.path.join(args.models, "npr.parity.json"), "w") as f:
        json.dump(parity, f, indent=1)
        f.write("\n")
    sidecar = {
        "name": "npr", "version": "1", "task": "synthetic",
        "description": "NPR-style CNN on neighbouring-pixel residuals (x - nearest up(down(x))): "
                       "flags up-sampling traces of generated images",
        "input": {"width": INFER, "height": INFER, "colour": "rgb", "scale": SCALE,
                  "mean": MEAN, "std": STD, "fit": "crops", "max_crops": MAX_CROPS},
        "output": {"kind": "logit", "index": 0},
        "aggregate": "mean",
    }
    with open(os.path.join(args.models, "npr.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print("parity:", json.dumps(parity["image_test"]), "tensor out", tout)

    # CPU cost of one 1024x768 image (9 crops of INFER) on one thread, torch eager
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (768, 1024, 3), dtype=np.uint8)
    score_image(net, big)
    reps = 20
    t1 = time.perf_counter()
    for _ in range(reps):
        score_image(net, big)
    dt = (time.perf_counter() - t1) / reps
    print(f"seconds per 1024x768 image (crops={len(contract_crops(big))}, 1 thread): {dt:.4f}")
    with open("/tmp/npr_export_summary.json", "w") as f:
        json.dump({"ops": counts, "params": nparam, "thr95_train_reals": thr,
                   "sec_per_1024x768": dt, "onnx_bytes": os.path.getsize(onnx_path),
                   "train_real_medians": {k: float(np.median(v)) for k, v in tr_real.items()}},
                  f, indent=1)


if __name__ == "__main__":
    main()
