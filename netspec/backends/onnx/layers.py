"""Each op's ONNX lowering (pooling: onnx_pool.py, normalisation: onnx_norm.py,
upsample: onnx_upsample.py), computing what the PyTorch
lowering computes (docs/torch.md) with standard ONNX operators only.

A lowering takes the :class:`Emitter`, the node, its input tensor names, the input and
output shapes (from the analysis: never recomputed) and the name its last node must
write. Inference semantics: batch normalisation with running statistics (batch
statistics when the spec keeps none, as PyTorch's eval mode does), dropout is Identity.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod, sqrt

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.registry import registrar
from netspec.errors import error
from netspec.ir import Node
from netspec.values import Shape

Lowering = Callable[[Emitter, Node, list[str], tuple[Shape, ...], Shape, str], None]
LOWERINGS: dict[str, Lowering] = {}

lowers = registrar(LOWERINGS)


def pads(pairs) -> list[int]:
    """Per-axis (before, after) pairs as ONNX pads: all befores, then all afters."""
    return [b for b, _ in pairs] + [a for _, a in pairs]


def channel_view(em: Emitter, vector: str, rank: int) -> str:
    """A [C] vector shaped [C, 1, ...] to broadcast along axis 1 of a rank-`rank` tensor."""
    if rank <= 2:
        return vector
    return em.unsqueeze(vector, list(range(1, rank - 1)))


# --- convolutions ------------------------------------------------------------------------


def _conv_attrs(a) -> dict:
    return {
        "kernel_shape": list(a["kernel"]),
        "strides": list(a["stride"]),
        "dilations": list(a["dilation"]),
        "pads": pads(a["padding"]),
    }


@lowers("conv")
def conv(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, x, p = node.attrs, ins[0], node.path
    fan_in = x[1] // a["groups"] * prod(a["kernel"])
    if a["connect"] is None:
        w = em.param(f"{p}.weight", (a["out"], x[1] // a["groups"], *a["kernel"]), fan_in=fan_in)
    else:
        w = _table_weight(em, node, x[1])
    inputs = [x_ for x_ in (xs[0], w)]
    if a["bias"]:
        inputs.append(em.param(f"{p}.bias", (a["out"],), fan_in=fan_in))
    em.op("Conv", inputs, y, group=a["groups"], **_conv_attrs(a))


def _table_weight(em: Emitter, node: Node, in_channels: int) -> str:
    """TableConv's dense weight: `<path>.weight` holds the compact [entries, *k] kernels
    (PyTorch's parameter); a ScatterND puts entry (o, c) at [o, c] of a zero
    [out, in, *k] tensor."""
    a = node.attrs
    table = [list(row) for row in a["connect"]]
    index = [[o, c] for o, row in enumerate(table) for c in row]
    fan_in = max(len(r) for r in table) * prod(a["kernel"])
    compact = em.param(f"{node.path}.weight", (len(index), *a["kernel"]), fan_in=fan_in)
    zeros = em.const("zeros", np.zeros((len(table), in_channels, *a["kernel"])))
    return em.op("ScatterND", [zeros, em.ints("table", index), compact])


@lowers("conv_transpose")
def conv_transpose(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """ConvTranspose; with an output_padding of at least the stride (PyTorch allows it
    below the dilation; onnxruntime refuses it), the full transposed convolution, zeros
    padded after it and PyTorch's crop (a Slice), with the bias added last."""
    a, x, p = node.attrs, ins[0], node.path
    shape = (x[1], a["out"] // a["groups"], *a["kernel"])
    fan_in = a["out"] // a["groups"] * prod(a["kernel"])
    w = em.param(f"{p}.weight", shape, fan_in=fan_in)
    b = em.param(f"{p}.bias", (a["out"],), fan_in=fan_in) if a["bias"] else None
    attrs = _conv_attrs(a) | {"group": a["groups"]}
    extra = a["output_padding"]
    if all(e < s for e, s in zip(extra, a["stride"], strict=True)):
        em.op("ConvTranspose", [xs[0], w] + ([b] if b else []), y,
              output_padding=list(extra), **attrs)  # fmt: skip
        return
    # the full output, output_padding zeros after it, then PyTorch's crop
    attrs["pads"] = [0] * (2 * len(extra))
    z = em.op("ConvTranspose", [xs[0], w], **attrs)
    rank = len(out)
    z = em.op("Pad", [z, em.ints("pads", [0] * (rank + 2) + list(extra))])
    starts = [before for before, _ in a["padding"]]
    ends = [before + size for before, size in zip(starts, out[2:], strict=True)]
    axes = list(range(2, rank))
    z = em.op("Slice", [z, em.ints("starts", starts), em.ints("ends", ends), em.ints("axes", axes)])
    if b:
        em.op("Add", [z, channel_view(em, b, rank)], y)
    else:
        em.op("Identity", [z], y)


@lowers("partial_conv")
def partial_conv(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """backends.torch.runtime.PartialConv: conv(x * mask) * window / max(covered, 1) + bias, then
    zero where the window covers no mask."""
    a, (x, m), p = node.attrs, ins, node.path
    fan_in = x[1] // a["groups"] * prod(a["kernel"])
    w = em.param(f"{p}.weight", (a["out"], x[1] // a["groups"], *a["kernel"]), fan_in=fan_in)
    conv_ = em.op("Conv", [em.op("Mul", xs), w], group=a["groups"], **_conv_attrs(a))
    mask_sum = em.reduce("ReduceSum", xs[1], [1])
    ones = em.const("ones", np.ones((1, 1, *a["kernel"])))
    covered = em.op("Conv", [mask_sum, ones], **_conv_attrs(a))
    window = em.const("window", m[1] * prod(a["kernel"]))
    clamped = em.op("Max", [covered, em.const("one", 1.0)])
    scaled = em.op("Mul", [conv_, em.op("Div", [window, clamped])])
    if a["bias"]:
        bias = em.param(f"{p}.bias", (a["out"],), fan_in=fan_in)
        scaled = em.op("Add", [scaled, channel_view(em, bias, len(out))])
    touched = em.op("Cast", [em.op("Greater", [covered, em.const("zero", 0.0)])], to=1)
    em.op("Mul", [scaled, touched], y)


# --- dense and normalisation ---------------------------------------------------------------


@lowers("linear")
def linear(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """PyTorch's [out, in] weight; Gemm on rank 2, else MatMul with its transpose."""
    a, features, p = node.attrs, ins[0][-1], node.path
    w = em.param(f"{p}.weight", (a["out"], features), fan_in=features)
    b = em.param(f"{p}.bias", (a["out"],), fan_in=features) if a["bias"] else None
    if len(ins[0]) == 2:
        em.op("Gemm", [xs[0], w] + ([b] if b else []), y, transB=1)
        return
    product = em.op("MatMul", [xs[0], em.op("Transpose", [w], perm=[1, 0])], None if b else y)
    if b:
        em.op("Add", [product, b], y)


@lowers("rbf")
def rbf(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """sum_j (x_j - w_ij)^2, by broadcasting as backends.torch.runtime.RBF does."""
    w = em.param(f"{node.path}.weight", (node.attrs["units"], ins[0][-1]), "codes")
    diff = em.op("Sub", [em.unsqueeze(xs[0], [1]), w])
    squares = em.op("Mul", [diff, diff])
    em.reduce("ReduceSum", squares, [-1], y, keepdims=0)


@lowers("prelu")
def prelu(em: Emitter, node: Node, xs, ins, out, y) -> None:
    c = 1 if node.attrs["shared"] else ins[0][1]
    slope = em.param(f"{node.path}.weight", (c,), "quarter")
    em.op("PRelu", [xs[0], channel_view(em, slope, len(ins[0]))], y)


# --- merges and shapes -----------------------------------------------------------------------


@lowers("add")
def add(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """A chain of Adds, in PyTorch's order (the same rounding)."""
    total = xs[0]
    for i, x in enumerate(xs[1:], 2):
        total = em.op("Add", [total, x], y if i == len(xs) else None)
    if len(xs) == 1:
        em.op("Identity", xs, y)


@lowers("concat")
def concat(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("Concat", xs, y, axis=node.attrs.get("dim", 1))


@lowers("flatten", "reshape")
def reshape(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """Reshape to the analysis's output shape, a symbolic dim as ONNX's 0 (copy the
    input's dim at the same place): the language keeps symbolic dims in place (E-shape
    otherwise), and shape inference then knows every output dim."""
    x = list(ins[0])
    moved = [d for i, d in enumerate(out) if isinstance(d, str) and (i >= len(x) or x[i] != d)]
    if moved:
        raise error("E-lower", f"{node.op} moves the symbolic dims {moved}", node.span)
    shape = em.ints("shape", [0 if isinstance(d, str) else d for d in out])
    em.op("Reshape", [xs[0], shape], y)


# --- unit-wise ---------------------------------------------------------------------------

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
        em.op("Gelu", [x], y)
    else:  # exact GELU: x * (1 + erf(x / sqrt 2)) / 2
        erf = em.op("Erf", [em.op("Div", [x, em.const("sqrt2", sqrt(2.0))])])
        half = em.op("Mul", [x, em.const("half", 0.5)])
        em.op("Mul", [half, em.op("Add", [erf, em.const("one", 1.0)])], y)


@lowers("leaky_relu", "elu", "softmax", "log_softmax")
def with_argument(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    if node.op == "leaky_relu":
        em.op("LeakyRelu", xs, y, alpha=a["slope"])
    elif node.op == "elu":
        em.op("Elu", xs, y, alpha=a["alpha"])
    else:
        em.op("Softmax" if node.op == "softmax" else "LogSoftmax", xs, y, axis=a["dim"])
