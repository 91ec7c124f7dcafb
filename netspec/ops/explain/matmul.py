"""Explanation of matmul, the product of two tensors (netspec/ops/matmul.py).

Assumes the op's two input shapes, [..., m, k] and [..., k, n], and its output shape.
Guarantees an Explanation whose values are the op's own rules, computed here from the
formulas the steps show: the matrices' and the batch axes' shapes, no parameters, 2k
links per output unit, k multiply-adds per output element (one attention head set:
12·197·197·64 = 29,805,312), 2 FLOPs per multiply-add, and a field that becomes the
whole input where the inner axis is a spatial one (rank >= 3).
"""

from __future__ import annotations

from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_params,
    reads_everything,
    times,
)
from netspec.values import Shape, numel, show_shape


def explain_matmul(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, y = inputs
    k = x[-1] if isinstance(x[-1], int) else 1  # symbolic: per sample, as numel counts
    macs = numel(out) * k
    return Explanation(
        _shape(x, y),
        no_params(self),
        Section(
            self.connection_rule,
            (Step("connections", times(2, k, dims_product(out)), n(2 * k * numel(out))),),
            2 * k * numel(out),
        ),
        Section(
            self.macs_rule,
            (
                Step("output elements", dims_product(out), n(numel(out))),
                Step("multiply-adds", times(dims_product(out), k), n(macs), f"k = {x[-1]}"),
            ),
            macs,
        ),
        Section(self.flops_rule, (Step("FLOPs", times(2, macs), n(2 * macs)),), 2 * macs),
        _window(out),
    )


def _shape(x: Shape, y: Shape) -> Section:
    """The matrices multiply, the batch axes broadcast (shapes aligned at the last)."""
    batch = _broadcast(x[:-2], y[:-2])
    out = (*batch, x[-2], y[-1])
    steps = (
        Step("matrices", f"[{x[-2]}, {x[-1]}] @ [{y[-2]}, {y[-1]}]", f"[{x[-2]}, {y[-1]}]"),
        Step("batch axes", f"{show_shape(x[:-2])} with {show_shape(y[:-2])}", show_shape(batch)),
        Step("output", "", show_shape(out)),
    )
    rule = "[.., m, k] @ [.., k, n] -> [.., m, n]; the batch axes broadcast (NumPy's rules)"
    return Section(rule, steps, out)


def _broadcast(a: Shape, b: Shape) -> tuple:
    """NumPy's rule on shapes the op has checked: a missing or size-1 axis takes the other."""
    rank = max(len(a), len(b))
    pa, pb = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    return tuple(q if p == 1 else p for p, q in zip(pa, pb, strict=True))


def _window(out: Shape) -> Section:
    if len(out) < 3:
        return keeps_positions("on [m, k] @ [k, n] no spatial axis is mixed")
    return reads_everything(
        "each output sums over the whole inner axis, the first input's last (a sequence or "
        "a spatial axis)"
    )
