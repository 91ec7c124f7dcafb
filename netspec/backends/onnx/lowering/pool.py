"""ONNX lowerings of the pools (netspec/ops/pool.py), with PyTorch's semantics.

Ceil mode never reaches ONNX: as in the PyTorch lowering, a ceil-mode window that hangs
past the padding becomes extra padding after it (netspec.ops.arith.overhang, from the
analysis's output size), and the pool runs in floor mode, so ONNX's and PyTorch's ceil
rules need not agree. Average pooling that ONNX's AveragePool cannot express exactly
(dilation, an overhang, padding as wide as the kernel) is a zero Pad, a depthwise Conv
with a ones kernel (the window sums) and a division by PyTorch's divisors, computed here
with numpy as backends.torch.runtime.AvgPool computes them.

Assumes normalised attributes and the analysis's shapes. Guarantees PyTorch's outputs,
adaptive windows included (refused, E-lower, beyond MAX_SLICES slices); for
`Emitter.dynamic`, an adaptive pool to 1 is GlobalAveragePool / GlobalMaxPool, whatever
the input's size (the other adaptive pools and ceil-mode overhangs stay fixed to it, which
dynamic.py refuses).
"""

from __future__ import annotations

from math import ceil, floor, prod

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import channel_view, lowers, pads
from netspec.errors import error
from netspec.ir import Node
from netspec.ops.arith import overhang

MAX_SLICES = 4096  # adaptive pooling written out as slices: refused beyond this


def _native(a, pairs) -> bool:
    """onnxruntime requires every pad to be smaller than the kernel."""
    return all(b < k and e < k for (b, e), k in zip(pairs, a["kernel"], strict=True))


@lowers("maxpool")
def maxpool(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    pairs, x = list(overhang(a, ins[0], out)), xs[0]
    attrs = {"kernel_shape": list(a["kernel"]), "strides": list(a["stride"]),
             "dilations": list(a["dilation"])}  # fmt: skip
    if _native(a, pairs):
        em.op("MaxPool", [x], y, pads=pads(pairs), **attrs)
        return
    full = [0, 0] + [b for b, _ in pairs] + [0, 0] + [e for _, e in pairs]
    padded = em.op("Pad", [x, em.ints("pads", full), em.const("minus_inf", -np.inf)])
    em.op("MaxPool", [padded], y, **attrs)


@lowers("avgpool")
def avgpool(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    pairs = list(overhang(a, ins[0], out))
    exact = pairs == [tuple(p) for p in a["padding"]] and set(a["dilation"]) == {1}
    if exact and _native(a, pairs):
        em.op("AveragePool", xs, y, kernel_shape=list(a["kernel"]), strides=list(a["stride"]),
              pads=pads(pairs), count_include_pad=int(a["count_include_pad"]))  # fmt: skip
        return
    _window_mean(em, node, xs[0], ins[0], out, pairs, y)


def _window_mean(em: Emitter, node: Node, x: str, x_shape, out, pairs, y: str) -> None:
    """The torch runtime's AvgPool: window sums of the zero-padded input over PyTorch's counts."""
    a = node.attrs
    full = [0, 0] + [b for b, _ in pairs] + [0, 0] + [e for _, e in pairs]
    padded = em.op("Pad", [x, em.ints("pads", full)])
    c = x_shape[1]
    ones = em.const("ones", np.ones((c, 1, *a["kernel"])))
    sums = em.op("Conv", [padded, ones], group=c, kernel_shape=list(a["kernel"]),
                 strides=list(a["stride"]), dilations=list(a["dilation"]))  # fmt: skip
    counts = _counts(a, x_shape[2:], out[2:], pairs)
    em.op("Div", [sums, em.const("counts", counts.reshape((1, 1, *counts.shape)))], y)


def _counts(a, spatial, out, pairs) -> np.ndarray:
    """Each window's divisor: the cells it covers of the input, plus of the declared
    padding when count_include_pad (never of the overhang)."""
    mask = np.ones(spatial, np.float64)
    declared = [tuple(p) for p in a["padding"]]
    fill = float(a["count_include_pad"])
    mask = np.pad(mask, declared, constant_values=fill)
    extra = [(0, e - d[1]) for (_, e), d in zip(pairs, declared, strict=True)]
    mask = np.pad(mask, extra, constant_values=0.0)
    counts = np.zeros(out)
    for index in np.ndindex(*out):
        window = tuple(
            slice(i * s, i * s + d * (k - 1) + 1, d)
            for i, s, d, k in zip(index, a["stride"], a["dilation"], a["kernel"], strict=True)
        )
        counts[index] = mask[window].sum()
    return counts


@lowers("subsample")
def subsample(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """backends.torch.runtime.Subsample: AveragePool (stride = kernel) x prod(kernel) x w + b."""
    k, c, p = list(node.attrs["kernel"]), ins[0][1], node.path
    fan_in = (prod(k) / 2.4) ** 2  # LeCun's bound, 2.4 / fan-in, as 1 / sqrt(fan_in)
    w = em.param(f"{p}.weight", (c,), fan_in=fan_in)
    b = em.param(f"{p}.bias", (c,), fan_in=fan_in)
    mean = em.op("AveragePool", xs, kernel_shape=k, strides=k)
    sums = em.op("Mul", [mean, em.const("taps", float(prod(k)))])
    scaled = em.op("Mul", [sums, channel_view(em, w, len(out))])
    em.op("Add", [scaled, channel_view(em, b, len(out))], y)


@lowers("global_avgpool", "global_maxpool")
def global_pool(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("GlobalAveragePool" if "avg" in node.op else "GlobalMaxPool", xs, y)


def _windows(i: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows: [floor(j i / o), ceil((j + 1) i / o))."""
    return [(floor(j * i / o), ceil((j + 1) * i / o)) for j in range(o)]


def _slice(em: Emitter, x: str, start: int, end: int, axis: int) -> str:
    return em.op("Slice", [x, em.ints("start", [start]), em.ints("end", [end]),
                           em.ints("axis", [axis])])  # fmt: skip


@lowers("adaptive_avgpool", "adaptive_maxpool")
def adaptive_pool(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """Windows that tile the input evenly are one pool with kernel = stride = i / o;
    otherwise each axis is pooled in turn (a box's mean or max is that of its rows'),
    one Slice and Reduce per output position."""
    spatial, sizes = ins[0][2:], out[2:]
    avg = "avg" in node.op
    if em.dynamic and set(sizes) == {1}:  # a kernel of the input's size would pin it
        em.op("GlobalAveragePool" if avg else "GlobalMaxPool", xs, y)
        return
    if all(i % o == 0 for i, o in zip(spatial, sizes, strict=True)):
        k = [i // o for i, o in zip(spatial, sizes, strict=True)]
        em.op("AveragePool" if avg else "MaxPool", xs, y, kernel_shape=k, strides=k)
        return
    if sum(sizes) > MAX_SLICES:
        raise error("E-lower", f"{node.op} to {list(sizes)} needs too many ONNX slices",
                    node.span)  # fmt: skip
    x = xs[0]
    axes = [ax for ax, (i, o) in enumerate(zip(spatial, sizes, strict=True), 2) if i != o]
    for n, axis in enumerate(axes):
        reduce = "ReduceMean" if avg else "ReduceMax"
        parts = [
            em.reduce(reduce, _slice(em, x, s, e, axis), [axis])
            for s, e in _windows(ins[0][axis], out[axis])
        ]
        x = em.op("Concat", parts, y if n == len(axes) - 1 else None, axis=axis)
