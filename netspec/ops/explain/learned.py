"""Explanation of a learned tensor, the `param` statement's layer (netspec/ops/learned.py).

Assumes the op's attributes (`shape`, `init`) and its output shape. Guarantees an
Explanation whose values are the op's own rules: the shape as declared, every element a
trainable parameter, nothing computed.
"""

from __future__ import annotations

from netspec.ops.base import Counts
from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_connections,
    no_macs,
    per_element_flops,
)
from netspec.values import Shape, numel, show_shape


def explain_learned(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    shape = Section(
        "the shape is the one declared",
        (Step("output", f"param {show_shape(out)}", show_shape(out)),),
        tuple(out),
    )
    start = f"each starts at {a['init']:g}"
    params = Section(
        self.param_rule,
        (Step("trainable", dims_product(out), n(numel(out)), start),),
        Counts(trainable=numel(out)),
    )
    return Explanation(
        shape,
        params,
        no_connections(self, "it reads no input"),
        no_macs(self),
        per_element_flops(self, 0, out),
        keeps_positions("it depends on no input position; a merge's field is its other inputs'"),
    )
