"""Train the final zed model on all dev reals, calibrate on them, export ONNX + sidecar + parity.

usage (from the repo root):
  nice -n 10 /usr/bin/python3 tools/train/zed/export.py --steps 400 --seed 1 --models models
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zedlib as Z  # noqa: E402
from contract import parity_image, parity_tensor  # noqa: E402

torch.set_num_threads(1)


def tensor_test_input(h, w):
    return torch.from_numpy(parity_tensor(h, w))


def image_test_input():
    return parity_image()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=400)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--models', default='models')
    ap.add_argument('--work', default='/tmp/zedwork/final')
    ap.add_argument('--load', default='', help='skip training: load a state_dict saved by an earlier run')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    files = Z.dev_files()
    reals = [f for f in files if f['label'] == 'real']
    t0 = time.time()
    if a.load:
        model = Z.Zed()
        model.load_state_dict(torch.load(a.load))
        model.eval()
    else:
        bank, owner = Z.make_bank(reals, seed=a.seed)
        model = Z.train_model(reals, bank, owner, set(range(len(reals))), a.steps, seed=a.seed + 100, log=print)
    feats = [Z.image_features(model, Z.load_rgb(r['path'])) for r in reals]
    gw, gb, info = Z.fit_calibration(feats)
    Z.set_calibration(model, gw, gb)
    torch.save(model.state_dict(), os.path.join(a.work, 'final.pt'))
    print('trained+calibrated in %.0fs' % (time.time() - t0), info, gw, gb)

    ex = Z.ExportZed(model).eval()
    x = tensor_test_input(Z.H, Z.W)
    with torch.no_grad():
        ref = model(x).numpy().ravel()
        out = ex(x).numpy().ravel()
    assert np.allclose(ref, out, atol=1e-4), (ref, out)
    onnx_path = os.path.join(a.models, 'zed.onnx')
    torch.onnx.export(ex, x, onnx_path, opset_version=11, do_constant_folding=True,
                      input_names=['input'], output_names=['score'])
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    print('ONNX ops:', ops, 'size', os.path.getsize(onnx_path))
    allowed = {'Conv', 'Relu', 'Sigmoid', 'Softplus', 'Abs', 'Mul', 'Add',
               'GlobalAveragePool', 'Concat', 'Flatten', 'Gemm', 'Constant'}
    assert set(ops) <= allowed, set(ops) - allowed

    img = image_test_input()
    with torch.no_grad():
        xc = Z.crops_tensor(img)
        s_img = float(torch.cat([ex(xc[i:i + 1]) for i in range(len(xc))]).mean())
    parity = {'tensor_test': {'shape': [1, 3, Z.H, Z.W], 'output': [float(v) for v in out]},
              'image_test': {'width': 300, 'height': 260, 'score': s_img, 'crops': int(len(xc))}}
    with open(os.path.join(a.models, 'zed.parity.json'), 'w') as f:
        json.dump(parity, f, indent=1)
        f.write('\n')
    sidecar = {
        'name': 'zed', 'version': '1', 'task': 'synthetic',
        'description': 'Reals-only blind-spot pixel predictor: flags images whose pixels are more '
                       'predictable than natural photos of the same texture (ZED-style coding-cost gap).',
        'input': {'width': Z.W, 'height': Z.H, 'colour': 'rgb', 'scale': 0.00392156862745098,
                  'mean': [0.0, 0.0, 0.0], 'std': [1.0, 1.0, 1.0], 'fit': 'crops', 'max_crops': 9},
        'output': {'kind': 'logit', 'index': 0},
        'aggregate': 'mean',
    }
    with open(os.path.join(a.models, 'zed.json'), 'w') as f:
        json.dump(sidecar, f, indent=2)
        f.write('\n')
    with open(os.path.join(a.work, 'calibration.json'), 'w') as f:
        json.dump({'gw': list(map(float, gw)), 'gb': float(gb), 'info': info, 'ops': ops}, f, indent=1)
    print('parity', parity['image_test'], 'tensor', parity['tensor_test']['output'])


if __name__ == '__main__':
    main()
