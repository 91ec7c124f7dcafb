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
    dim = node.attrs.get("dim", 1) % len(out)
    if dim != 0 and any(s[0] == 1 and out[0] != 1 for s in ins):
        xs = _batched(em, xs, ins, out, dim)
    em.op("Concat", xs, y, axis=dim)


def _batched(em: Emitter, xs, ins, out, dim: int) -> list[str]:
    """A batch-1 input (a learned class token) repeated to the batch of one that has it:
    added to zeros shaped [N, 1, ...] from that input (broadcasting), so that shape
    inference keeps N, which an Expand to a computed shape would lose."""
    full = next(x for x, s in zip(xs, ins, strict=True) if s[0] != 1)
    one = em.op("Slice", [full, em.ints("start", [0]), em.ints("end", [1]), em.ints("axes", [dim])])
    zeros = em.op("Mul", [one, em.const("zero", 0.0)])
    return [em.op("Add", [x, zeros]) if s[0] == 1 else x for x, s in zip(xs, ins, strict=True)]
