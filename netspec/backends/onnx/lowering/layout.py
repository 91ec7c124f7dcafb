"""ONNX lowerings of the ops that rearrange axes (netspec/ops/layout.py).

permute and transpose are Transpose; squeeze and unsqueeze Squeeze and Unsqueeze (axes
an input, as from opset 13 on); channel_shuffle ShuffleNet's Reshape [N, g, C/g, *S],
Transpose, Reshape [N, C, *S], or a Gather of the shuffled channel order where a dim
after the batch is symbolic or the sizes are dynamic (Reshape's 0 copies a dim only in
place, and the group axis shifts the spatial dims).

Assumes the analysis's shapes and the normalised attributes. Guarantees every output dim
known to ONNX shape inference, and PyTorch's values.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("permute", "transpose")
def permute(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("Transpose", [xs[0]], y, perm=list(node.attrs["dims"]))


@lowers("squeeze", "unsqueeze")
def squeeze(em: Emitter, node: Node, xs, ins, out, y) -> None:
    op = "Squeeze" if node.op == "squeeze" else "Unsqueeze"
    em.op(op, [xs[0], em.ints("axes", [node.attrs["dim"]])], y)


@lowers("channel_shuffle")
def channel_shuffle(em: Emitter, node: Node, xs, ins, out, y) -> None:
    x, g = ins[0], node.attrs["groups"]
    c = x[1]
    if em.dynamic or any(isinstance(d, str) for d in x[1:]):
        order = [j * (c // g) + i for i in range(c // g) for j in range(g)]
        em.op("Gather", [xs[0], em.ints("order", order)], y, axis=1)
        return
    grouped = em.op("Reshape", [xs[0], em.ints("grouped", [0, g, c // g, *x[2:]])])
    perm = [0, 2, 1, *range(3, len(x) + 1)]
    swapped = em.op("Transpose", [grouped], perm=perm)
    em.op("Reshape", [swapped, em.ints("shape", [0, *x[1:]])], y)
