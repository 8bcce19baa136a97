"""Small LCNN (light CNN with max-feature-map) on the 60 x 401 LFCC map; one spoof logit out.

Built only from operators OpenCV 4.6's ONNX importer handles: Conv, BatchNormalization, MaxPool,
Relu, Add, Sub, GlobalAveragePool, Flatten, Gemm. Max-feature-map is written without Max/Split:
two separate convolutions a and b, MFM(a, b) = b + relu(a - b) = max(a, b)."""
import torch
import torch.nn as nn


class MFMConv(nn.Module):
    def __init__(self, cin, cout, k, pad):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, k, padding=pad)
        self.b = nn.Conv2d(cin, cout, k, padding=pad)

    def forward(self, x):
        b = self.b(x)
        return b + torch.relu(self.a(x) - b)


class MFMLinear(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = nn.Linear(cin, cout)
        self.b = nn.Linear(cin, cout)

    def forward(self, x):
        b = self.b(x)
        return b + torch.relu(self.a(x) - b)


class LCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            MFMConv(1, 16, 5, 2), nn.MaxPool2d(2),                       # 30 x 200
            MFMConv(16, 16, 1, 0), nn.BatchNorm2d(16),
            MFMConv(16, 24, 3, 1), nn.MaxPool2d(2), nn.BatchNorm2d(24),  # 15 x 100
            MFMConv(24, 24, 1, 0), nn.BatchNorm2d(24),
            MFMConv(24, 32, 3, 1), nn.MaxPool2d(2),                      # 7 x 50
            MFMConv(32, 48, 1, 0), nn.BatchNorm2d(48),
            MFMConv(48, 64, 3, 1), nn.MaxPool2d(2), nn.BatchNorm2d(64),  # 3 x 25
            MFMConv(64, 64, 1, 0), nn.BatchNorm2d(64),
            MFMConv(64, 64, 3, 1),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), MFMLinear(64, 32),
                                  nn.Dropout(0.3), nn.Linear(32, 1))

    def forward(self, x):
        return self.head(self.net(x))


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def export_onnx(model, path):
    model.eval()
    x = torch.zeros(1, 1, 60, 401)
    torch.onnx.export(model, x, path, opset_version=11, input_names=["lfcc"], output_names=["logit"],
                      do_constant_folding=True)


def tensor_test_input():
    y = torch.arange(1, 61, dtype=torch.float64).view(60, 1)
    x = torch.arange(1, 402, dtype=torch.float64).view(1, 401)
    return torch.sin(0.01 * x + 0.02 * y).float().view(1, 1, 60, 401)
