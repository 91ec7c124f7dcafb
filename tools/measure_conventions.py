"""Measure what torchinfo, fvcore and torch.utils.flop_counter report, for netspec's
compatibility conventions.

A development tool, not run by CI. It needs torch, torchvision, torchinfo and fvcore
(torchinfo 1.8.0 and fvcore 0.1.5 were used); run it from the repository root with the
python of such an environment:

    python tools/measure_conventions.py                 # writes tests/data/conventions.json
    python tools/measure_conventions.py --out FILE      # somewhere else
    python tools/measure_conventions.py --skip-networks # single-module cases only

If torchvision's C extension does not load (a CPU-only torch with a CUDA torchvision),
put a module that stubs ``torch.library.register_fake`` before importing torchvision on
the path and name it with ``--shim`` (default: ``tvshim`` if importable).

What it records (every figure comes from running the real tools):

* ``modules``: single-module models (one PyTorch module, or a tiny custom module),
  each at batch 1 and batch 2. For each: torchinfo's ``total_mult_adds`` and the
  ``macs`` of every ``summary_list`` row, fvcore ``FlopCountAnalysis`` total /
  by_operator / unsupported ops with the model in eval mode and in train mode, and
  ``torch.utils.flop_counter.FlopCounterMode`` totals (eval and train). ``desc`` says
  in netspec terms what the case is.
* ``networks``: torchvision models at [1, 3, 224, 224]: parameters, buffers, torchinfo
  ``total_mult_adds`` (torchinfo puts the model in eval mode itself), fvcore totals in
  eval mode and in train mode (the model as constructed), fvcore by_operator (eval),
  FlopCounterMode total (eval) and the dense conv + linear multiply-adds with bias
  excluded (weight taps, padding taps included, measured with forward hooks).
* ``formulas``: the per-layer formulas of each tool, with file:line in the installed
  sources, which the measured figures confirm.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata as md
import json
import math
import platform
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "data" / "conventions.json"

NETWORKS = [
    "alexnet",
    "vgg16",
    "vgg16_bn",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "mobilenet_v2",
    "densenet121",
    "squeezenet1_1",
]

# ---------------------------------------------------------------------------------------
# Custom modules: what each tool does with modules (and ops) it does not know.


class Affine(nn.Module):
    """x * coef + bias, per channel; parameters named coef and bias."""

    def __init__(self, c):
        super().__init__()
        self.coef = nn.Parameter(torch.ones(c, 1, 1))
        self.bias = nn.Parameter(torch.zeros(c, 1, 1))

    def forward(self, x):
        return x * self.coef + self.bias


class AffineWB(nn.Module):
    """x * weight + bias, per channel; parameters named weight and bias."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c, 1, 1))
        self.bias = nn.Parameter(torch.zeros(c, 1, 1))

    def forward(self, x):
        return x * self.weight + self.bias


class Scale(nn.Module):
    """x * gamma (one parameter, not named weight or bias)."""

    def __init__(self, c):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(c, 1, 1))

    def forward(self, x):
        return x * self.gamma


class Add(nn.Module):
    def forward(self, a, b):
        return torch.add(a, b)


class Cat(nn.Module):
    def forward(self, a, b):
        return torch.cat([a, b], dim=1)


class Residual(nn.Module):
    """conv(bias=false) bn relu conv(bias=false) bn, plus the input, relu (ResNet basic)."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + x)


class ScaledConv(nn.Module):
    """A container with a parameter of its own (gamma) and a child conv: conv(x) * gamma."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.gamma = nn.Parameter(torch.ones(cout, 1, 1))

    def forward(self, x):
        return self.conv(x) * self.gamma


class SharedTwice(nn.Module):
    """The same Linear applied twice: fc(fc(x))."""

    def __init__(self, f):
        super().__init__()
        self.fc = nn.Linear(f, f)

    def forward(self, x):
        return self.fc(self.fc(x))


class Matmul(nn.Module):
    def __init__(self, f, o):
        super().__init__()
        self.w = nn.Parameter(torch.randn(f, o))

    def forward(self, x):
        return x @ self.w


# ---------------------------------------------------------------------------------------
# Single-module cases: (id, desc, builder, input shape without batch [or list of them]).


