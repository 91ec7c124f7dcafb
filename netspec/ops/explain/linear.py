"""Explanations of the fully connected layers: linear and rbf (netspec/ops/linear.py).

Assumes an op's normalised attributes, its input shapes and its output shape. Guarantees
an Explanation whose values are the op's own rules: linear has in x out weights + out
biases, (in + 1) x out connections per position (F6: (120 + 1)·84 = 10,164) and in
multiply-adds per output element; rbf has units x in fixed centres and in x units links,
3 FLOPs per link and no multiply-adds. The op class sets
`explain = lazy("linear", "explain_linear")`.
"""

from __future__ import annotations

from netspec.ops.base import Counts, window
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_macs,
    times,
)
from netspec.values import Shape, numel, show_shape


def _linear_params(self, a, f: int, o: int, bias: int) -> Section:
    """in x out weights (none of its own when tied: the shared layer counts them) + bias."""
    tied = a.get("tied")
    weights = 0 if tied is not None else f * o
    why = f"tied: the {o}{DOT}{f} matrix of {tied}, counted there" if tied is not None else ""
    steps = (
        Step("weights", times(f, o) if tied is None else "0", n(weights), why),
        Step("bias", "out" if bias else "", n(bias), "" if bias else "bias=false"),
        Step("trainable", f"{weights} + {bias}", n(weights + bias)),
    )
    return Section(self.param_rule, steps, Counts(trainable=weights + bias))


def explain_linear(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    f, o = x[-1], a["out"]
    shape = (*x[:-1], o)
    bias = o if a["bias"] else 0
    positions = numel(out) // o  # the batch and any leading dims: one layer per position
    macs = numel(out) * f
    flops = 2 * macs + (numel(out) if a["bias"] else 0)
    plus = " + 1" if a["bias"] else ""
    at = f"{DOT}{dims_product(out[:-1])}" if positions > 1 else ""
    return Explanation(
        Section(
            "the last dimension becomes out; the others stay",
            (Step("features", f"{f} -> out", n(o)), Step("output", "", show_shape(shape))),
            shape,
        ),
        _linear_params(self, a, f, o, bias),
        Section(
            self.connection_rule,
            (
                Step(
                    "connections",
                    f"({f}{plus}){DOT}{o}{at}",
                    n((f + (1 if bias else 0)) * numel(out)),
                ),
            ),
            (f + (1 if bias else 0)) * numel(out),
        ),
        Section(
            self.macs_rule,
            (
                Step("output elements", dims_product(out), n(numel(out))),
                Step("multiply-adds", times(numel(out), f), n(macs)),
            ),
            macs,
        ),
        _two_per_mac(self, macs, out, a["bias"], flops),
        _linear_window(x),
    )


def _two_per_mac(self, macs: int, out: Shape, bias: bool, total: int) -> Section:
    steps = [Step("2 per multiply-add", times(2, macs), n(2 * macs))]
    parts = [2 * macs]
    if bias:
        steps.append(Step("bias adds", dims_product(out), n(numel(out))))
        parts.append(numel(out))
    steps.append(Step("FLOPs", " + ".join(map(str, parts)), n(total)))
    return Section(self.flops_rule, tuple(steps), total)


def _linear_window(x: Shape) -> Section:
    if len(x) < 3:
        return keeps_positions("on [N, features] the layer keeps the field it was given")
    windows = (*(window(1, 1, 0) for _ in x[2:-1]), window(x[-1], x[-1], 0))
    step = Step(
        "last axis", f"extent {x[-1]}, stride {x[-1]}", n(x[-1]), "the other axes keep positions"
    )
    return Section("it mixes the last axis only: one window over all of it", (step,), windows)


def explain_rbf(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    f, units = x[-1], a["units"]
    centres = units * f
    counts = Counts(trainable=centres) if a["trainable"] else Counts(fixed=centres)
    kind = "trainable" if a["trainable"] else "fixed"
    links = f * numel(out)
    return Explanation(
        Section(
            "one output per unit",
            (Step("output", f"[N, units = {units}]", show_shape(out)),),
            (x[0], units),
        ),
        Section(
            self.param_rule,
            (
                Step(
                    kind,
                    times(units, f),
                    n(centres),
                    "a centre per unit" + ("" if a["trainable"] else ", not trained"),
                ),
            ),
            counts,
        ),
        Section(
            self.connection_rule,
            (Step("connections", times(f, dims_product(out)), n(links)),),
            links,
        ),
        no_macs(self),
        Section(
            self.flops_rule,
            (Step("FLOPs", times(3, f, dims_product(out)), n(3 * links)),),
            3 * links,
        ),
        keeps_positions(),
    )
