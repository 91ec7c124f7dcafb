"""Explanations of the merges: add, mul and concat (netspec/ops/merge.py).

Assumes the op's normalised attributes, its input shapes (one per merged tensor) and its
output shape. Guarantees an Explanation whose values are the op's own rules. A merge's
own receptive-field rule keeps positions (a concat along a spatial axis reads
everything); the union of its branches' fields is the analysis's
(netspec/analysis/receptive.py) and is explained by netspec/teach/explain/field.py.
"""

from __future__ import annotations

from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_connections,
    no_macs,
    no_params,
    per_element_flops,
    reads_everything,
    times,
)
from netspec.values import Shape, numel, show_shape


def explain_add(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    return _combine(self, inputs, out, "sum", "each unit sums one unit of each input")


def explain_mul(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    return _combine(self, inputs, out, "product", "each unit multiplies one unit of each input")


def _combine(self, inputs: tuple[Shape, ...], out: Shape, what: str, why: str) -> Explanation:
    """add and mul: k inputs combined unit by unit, broadcast where their shapes differ."""
    k = len(inputs)
    if all(s == inputs[0] for s in inputs):
        rule = f"every input has the same shape; so has the {what}"
        given = f"{k} inputs of {show_shape(inputs[0])}"
    else:
        rule = (
            "the shapes broadcast (NumPy's rules): aligned at their last axes, an axis of "
            "size 1 is repeated to the other's size"
        )
        given = " and ".join(show_shape(s) for s in inputs)
    shape = Section(rule, (Step("output", given, show_shape(out)),), tuple(out))
    links = Step("connections", times(k, dims_product(out)), n(k * numel(out)), why)
    return Explanation(
        shape,
        no_params(self),
        Section(self.connection_rule, (links,), k * numel(out)),
        no_macs(self),
        per_element_flops(self, k - 1, out),
        keeps_positions(
            f"the {what} keeps positions; the field is the union of the inputs' fields"
        ),
    )


def explain_concat(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    dim = a["dim"] % len(out)
    sizes = [s[dim] for s in inputs]
    what = "channels" if dim == 1 else f"dim {dim}"
    shape = (*inputs[0][:dim], sum(sizes), *inputs[0][dim + 1 :])
    agree = "the other dims agree"
    if dim != 0 and any(s[0] != out[0] for s in inputs):  # a class token's batch of 1
        shape, agree = (out[0], *shape[1:]), "the other dims agree; a batch of 1 is repeated"
    steps = (
        Step(what, " + ".join(map(str, sizes)), n(sum(sizes)), agree),
        Step("output", "", show_shape(shape)),
    )
    spatial = len(out) >= 3 and dim >= 2
    return Explanation(
        Section(f"the inputs side by side along dim {dim}: their sizes add", steps, shape),
        no_params(self),
        no_connections(self, "placing units side by side is wiring"),
        no_macs(self),
        per_element_flops(self, 0, out),
        reads_everything(f"it joins different positions along spatial dim {dim}")
        if spatial
        else keeps_positions("concatenated channels keep positions; the field is the union"),
    )