def _cases():
    C = []

    def case(cid, desc, build, shape):
        C.append((cid, desc, build, shape))

    # Convolutions
    case(
        "conv2d_k3_p1_bias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "padding": 1, "bias": True},
        lambda: nn.Conv2d(3, 8, 3, padding=1),
        [3, 32, 32],
    )
    case(
        "conv2d_k3_p1_nobias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "padding": 1, "bias": False},
        lambda: nn.Conv2d(3, 8, 3, padding=1, bias=False),
        [3, 32, 32],
    )
    case(
        "conv2d_k3_s2_bias",
        {"op": "conv", "out_channels": 16, "kernel": 3, "stride": 2, "bias": True},
        lambda: nn.Conv2d(3, 16, 3, stride=2),
        [3, 32, 32],
    )
    case(
        "conv2d_k3_d2_bias",
        {"op": "conv", "out_channels": 16, "kernel": 3, "dilation": 2, "bias": True},
        lambda: nn.Conv2d(3, 16, 3, dilation=2),
        [3, 32, 32],
    )
    case(
        "conv2d_k3_p1_g16_bias",
        {"op": "conv", "out_channels": 32, "kernel": 3, "padding": 1, "groups": 16, "bias": True},
        lambda: nn.Conv2d(16, 32, 3, padding=1, groups=16),
        [16, 14, 14],
    )
    case(
        "conv2d_dw_k3_p1_nobias",
        {"op": "conv", "out_channels": 16, "kernel": 3, "padding": 1, "groups": 16, "bias": False},
        lambda: nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False),
        [16, 14, 14],
    )
    case(
        "conv2d_k3x5_p1x2_bias",
        {"op": "conv", "out_channels": 16, "kernel": [3, 5], "padding": [1, 2], "bias": True},
        lambda: nn.Conv2d(3, 16, (3, 5), padding=(1, 2)),
        [3, 32, 32],
    )
    case(
        "conv1d_k3_bias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "bias": True},
        lambda: nn.Conv1d(4, 8, 3),
        [4, 10],
    )
    case(
        "conv1d_k3_nobias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "bias": False},
        lambda: nn.Conv1d(4, 8, 3, bias=False),
        [4, 10],
    )
    case(
        "conv3d_k3_bias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "bias": True},
        lambda: nn.Conv3d(4, 8, 3),
        [4, 6, 8, 8],
    )
    case(
        "conv3d_k3_p1_s2_nobias",
        {"op": "conv", "out_channels": 8, "kernel": 3, "stride": 2, "padding": 1, "bias": False},
        lambda: nn.Conv3d(4, 8, 3, stride=2, padding=1, bias=False),
        [4, 6, 8, 8],
    )
    # Transposed convolutions
    case(
        "convT2d_k2_s2_bias",
        {"op": "conv_transpose", "out_channels": 64, "kernel": 2, "stride": 2, "bias": True},
        lambda: nn.ConvTranspose2d(128, 64, 2, stride=2),
        [128, 16, 16],
    )
    case(
        "convT2d_k4_s2_p1_nobias",
        {
            "op": "conv_transpose",
            "out_channels": 64,
            "kernel": 4,
            "stride": 2,
            "padding": 1,
            "bias": False,
        },
        lambda: nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
        [128, 16, 16],
    )
    case(
        "convT2d_k3_s2_p1_op1_bias",
        {
            "op": "conv_transpose",
            "out_channels": 64,
            "kernel": 3,
            "stride": 2,
            "padding": 1,
            "output_padding": 1,
            "bias": True,
        },
        lambda: nn.ConvTranspose2d(128, 64, 3, stride=2, padding=1, output_padding=1),
        [128, 16, 16],
    )
    case(
        "convT2d_k3_g2_bias",
        {"op": "conv_transpose", "out_channels": 64, "kernel": 3, "groups": 2, "bias": True},
        lambda: nn.ConvTranspose2d(128, 64, 3, groups=2),
        [128, 16, 16],
    )
    case(
        "convT1d_k3_s2_bias",
        {"op": "conv_transpose", "out_channels": 1, "kernel": 3, "stride": 2, "bias": True},
        lambda: nn.ConvTranspose1d(1, 1, 3, stride=2),
        [1, 3],
    )
    # Linear
    case(
        "linear_bias",
        {"op": "linear", "out_features": 10, "bias": True},
        lambda: nn.Linear(100, 10),
        [100],
    )
    case(
        "linear_nobias",
        {"op": "linear", "out_features": 10, "bias": False},
        lambda: nn.Linear(100, 10, bias=False),
        [100],
    )
    case(
        "linear_3d_bias",
        {"op": "linear", "out_features": 32, "bias": True, "note": "input [N, L, F]"},
        lambda: nn.Linear(64, 32),
        [7, 64],
    )
    case(
        "linear_3d_nobias",
        {"op": "linear", "out_features": 32, "bias": False, "note": "input [N, L, F]"},
        lambda: nn.Linear(64, 32, bias=False),
        [7, 64],
    )
    case(
        "linear_4d_bias",
        {"op": "linear", "out_features": 6, "bias": True, "note": "input [N, A, B, F]"},
        lambda: nn.Linear(5, 6),
        [3, 4, 5],
    )
    case(
        "matmul_param",
        {"op": "custom", "note": "x @ w, w a parameter [64, 32] named w (no nn.Linear)"},
        lambda: Matmul(64, 32),
        [7, 64],
    )
    # Batch norm
    case("bn2d", {"op": "bn", "affine": True}, lambda: nn.BatchNorm2d(8), [8, 16, 16])
    case(
        "bn2d_noaffine",
        {"op": "bn", "affine": False},
        lambda: nn.BatchNorm2d(8, affine=False),
        [8, 16, 16],
    )
    case(
        "bn1d_2d_input",
        {"op": "bn", "affine": True, "note": "input [N, C]"},
        lambda: nn.BatchNorm1d(20),
        [20],
    )
    case(
        "bn1d_3d_input",
        {"op": "bn", "affine": True, "note": "input [N, C, L]"},
        lambda: nn.BatchNorm1d(8),
        [8, 12],
    )
    case("bn3d", {"op": "bn", "affine": True}, lambda: nn.BatchNorm3d(4), [4, 4, 6, 6])
    # Other norms
    case(
        "layernorm",
        {"op": "custom", "note": "nn.LayerNorm(16) on [N, 8, 16]"},
        lambda: nn.LayerNorm(16),
        [8, 16],
    )
    case(
        "groupnorm",
        {"op": "custom", "note": "nn.GroupNorm(2, 8) on [N, 8, 16, 16]"},
        lambda: nn.GroupNorm(2, 8),
        [8, 16, 16],
    )
    case(
        "lrn",
        {"op": "lrn", "size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
        lambda: nn.LocalResponseNorm(5),
        [16, 13, 13],
    )
    # Activations
    for name, mod, d in [
        ("relu", nn.ReLU, {"op": "relu"}),
        ("relu_inplace", lambda: nn.ReLU(inplace=True), {"op": "relu", "note": "inplace=True"}),
        ("relu6", nn.ReLU6, {"op": "relu6"}),
        ("leaky_relu", nn.LeakyReLU, {"op": "leaky_relu"}),
        ("elu", nn.ELU, {"op": "elu"}),
        ("sigmoid", nn.Sigmoid, {"op": "sigmoid"}),
        ("tanh", nn.Tanh, {"op": "tanh"}),
        ("gelu", nn.GELU, {"op": "gelu"}),
        ("silu", nn.SiLU, {"op": "silu"}),
        ("hardswish", nn.Hardswish, {"op": "custom", "note": "nn.Hardswish"}),
    ]:
        case(name, d, mod, [8, 16, 16])
    case("prelu_shared", {"op": "prelu", "shared": True}, lambda: nn.PReLU(), [8, 16, 16])
    case("prelu_channel", {"op": "prelu", "shared": False}, lambda: nn.PReLU(8), [8, 16, 16])
    case("softmax", {"op": "softmax", "dim": 1}, lambda: nn.Softmax(dim=1), [10])
    case("softmax_4d", {"op": "softmax", "dim": 1}, lambda: nn.Softmax(dim=1), [8, 4, 4])
    case("log_softmax", {"op": "log_softmax", "dim": 1}, lambda: nn.LogSoftmax(dim=1), [10])
    case("dropout", {"op": "dropout", "p": 0.5}, lambda: nn.Dropout(0.5), [100])
    case(
        "dropout2d",
        {"op": "custom", "note": "nn.Dropout2d(0.5)"},
        lambda: nn.Dropout2d(0.5),
        [8, 16, 16],
    )
    case("flatten", {"op": "flatten"}, lambda: nn.Flatten(), [8, 4, 4])
    case("identity", {"op": "identity"}, lambda: nn.Identity(), [8, 4, 4])
    # Pools
    case("maxpool2d_k2", {"op": "maxpool", "kernel": 2}, lambda: nn.MaxPool2d(2), [64, 112, 112])
    case(
        "maxpool2d_k3_s2_p1",
        {"op": "maxpool", "kernel": 3, "stride": 2, "padding": 1},
        lambda: nn.MaxPool2d(3, 2, 1),
        [64, 112, 112],
    )
    case("avgpool2d_k2", {"op": "avgpool", "kernel": 2}, lambda: nn.AvgPool2d(2), [64, 112, 112])
    case(
        "avgpool2d_k3_s2_p1",
        {"op": "avgpool", "kernel": 3, "stride": 2, "padding": 1},
        lambda: nn.AvgPool2d(3, 2, 1),
        [64, 112, 112],
    )
    case(
        "adaptive_avgpool2d_1",
        {"op": "adaptive_avgpool", "size": 1, "alias": "global_avgpool"},
        lambda: nn.AdaptiveAvgPool2d(1),
        [512, 7, 7],
    )
    case(
        "adaptive_avgpool2d_7_same",
        {"op": "adaptive_avgpool", "size": 7, "note": "input already 7x7"},
        lambda: nn.AdaptiveAvgPool2d(7),
        [512, 7, 7],
    )
    case(
        "adaptive_avgpool2d_6_from13",
        {"op": "adaptive_avgpool", "size": 6},
        lambda: nn.AdaptiveAvgPool2d(6),
        [256, 13, 13],
    )
    case(
        "adaptive_maxpool2d_1",
        {"op": "adaptive_maxpool", "size": 1, "alias": "global_maxpool"},
        lambda: nn.AdaptiveMaxPool2d(1),
        [512, 7, 7],
    )
    case("maxpool1d_k2", {"op": "maxpool", "kernel": 2}, lambda: nn.MaxPool1d(2), [4, 10])
    case("avgpool3d_k2", {"op": "avgpool", "kernel": 2}, lambda: nn.AvgPool3d(2), [4, 4, 6, 6])
    # Upsampling
    case(
        "upsample_nearest_x2",
        {"op": "upsample", "scale": 2, "mode": "nearest"},
        lambda: nn.Upsample(scale_factor=2, mode="nearest"),
        [8, 16, 16],
    )
    case(
        "upsample_bilinear_x2",
        {"op": "upsample", "scale": 2, "mode": "bilinear", "note": "align_corners=False"},
        lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
        [8, 16, 16],
    )
    case(
        "upsample_bilinear_x2_ac",
        {"op": "upsample", "scale": 2, "mode": "bilinear", "note": "align_corners=True"},
        lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
        [8, 16, 16],
    )
    case(
        "upsample_nearest1d_x2",
        {"op": "upsample", "scale": 2, "mode": "nearest"},
        lambda: nn.Upsample(scale_factor=2, mode="nearest"),
        [4, 10],
    )
    # Merges
    case(
        "add_two",
        {"op": "add", "note": "torch.add(a, b), two inputs of the same shape"},
        lambda: Add(),
        [[8, 16, 16], [8, 16, 16]],
    )
    case(
        "cat_two",
        {"op": "concat", "dim": 1, "note": "torch.cat([a, b], 1)"},
        lambda: Cat(),
        [[8, 16, 16], [4, 16, 16]],
    )
    # Custom modules
    case(
        "custom_affine_coef_bias",
        {"op": "custom", "note": "x * self.coef + self.bias, coef and bias [C, 1, 1]"},
        lambda: Affine(8),
        [8, 16, 16],
    )
    case(
        "custom_affine_weight_bias",
        {"op": "custom", "note": "x * self.weight + self.bias, weight and bias [C, 1, 1]"},
        lambda: AffineWB(8),
        [8, 16, 16],
    )
    case(
        "custom_scale_gamma",
        {"op": "custom", "note": "x * self.gamma, gamma [C, 1, 1]"},
        lambda: Scale(8),
        [8, 16, 16],
    )
    # Containers
    case(
        "seq_conv_bn_relu",
        {
            "op": "sequence",
            "body": [
                {"op": "conv", "out_channels": 8, "kernel": 3, "padding": 1, "bias": False},
                {"op": "bn"},
                {"op": "relu"},
            ],
        },
        lambda: nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU()
        ),
        [3, 32, 32],
    )
    case(
        "residual_basic",
        {
            "op": "add",
            "note": "ResNet basic block, identity shortcut: "
            "conv(16,3,padding=1,bias=false) bn relu conv(16,3,padding=1,bias=false) bn | "
            "identity, then relu",
        },
        lambda: Residual(16),
        [16, 8, 8],
    )
    case(
        "container_own_param",
        {
            "op": "custom",
            "note": "container: conv(8, 3, padding=1) child, output * self.gamma [C,1,1] (gamma "
            "on the container)",
        },
        lambda: ScaledConv(3, 8),
        [3, 16, 16],
    )
    case(
        "linear_shared_twice",
        {"op": "custom", "note": "the same nn.Linear(16, 16) applied twice"},
        lambda: SharedTwice(16),
        [16],
    )
    return C


