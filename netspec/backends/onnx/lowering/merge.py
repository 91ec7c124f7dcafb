"""ONNX lowerings of the merges (netspec/ops/merge.py): add and mul (chains of Adds and
Muls, in PyTorch's order; ONNX broadcasts as NumPy does) and concat.

Assumes inputs of the shapes the analysis checked. Guarantees PyTorch's rounding: the
sum is taken in the order PyTorch takes it.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("add", "mul")
def combine(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """A chain of Adds or Muls, in PyTorch's order (the same rounding)."""
    kind = "Add" if node.op == "add" else "Mul"
    total = xs[0]
    for i, x in enumerate(xs[1:], 2):
        total = em.op(kind, [total, x], y if i == len(xs) else None)
    if len(xs) == 1:
        em.op("Identity", xs, y)


@lowers("concat")
def concat(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("Concat", xs, y, axis=node.attrs.get("dim", 1))
