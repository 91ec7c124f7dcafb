"""ONNX lowerings of the sequence ops (netspec/ops/sequence.py): scale as Mul,
causal_mask as Where on a constant mask, or on key > query indices counted along the scores'
shape where the last two sizes are named (so a dynamic sequence length works),
sinusoidal and learned_positions as Add of the table's first L rows (a Slice; a Gather
by position where L is named, so that a dynamic length keeps its name).

Assumes normalised attributes. Guarantees PyTorch's outputs (the runtime's Scale,
CausalMask, Sinusoidal, LearnedPositions); sinusoidal's table is the buffer
`<path>.table`, the values PyTorch computes (float32, the same formula), and
learned_positions' the parameter `<path>.weight`.
"""

from __future__ import annotations

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("scale")
def scale(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("Mul", [xs[0], em.const("factor", node.attrs["factor"])], y)


@lowers("causal_mask")
def causal_mask(em: Emitter, node: Node, xs, ins, out, y) -> None:
    rows, columns = ins[0][-2:]
    if isinstance(rows, int) and isinstance(columns, int):  # a constant mask: exact shapes
        later = em.const("later", np.triu(np.ones((rows, columns), dtype=bool), 1), np.bool_)
    else:  # key index > query index, counted along x's own axes: a dynamic length whose
        # name shape inference carries through (a mask from Shape(x) would lose it)
        queries = _counted(em, xs[0], along=-2, cut=-1)  # [.., L, 1]
        keys = _counted(em, xs[0], along=-1, cut=-2)  # [.., 1, S]
        later = em.op("Greater", [keys, queries])
    em.op("Where", [later, em.const("minus_inf", -np.inf), xs[0]], y)


@lowers("sinusoidal", "learned_positions")
def positions(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, width = node.attrs, ins[0][-1]
    if node.op == "sinusoidal":
        table = em.param(f"{node.path}.table", (a["max_length"], width), table_of(a, width))
    else:  # a learned table: drawn as the embedding's (given weights replace it)
        table = em.param(f"{node.path}.weight", (a["max_length"], width))
    length = ins[0][1]
    if isinstance(length, int):  # a constant end: exact shapes
        ends = em.ints("length", [length])
        rows = em.op("Slice", [table, em.ints("zero", [0]), ends, em.ints("axis", [0])])
    else:  # a named length: the rows gathered by position, which keeps its name
        rows = em.op("Gather", [table, _positions(em, xs[0])], axis=0)
    em.op("Add", [xs[0], rows], y)


def _positions(em: Emitter, x: str) -> str:
    """0, 1, ..., L - 1 along axis 1 of x [N, L, D], shaped [N, L]."""
    return em.op("Squeeze", [_counted(em, x, along=1, cut=2), em.ints("last", [2])])


def _counted(em: Emitter, x: str, along: int, cut: int) -> str:
    """0, 1, 2, ... along axis `along` of x, with axis `cut` reduced to size 1: a
    cumulative sum of ones made from x itself (true whether or not it is NaN), so that
    shape inference keeps every other size's name (a Range of Shape(x), or a Slice of a
    named axis, would lose them: a reduction with keepdims is exactly 1)."""
    first = em.reduce("ReduceMax", x, [cut])
    nan = em.op("IsNaN", [first])
    ones = em.op("Cast", [em.op("Or", [nan, em.op("Not", [nan])])], to=7)  # int64
    count = em.op("CumSum", [ones, em.ints("along", along)])
    return em.op("Sub", [count, em.ints("one", 1)])


def table_of(a, width: int) -> np.ndarray:
    """PE[p, 2i] = sin(p / base^(2i/D)), PE[p, 2i+1] = cos(...), as the runtime computes it."""
    position = np.arange(a["max_length"], dtype=np.float32)[:, None]
    frequency = a["base"] ** (-np.arange(0, width, 2, dtype=np.float64) / width)
    angle = (position.astype(np.float64) * frequency).astype(np.float32)
    table = np.zeros((a["max_length"], width), dtype=np.float32)
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle)
    return table
