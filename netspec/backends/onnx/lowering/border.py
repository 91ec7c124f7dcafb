"""ONNX lowerings of the ops that change an axis's extent (netspec/ops/border.py).

slice and crop are one Slice; pad a Pad (pads an input, as from opset 11; constant,
reflect, and replicate as "edge"), except circular, written as Slice and Concat per axis
at every opset (ONNX's "wrap" needs opset 19).

Assumes the analysis's shapes and the normalised attributes. Guarantees every output dim
known to ONNX shape inference, and PyTorch's values.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers, pads
from netspec.ir import Node

BIG = 2**62  # "to the end" for Slice's ends


@lowers("slice", "crop")
def slice_(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    if node.op == "crop":
        axes = list(range(2, len(out)))
        starts, steps = list(a["offsets"]), [1] * len(axes)
        ends = [o + s for o, s in zip(a["offsets"], a["size"], strict=True)]
    else:
        axes = list(a["dim"])
        starts = [b for b, _, _ in a["spans"]]
        ends = [BIG if e is None else e for _, e, _ in a["spans"]]
        steps = [s for _, _, s in a["spans"]]
    inputs = [em.ints(k, v) for k, v in (("starts", starts), ("ends", ends), ("axes", axes))]
    em.op("Slice", [xs[0], *inputs, em.ints("steps", steps)], y)


@lowers("pad")
def pad(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    pairs = [(0, 0), a["channels"], *a["padding"]]
    if a["mode"] == "circular":
        _circular(em, xs[0], ins[0], pairs, y)
        return
    mode = {"replicate": "edge"}.get(a["mode"], a["mode"])
    inputs = [xs[0], em.ints("pads", pads(pairs))]
    if mode == "constant":
        inputs.append(em.const("value", a["value"]))
    em.op("Pad", inputs, y, mode=mode)


def _circular(em: Emitter, x: str, shape, pairs, y: str) -> None:
    """Wrap around each padded axis: the last `before` elements, x, the first `after`."""
    padded = [axis for axis, pair in enumerate(pairs) if any(pair)]
    if not padded:
        em.op("Identity", [x], y)
    for n, axis in enumerate(padded):
        (before, after), size = pairs[axis], shape[axis]
        parts = [x]
        if before:
            parts.insert(0, _cut(em, x, axis, size - before, size))
        if after:
            parts.append(_cut(em, x, axis, 0, after))
        x = em.op("Concat", parts, y if n == len(padded) - 1 else None, axis=axis)


def _cut(em: Emitter, x: str, axis: int, start: int, end: int) -> str:
    bounds = [em.ints(k, [v]) for k, v in (("starts", start), ("ends", end), ("axes", axis))]
    return em.op("Slice", [x, *bounds])
