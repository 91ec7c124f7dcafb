"""ONNX lowerings of the ops that keep the shape (netspec/ops/elementwise.py), with
PyTorch's eval-mode semantics: the activations (those ONNX has, the rest composed:
relu6 as Clip, silu, scaled_tanh, GELU before opset 20, exact or tanh-approximated),
dropout as Identity, prelu, softmax, log_softmax, bn and lrn.

`bn` is BatchNormalization with the running statistics, or, where the spec keeps none,
the batch's own (PyTorch normalises with them even in eval mode), written out.
`lrn` follows nn.LocalResponseNorm's channel window (see `lrn`).

Assumes normalised attributes and the analysis's shapes. Guarantees PyTorch's outputs
with standard ONNX operators, parameters named by PyTorch's state_dict keys.
"""

from __future__ import annotations

from math import pi, prod, sqrt

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import channel_view, lowers
from netspec.ir import Node

_SAME = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "identity": "Identity",
         "dropout": "Identity"}  # fmt: skip


@lowers(*_SAME)
def same(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op(_SAME[node.op], xs, y)


@lowers("relu6", "gelu", "silu", "scaled_tanh")
def composed(em: Emitter, node: Node, xs, ins, out, y) -> None:
    x, a = xs[0], node.attrs
    if node.op == "relu6":
        em.op("Clip", [x, em.const("min", 0.0), em.const("max", 6.0)], y)
    elif node.op == "silu":
        em.op("Mul", [x, em.op("Sigmoid", [x])], y)
    elif node.op == "scaled_tanh":
        em.op(
            "Mul",
            [em.const("a", a["a"]), em.op("Tanh", [em.op("Mul", [em.const("s", a["s"]), x])])],
            y,
        )
    elif em.opset >= 20:
        # approximate="none" is the attribute's default: exact gelu's node stays as it was
        tanh = a["approximate"] == "tanh"
        em.op("Gelu", [x], y, approximate="tanh" if tanh else None)
    elif a["approximate"] == "tanh":
        _gelu_tanh(em, x, y)
    else:  # exact GELU: x * (1 + erf(x / sqrt 2)) / 2
        erf = em.op("Erf", [em.op("Div", [x, em.const("sqrt2", sqrt(2.0))])])
        half = em.op("Mul", [x, em.const("half", 0.5)])
        em.op("Mul", [half, em.op("Add", [erf, em.const("one", 1.0)])], y)


def _gelu_tanh(em: Emitter, x: str, y: str) -> None:
    """x * (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2, as PyTorch's approximate="tanh"."""
    cube = em.op("Mul", [em.op("Mul", [x, x]), x])
    inner = em.op("Add", [x, em.op("Mul", [cube, em.const("c", 0.044715)])])
    tanh = em.op("Tanh", [em.op("Mul", [inner, em.const("sqrt2_pi", sqrt(2.0 / pi))])])
    half = em.op("Mul", [x, em.const("half", 0.5)])
    em.op("Mul", [half, em.op("Add", [tanh, em.const("one", 1.0)])], y)


@lowers("leaky_relu", "elu", "softmax", "log_softmax")
def with_argument(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    if node.op == "leaky_relu":
        em.op("LeakyRelu", xs, y, alpha=a["slope"])
    elif node.op == "elu":
        em.op("Elu", xs, y, alpha=a["alpha"])
    else:
        em.op("Softmax" if node.op == "softmax" else "LogSoftmax", xs, y, axis=a["dim"])


@lowers("prelu")
def prelu(em: Emitter, node: Node, xs, ins, out, y) -> None:
    c = 1 if node.attrs["shared"] else ins[0][1]
    slope = em.param(f"{node.path}.weight", (c,), "quarter")
    em.op("PRelu", [xs[0], channel_view(em, slope, len(ins[0]))], y)


@lowers("bn")
def bn(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, c, p, rank = node.attrs, ins[0][1], node.path, len(ins[0])
    if a["affine"]:
        scale, shift = em.param(f"{p}.weight", (c,), "ones"), em.param(f"{p}.bias", (c,), "zeros")
    else:
        scale, shift = em.const("ones", np.ones(c)), em.const("zeros", np.zeros(c))
    if a["track_running_stats"]:
        mean = em.param(f"{p}.running_mean", (c,), "zeros")
        var = em.param(f"{p}.running_var", (c,), "ones")
        em.op("BatchNormalization", [xs[0], scale, shift, mean, var], y, epsilon=a["eps"])
        return
    # no running statistics: PyTorch normalises with the batch's, even in eval mode
    axes = [0, *range(2, rank)]
    centred = em.op("Sub", [xs[0], em.reduce("ReduceMean", xs[0], axes)])
    var = em.reduce("ReduceMean", em.op("Mul", [centred, centred]), axes)
    std = em.op("Sqrt", [em.op("Add", [var, em.const("eps", a["eps"])])])
    normal = em.op("Div", [centred, std])
    scaled = em.op("Mul", [normal, channel_view(em, scale, rank)])
    em.op("Add", [scaled, channel_view(em, shift, rank)], y)


@lowers("lrn")
def lrn(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """PyTorch's window is channels [c - size//2, c + (size-1)//2], ONNX LRN's
    [c - (size-1)//2, c + size//2]: the same for odd sizes, where LRN runs on the input
    viewed as 4-d (onnxruntime's LRN takes only 4-d). For even sizes the sum of squares
    is written out (Pad, one Slice per tap)."""
    a, x = node.attrs, list(ins[0])
    if a["size"] % 2 == 1:
        view = x[:4] if len(x) >= 4 else x + [1] * (4 - len(x))
        if len(x) > 4:
            view = x[:3] + [prod(x[3:])]
        flat = _reshape(em, xs[0], x, view)
        normal = em.op("LRN", [flat], y if view == x else None, size=a["size"],
                       alpha=a["alpha"], beta=a["beta"], bias=a["k"])  # fmt: skip
        if view != x:
            _reshape(em, normal, view, x, y)
        return
    _lrn_written_out(em, xs[0], len(x), a, y)


def _reshape(em: Emitter, x: str, x_shape: list, shape: list, y: str | None = None) -> str:
    """Reshape to `shape`, whose symbolic dims are the input's at the same place."""
    if x_shape == shape and y is None:
        return x
    dims = [0 if isinstance(d, str) else d for d in shape]
    return em.op("Reshape", [x, em.ints("shape", dims)], y)


def _lrn_written_out(em: Emitter, x: str, rank: int, a, y: str) -> None:
    size = a["size"]
    squares = em.op("Mul", [x, x])
    pad = [0] * (2 * rank)
    pad[1], pad[rank + 1] = size // 2, (size - 1) // 2
    padded = em.op("Pad", [squares, em.ints("pads", pad)])
    total = None
    for s in range(size):
        end = s - (size - 1) if s < size - 1 else 2**62
        part = em.op("Slice", [padded, em.ints("start", [s]), em.ints("end", [end]),
                               em.ints("axis1", [1])])  # fmt: skip
        total = part if total is None else em.op("Add", [total, part])
    mean = em.op("Div", [total, em.const("size", float(size))])
    base = em.op(
        "Add", [em.op("Mul", [mean, em.const("alpha", a["alpha"])]), em.const("k", a["k"])]
    )
    em.op("Div", [x, em.op("Pow", [base, em.const("beta", a["beta"])])], y)
