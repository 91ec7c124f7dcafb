"""ONNX lowerings of the ops with several outputs (netspec/ops/parts.py): each output a
Slice of its part of the input.

Assumes the analysis's shapes and the node's `part`. Guarantees PyTorch's slices
(torch.chunk, torch.split), one Slice per output.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node
from netspec.ops import REGISTRY


@lowers("chunk", "split")
def part(em: Emitter, node: Node, xs, ins, out, y) -> None:
    axis, start, size = REGISTRY[node.op].start(dict(node.attrs), ins[0])
    bounds = [em.ints("starts", [start]), em.ints("ends", [start + size])]
    em.op("Slice", [xs[0], *bounds, em.ints("axes", [axis])], y)
