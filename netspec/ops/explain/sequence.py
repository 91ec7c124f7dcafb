"""Explanations of the sequence ops (netspec/ops/sequence.py): scale and causal_mask as
any pointwise op, sinusoidal and learned_positions as a pointwise add of a table (a buffer,
trainable parameters).

Assumes normalised attributes and a sequence [N, L, D]. Guarantees the op's own figures:
no parameters, max_length x D buffer elements, 1 FLOP per output element.
"""

from __future__ import annotations

from netspec.ops.base import Counts
from netspec.ops.explain.elementwise import explain_pointwise
from netspec.ops.explain.steps import Explanation, Section, Step, n, times
from netspec.values import Shape


def explain_scale(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    return explain_pointwise(self, a, inputs, out)


def explain_causal_mask(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    return explain_pointwise(self, a, inputs, out)


def explain_sinusoidal(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    why = f"the fixed sin/cos table, max_length x D; rows 0 to L - 1 are added (base {a['base']:g})"
    return _table(self, a, inputs, out, "buffers", why)


def explain_learned_positions(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    why = "a learned row per position, max_length x D; rows 0 to L - 1 are added"
    return _table(self, a, inputs, out, "trainable", why)


def _table(self, a, inputs, out: Shape, kind: str, why: str) -> Explanation:
    d = inputs[0][-1]
    table = a["max_length"] * d
    step = Step(kind, times(a["max_length"], d), n(table), why)
    counts = Counts(buffers=table) if kind == "buffers" else Counts(trainable=table)
    return explain_pointwise(self, a, inputs, out)._replace(
        params=Section(self.param_rule, (step,), counts)
    )