# ---------------------------------------------------------------------------------------
# Measurements


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "item"):
        return _num(v.item())
    return v


def _fmt(v):
    return "(error)" if v is None else f"{v:,}"


def _counter(c):
    return {str(k): _num(v) for k, v in sorted(dict(c).items())}


def _inputs(shapes):
    return tuple(torch.randn(*s) for s in shapes)


def measure_torchinfo(model, shapes):
    import torchinfo

    s = torchinfo.summary(model, input_size=[tuple(s) for s in shapes], verbose=0)
    rows = [
        {
            "class": r.class_name,
            "var_name": r.var_name,
            "depth": r.depth,
            "leaf": r.is_leaf_layer,
            "recursive": r.is_recursive,
            "output_size": list(r.output_size),
            "macs": int(r.macs),
        }
        for r in s.summary_list
    ]
    return {
        "total_mult_adds": int(s.total_mult_adds),
        "total_params": int(s.total_params),
        "rows": rows,
    }


def measure_fvcore(model, xs, train):
    from fvcore.nn import FlopCountAnalysis

    model.train(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa = FlopCountAnalysis(model, xs if len(xs) > 1 else xs[0])
        fa.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        total = fa.total()
        return {
            "total": _num(total),
            "by_operator": _counter(fa.by_operator()),
            "unsupported_ops": _counter(fa.unsupported_ops()),
        }


def measure_flop_counter(model, xs, train):
    from torch.utils.flop_counter import FlopCounterMode

    model.train(train)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(*xs)
    by_op = {str(k): int(v) for k, v in fc.get_flop_counts().get("Global", {}).items()}
    return {"total": int(fc.get_total_flops()), "by_operator": by_op}


def dense_conv_linear_macs(model, xs):
    """Multiply-adds of every Conv*/ConvTranspose*/Linear, weight taps only (bias excluded,
    taps on padding included), and the bias additions separately."""
    total = {"macs": 0, "bias_adds": 0}

    def hook(mod, inp, out):
        x = inp[0]
        k = math.prod(mod.kernel_size) if hasattr(mod, "kernel_size") else 1
        if isinstance(mod, nn.Linear):
            total["macs"] += out.numel() * mod.in_features
        elif isinstance(mod, nn.modules.conv._ConvTransposeNd):
            total["macs"] += x.numel() * (mod.out_channels // mod.groups) * k
        else:
            total["macs"] += out.numel() * (mod.in_channels // mod.groups) * k
        if mod.bias is not None:
            total["bias_adds"] += out.numel()

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd))
    ]
    model.eval()
    with torch.no_grad():
        model(*xs)
    for h in handles:
        h.remove()
    return total


