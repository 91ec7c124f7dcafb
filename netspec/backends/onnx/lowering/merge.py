"""ONNX lowerings of the merges (netspec/ops/merge.py): add (a chain of Adds, in
PyTorch's order) and concat.

Assumes inputs of the shapes the analysis checked. Guarantees PyTorch's rounding: the
sum is taken in the order PyTorch takes it.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


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
