"""ONNX lowerings of the ops that move data (netspec/ops/shape.py): flatten and reshape
(one Reshape to the analysis's shape), and upsample: PyTorch's nn.Upsample(scale_factor,
mode, align_corners=False), one spatial axis after another.

Every mode is separable, so each axis whose size changes is a weighted sum of Gathers
along it: the source indices and weights are computed here with numpy exactly as
PyTorch's kernels compute them (nearest: floor(j * float32(1 / scale)); linear:
half-pixel, clamped at 0; bicubic: Keys' kernel with a = -0.75, edge-clamped taps).
ONNX's Resize could express these (asymmetric + floor, half_pixel, cubic_coeff_a=-0.75),
but its shape inference loses the symbolic batch and rounds floor(i x scale) in
float32 (20 x 1.3 gives 25); Gathers keep every dim exact, and no coordinate rounding
can differ from PyTorch's.

For `Emitter.dynamic` (`netspec export --dynamic-sizes`), a nearest upsample by powers of
two is one Resize (asymmetric, floor: floor(j / 2^k), PyTorch's index at every size);
the other modes keep their Gathers, fixed to the input's size, which dynamic.py refuses.

Assumes the analysis's shapes, symbolic dims kept in place (E-lower otherwise).
Guarantees every output dim known to ONNX shape inference (except a dynamic Resize's).
"""

from __future__ import annotations

from math import floor

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.errors import error
from netspec.ir import Node


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


A = -0.75  # PyTorch's bicubic coefficient


@lowers("upsample")
def upsample(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, x = node.attrs, xs[0]
    if em.dynamic and _doubling(a):
        scales = em.const("scales", [1.0, 1.0, *(float(s) for s in a["scale"])])
        em.op("Resize", [x, "", scales], y, mode="nearest",
              coordinate_transformation_mode="asymmetric", nearest_mode="floor")  # fmt: skip
        return
    axes = [ax for ax in range(2, len(out)) if _moves(a, len(out) - 2, ins[0][ax], out[ax], ax)]
    for n, axis in enumerate(axes):
        taps = _taps(a["mode"], ins[0][axis], out[axis], a["scale"][axis - 2])
        x = _along(em, x, axis, len(out), taps, y if n == len(axes) - 1 else None)
    if not axes:
        em.op("Identity", [x], y)


def _doubling(a) -> bool:
    """Nearest by powers of two: floor(j / 2^k) is PyTorch's source index at every size
    (1 / 2^k is exact in float32), so ONNX's Resize computes it."""
    return a["mode"] == "nearest" and all(
        float(s).is_integer() and int(s) > 0 and int(s) & (int(s) - 1) == 0 for s in a["scale"]
    )


def _moves(a, spatial: int, i: int, o: int, axis: int) -> bool:
    """Whether PyTorch (2.x, CPU) moves anything along an axis. One whose size stays is
    copied by the linear modes and by 2-d nearest; 1-d and 3-d nearest and bicubic still
    apply their formula with the scale given (nearest 1.3 maps [0, 1, 2] to [0, 0, 1])."""
    if o != i:
        return True
    if a["scale"][axis - 2] == 1:
        return False
    return a["mode"] == "bicubic" or (a["mode"] == "nearest" and spatial != 2)


def _along(em: Emitter, x: str, axis: int, rank: int, taps, y: str | None) -> str:
    """sum over taps of Gather(x, index) * weight, the weights broadcast along `axis`."""
    if len(taps) == 1:
        return em.op("Gather", [x, em.ints("index", taps[0][0])], y, axis=axis)
    view = [1] * rank
    total = None
    for t, (index, weight) in enumerate(taps):
        view[axis] = len(weight)
        part = em.op("Gather", [x, em.ints("index", index)], axis=axis)
        part = em.op("Mul", [part, em.const("weight", np.reshape(weight, view))])
        last = t == len(taps) - 1
        total = part if total is None else em.op("Add", [total, part], y if last else None)
    return total


def _taps(mode: str, i: int, o: int, scale: float) -> list[tuple[list[int], list[float]]]:
    if mode == "nearest":
        return [(_nearest(i, o, scale), [1.0] * o)]
    step = np.float32(1.0 / scale)
    if mode == "bicubic":
        return _cubic(i, o, step)
    lo, hi, w1 = [], [], []
    for j in range(o):
        src = max(float(step * np.float32(j + 0.5) - np.float32(0.5)), 0.0)
        i0 = int(src)
        lo.append(i0)
        hi.append(i0 + (1 if i0 < i - 1 else 0))
        w1.append(src - i0)
    return [(lo, [1 - w for w in w1]), (hi, w1)]


def _cubic(i: int, o: int, step: np.float32) -> list[tuple[list[int], list[float]]]:
    taps: list[tuple[list[int], list[float]]] = [([], []) for _ in range(4)]
    for j in range(o):
        src = float(step * np.float32(j + 0.5) - np.float32(0.5))
        i0 = floor(src)
        t = src - i0
        weights = (_far(t + 1), _near(t), _near(1 - t), _far(2 - t))
        for k in range(4):
            taps[k][0].append(min(max(i0 - 1 + k, 0), i - 1))
            taps[k][1].append(weights[k])
    return taps


def _near(x: float) -> float:
    return ((A + 2) * x - (A + 3)) * x * x + 1


def _far(x: float) -> float:
    return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A


def _nearest(i: int, o: int, scale: float) -> list[int]:
    """PyTorch's nearest source index (aten nearest_idx, float32 arithmetic)."""
    if o == 2 * i:
        return [j >> 1 for j in range(o)]
    step = np.float32(1.0 / scale)
    return [min(int(np.floor(np.float32(j) * step)), i - 1) for j in range(o)]
