"""Explanations of the sequence ops (netspec/ops/sequence.py): scale and causal_mask as
any pointwise op, sinusoidal as a pointwise add whose table is a buffer.

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
    d = inputs[0][-1]
    table = a["max_length"] * d
    step = Step(
        "buffers",
        times(a["max_length"], d),
        n(table),
        f"the fixed sin/cos table, max_length x D; rows 0 to L - 1 are added (base {a['base']:g})",
    )
    return explain_pointwise(self, a, inputs, out)._replace(
        params=Section(self.param_rule, (step,), Counts(buffers=table))
    )