# ---------------------------------------------------------------------------------------
# The formulas, re-implemented independently of the tools; every measured figure is
# checked against them (entry["predicted"], entry["formulas_match"]).


def predict_torchinfo(model, xs):
    """torchinfo: per call of a leaf module (no children), from its parameters and output."""
    total = [0]

    def hook(mod, inp, out):
        o = list(out.shape)
        macs = 0
        for name, p in mod.named_parameters():
            if name in ("weight", "bias"):
                if "Conv" in type(mod).__name__:
                    macs += p.numel() * o[0] * math.prod(o[2:])
                else:
                    macs += p.numel() * o[0]
            elif "weight" in name or "bias" in name:
                macs += p.numel() * o[0] * o[1]
        total[0] += macs

    handles = [m.register_forward_hook(hook) for m in model.modules() if not any(m.children())]
    model.eval()
    with torch.no_grad():
        model(*xs)
    for h in handles:
        h.remove()
    return total[0]


def _shape(v):
    return list(v.shape) if isinstance(v, torch.Tensor) else None


class _Calls(torch.overrides.TorchFunctionMode):
    """Records the outermost torch / torch.nn.functional calls with their shapes."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", str(func))
        self.calls.append(
            (
                name,
                [_shape(a) for a in args],
                {k: (_shape(v) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()},
                args,
                kwargs,
                _shape(out) if isinstance(out, torch.Tensor) else None,
            )
        )
        return out


def _arg(args, kwargs, i, name, default=None):
    return args[i] if len(args) > i else kwargs.get(name, default)


def predict_ops(model, xs, train):
    """fvcore and FlopCounterMode totals from the functional calls of one forward pass."""
    model.train(train)
    fv = fc = 0
    with torch.no_grad(), _Calls() as rec:
        model(*xs)
    for name, shapes, _, args, kwargs, out in rec.calls:
        x = shapes[0] if shapes else None
        if name in ("conv1d", "conv2d", "conv3d"):
            m = x[0] * math.prod(shapes[1]) * math.prod(out[2:])
            fv, fc = fv + m, fc + 2 * m
        elif name.startswith("conv_transpose"):
            m = x[0] * math.prod(shapes[1]) * math.prod(x[2:])
            fv, fc = fv + m, fc + 2 * m
        elif name == "linear":
            w = shapes[1]
            m = math.prod(x) * w[0]
            fv, fc = fv + m, fc + 2 * m
        elif name in ("matmul", "__matmul__"):
            m = math.prod(x) * shapes[1][-1]
            fv, fc = fv + m, fc + 2 * m
        elif name == "batch_norm":
            training = _arg(args, kwargs, 5, "training", False)
            affine = _arg(args, kwargs, 3, "weight") is not None
            fv += math.prod(x) * ((5 if affine else 4) if training else (2 if affine else 1))
        elif name in ("layer_norm", "group_norm"):
            affine = _arg(args, kwargs, 2, "weight") is not None
            fv += math.prod(x) * (5 if affine else 4)
        elif name == "interpolate" and len(x) == 4:
            mode = _arg(args, kwargs, 3, "mode", "nearest")
            fv += math.prod(out) * {"nearest": 1, "bilinear": 4}.get(mode, 0)
        elif name == "adaptive_avg_pool2d":
            fv += math.prod(x)
    return fv, fc


def predictions(model, xs):
    fv_eval, fc_eval = predict_ops(model, xs, train=False)
    try:
        fv_train, _ = predict_ops(model, xs, train=True)
    except Exception:  # noqa: BLE001 - BatchNorm1d on [1, C] in train mode
        fv_train = None
    return {
        "torchinfo_macs": predict_torchinfo(model, xs),
        "fvcore_eval": fv_eval,
        "fvcore_train": fv_train,
        "flop_counter": fc_eval,
    }


def check(entry, pred, keys):
    entry["predicted"] = pred
    bad = [k for k, mk in keys if entry.get(mk) != pred[k]]
    entry["formulas_match"] = not bad
    if bad:
        print(
            f"  MISMATCH {entry.get('id', entry.get('name'))}: "
            + ", ".join(
                f"{k} measured {entry.get(mk)} predicted {pred[k]}" for k, mk in keys if k in bad
            )
        )


def _or_error(f, *a, **k):
    """Run a measurement; a failure (BatchNorm1d on [1, C] in train mode) is recorded."""
    try:
        return f(*a, **k)
    except Exception as e:  # noqa: BLE001 - recorded, not hidden
        return {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}


def measure_module(cid, desc, build, shape, batch):
    torch.manual_seed(0)
    shapes = shape if isinstance(shape[0], list) else [shape]
    shapes = [[batch] + list(s) for s in shapes]
    model = build()
    xs = _inputs(shapes)
    entry = {
        "id": f"{cid}@n{batch}",
        "case": cid,
        "desc": desc,
        "module": repr(model).replace("\n", " "),
        "in": shapes[0] if len(shapes) == 1 else shapes,
        "batch": batch,
    }
    model.eval()
    with torch.no_grad():
        out = model(*xs)
    entry["out"] = list(out.shape)
    entry["params"] = sum(p.numel() for p in model.parameters())
    ti = measure_torchinfo(model, shapes)
    entry["torchinfo_macs"] = ti["total_mult_adds"]
    entry["torchinfo_rows"] = ti["rows"]
    fe = measure_fvcore(model, xs, train=False)
    ft = _or_error(measure_fvcore, model, xs, train=True)
    entry["fvcore_eval"] = fe["total"]
    entry["fvcore_train"] = ft.get("total")
    entry["fvcore_eval_by_operator"] = fe["by_operator"]
    entry["fvcore_train_by_operator"] = ft.get("by_operator")
    if "error" in ft:
        entry["fvcore_train_error"] = ft["error"]
    entry["fvcore_unsupported_ops"] = fe["unsupported_ops"]
    if ft.get("unsupported_ops", fe["unsupported_ops"]) != fe["unsupported_ops"]:
        entry["fvcore_unsupported_ops_train"] = ft["unsupported_ops"]
    fce = measure_flop_counter(model, xs, train=False)
    fct = _or_error(measure_flop_counter, model, xs, train=True)
    entry["flop_counter"] = fce["total"]
    if fct.get("total") != fce["total"]:
        entry["flop_counter_train"] = fct.get("total")
    entry["flop_counter_by_operator"] = fce["by_operator"]
    entry["conv_linear_macs_nobias"] = dense_conv_linear_macs(model, xs)["macs"]
    keys = [(k, k) for k in ("torchinfo_macs", "fvcore_eval", "fvcore_train", "flop_counter")]
    check(entry, predictions(model, xs), keys)
    return entry


def measure_network(name):
    import torchvision

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    shape = [1, 3, 224, 224]
    x = torch.randn(*shape)
    t0 = time.perf_counter()
    entry = {
        "name": name,
        "in": shape,
        "params": sum(p.numel() for p in model.parameters()),
        "buffers": sum(b.numel() for b in model.buffers()),
    }
    ti = measure_torchinfo(model, [shape])
    entry["torchinfo_total_mult_adds"] = ti["total_mult_adds"]
    entry["torchinfo_total_params"] = ti["total_params"]
    # fvcore: train mode first = "as constructed" (torchvision builds models in train mode)
    ft = measure_fvcore(model, (x,), train=True)
    fe = measure_fvcore(model, (x,), train=False)
    entry["fvcore_eval"] = fe["total"]
    entry["fvcore_train"] = ft["total"]
    entry["fvcore_eval_by_operator"] = fe["by_operator"]
    entry["fvcore_train_by_operator"] = ft["by_operator"]
    entry["fvcore_unsupported_ops"] = fe["unsupported_ops"]
    fc = measure_flop_counter(model, (x,), train=False)
    entry["flop_counter"] = fc["total"]
    entry["flop_counter_by_operator"] = fc["by_operator"]
    dense = dense_conv_linear_macs(model, (x,))
    entry["conv_linear_macs_nobias"] = dense["macs"]
    entry["conv_linear_bias_adds"] = dense["bias_adds"]
    keys = [("torchinfo_macs", "torchinfo_total_mult_adds")] + [
        (k, k) for k in ("fvcore_eval", "fvcore_train", "flop_counter")
    ]
    check(entry, predictions(model, (x,)), keys)
    return entry, round(time.perf_counter() - t0, 1)


FORMULAS = {
    "torchinfo": {
        "source": "torchinfo 1.8.0: layer_info.py, model_statistics.py, torchinfo.py",
        "per_module": "LayerInfo.calculate_macs (layer_info.py:225-245), run in the forward hook "
        "of every module call (torchinfo.py:589-603); output_size = the shape of the module's "
        "output, batch included; it loops over module.named_parameters(), which is recursive",
        "conv": "class name contains 'Conv' (ConvNd, ConvTranspose*, or any leaf module whose "
        "class name has 'Conv'): each parameter named weight or bias counts numel * N * "
        "prod(out spatial) (layer_info.py:237-240), i.e. N*prod(out_sp)*(C_out*C_in/g*prod(k) "
        "+ C_out if bias)",
        "conv_transpose": "the same line: weight [C_in, C_out/g, k...] times the OUTPUT spatial "
        "size, stride^d times the true multiply count (more with padding/output_padding "
        "effects), plus C_out * N * prod(out spatial) for the bias",
        "other_weight_bias": "any other module: each parameter named exactly weight or bias "
        "counts output_size[0] * numel = N * numel (layer_info.py:241-242). Linear of any rank: "
        "N*(in*out + out), the L of [N, L, F] ignored; BatchNorm: N*2C (spatial size ignored; "
        "running stats are buffers, not counted; 0 without affine); PReLU: N*num_parameters; "
        "LayerNorm: N*2*normalized size; GroupNorm: N*2C",
        "other_params": "a parameter whose name contains weight or bias but is not exactly that "
        "(RNN weight_ih_l0, or a container's '0.weight') counts prod(output_size[:2]) * numel = "
        "N*C*numel (layer_info.py:244-245); a parameter with any other name (coef, gamma, w) "
        "counts 0",
        "no_params": "0: ReLU and all activations, pools, adaptive pools, upsample, softmax, "
        "dropout, flatten, LRN, torch.add, torch.cat",
        "total": "total_mult_adds sums the macs of LEAF rows only (model_statistics.py:31-33). "
        "A container's row has macs of its own (N*C_out*params of its children, through the "
        "dotted-name branch) that are not summed; a parameter held by a module that has children "
        "(a gamma on a block) is never counted; a module called twice is counted twice (one row "
        "per call, the second marked recursive); the model runs in eval mode under no_grad "
        "(torchinfo.py:198-199, 282-292)",
    },
    "fvcore": {
        "source": "fvcore 0.1.5: nn/flop_count.py, nn/jit_handles.py, nn/jit_analysis.py",
        "method": "traces the model with torch.jit in its current train/eval mode and counts the "
        "aten ops that have a handle (flop_count.py:26-44); one multiply-add = 1 flop. Ops in "
        "_IGNORED_OPS (jit_analysis.py:28-87) and prim:: ops are skipped silently "
        "(jit_analysis.py:638-649); any other op counts 0 with an 'Unsupported operator' "
        "warning (jit_analysis.py:577-581)",
        "conv": "aten::_convolution -> conv_flop_jit / conv_flop_count (jit_handles.py:127-171): "
        "N * prod(w_shape) * prod(out spatial) = N*prod(out_sp)*C_out*C_in/g*prod(k); bias "
        "ignored",
        "conv_transpose": "the same handle with transposed=True: N * prod(w_shape) * prod(INPUT "
        "spatial) = N*prod(in_sp)*C_in*C_out/g*prod(k); bias ignored",
        "linear": "aten::linear -> linear_flop_jit (jit_handles.py:99-110): prod(input shape) * "
        "out_features, all leading dims ([N, L, F] gives N*L*F*out); bias ignored. aten::addmm "
        "(jit_handles.py:82-96): M*K*N; aten::matmul / aten::mm (jit_handles.py:217-227): "
        "prod(A) * B[-1]",
        "batch_norm": "aten::batch_norm -> batchnorm_flop_jit (jit_handles.py:251-258), by the "
        "traced call's training flag: eval: numel(input) * (2 if affine else 1); train: "
        "norm_flop_counter(1): numel(input) * (5 if affine else 4) (jit_handles.py:230-248). In "
        "train mode the num_batches_tracked += 1 is an unsupported aten::add_ (0)",
        "group_norm/layer_norm/instance_norm": "numel(input) * (5 if affine else 4) "
        "(flop_count.py:37-39)",
        "upsample": "aten::upsample_nearest2d: numel(output); aten::upsample_bilinear2d: "
        "4 * numel(output) (flop_count.py:40-41, elementwise_flop_counter jit_handles.py:"
        "261-279); other upsample ops (nearest1d/3d, linear1d, trilinear, bicubic) are "
        "unsupported: 0",
        "adaptive_avg_pool2d": "numel(input) (flop_count.py:42); adaptive_avg_pool1d/3d "
        "unsupported: 0",
        "ignored_silently": "aten::relu, relu_, dropout, flatten, cat, clamp, clamp_, max, "
        "view/reshape/permute/transpose/t/size/slice/..., the full list is _IGNORED_OPS "
        "(jit_analysis.py:28-87): all 0",
        "unsupported_zero_with_warning": "seen here: max_pool1d/2d, avg_pool2d/3d, "
        "adaptive_max_pool2d, add, add_, mul, div, pow, pad, softmax, log_softmax, sigmoid, "
        "tanh, gelu, silu, elu, leaky_relu, hardtanh (ReLU6), hardswish, prelu, feature_dropout "
        "(Dropout2d), upsample_nearest1d: all 0",
        "total": "sum over all traced nodes; each op is counted once, in the module that called "
        "it and its ancestors",
    },
    "flop_counter": {
        "source": "torch 2.13 torch/utils/flop_counter.py",
        "method": "a TorchDispatchMode that counts only the registered aten ops (flop_registry, "
        "flop_counter.py:728-750) at 2 flops per multiply-add; everything else counts 0 "
        "(batch_norm, layer_norm, pools, activations, add, upsample, ...)",
        "conv": "conv_flop_count (flop_counter.py:131-167): 2 * N * prod(out spatial) * prod(k) "
        "* w_shape[0] * w_shape[1] = 2*N*prod(out_sp)*C_out*C_in/g*prod(k); bias ignored",
        "conv_transpose": "the same with prod(INPUT spatial): 2*N*prod(in_sp)*C_in*C_out/g*prod(k)",
        "linear": "mm / addmm / bmm (flop_counter.py:75-112): 2*M*K*N, bias ignored; an [N, L, F] "
        "input gives 2*N*L*F*out",
    },
}


def env_info():
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("torch", "torchvision", "torchinfo", "fvcore"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = importlib.import_module(pkg).__version__
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--shim", default="tvshim", help="module imported before torchvision, if importable"
    )
    ap.add_argument("--skip-networks", action="store_true")
    ap.add_argument("--networks", nargs="*", default=NETWORKS)
    args = ap.parse_args(argv)

    if args.shim:
        sys.path.insert(0, "/tmp")
        with contextlib.suppress(ImportError):
            importlib.import_module(args.shim)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    modules = []
    for cid, desc, build, shape in _cases():
        for batch in (1, 2):
            e = measure_module(cid, desc, build, shape, batch)
            modules.append(e)
            print(
                f"{e['id']:34s} torchinfo {e['torchinfo_macs']:>12,}  fvcore eval "
                f"{e['fvcore_eval']:>12,}"
                f"  train {_fmt(e['fvcore_train']):>12}  flop_counter {e['flop_counter']:>12,}",
                flush=True,
            )

    networks = []
    if not args.skip_networks:
        for name in args.networks:
            e, seconds = measure_network(name)
            networks.append(e)
            print(
                f"{name:14s} params {e['params']:>11,} torchinfo "
                f"{e['torchinfo_total_mult_adds']:>15,} "
                f"fvcore eval {e['fvcore_eval']:>15,} train {e['fvcore_train']:>15,} "
                f"flop_counter {e['flop_counter']:>15,} conv+linear "
                f"{e['conv_linear_macs_nobias']:>15,} "
                f"({seconds} s)",
                flush=True,
            )

    data = {
        "about": "Figures reported by torchinfo (summary(...).total_mult_adds), fvcore "
        "(FlopCountAnalysis(...).total()) and torch.utils.flop_counter.FlopCounterMode "
        "(get_total_flops(), 2 per multiply-add), measured with the real tools by "
        "tools/measure_conventions.py. Inputs are random; no figure depends on the values.",
        "command": "python tools/measure_conventions.py"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip(),
        "env": env_info(),
        "formulas": FORMULAS,
        "modules": modules,
        "networks": networks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
