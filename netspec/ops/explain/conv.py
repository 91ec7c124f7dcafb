"""Explanations of the convolutions: conv (groups, LeNet-5 connection tables),
partial_conv and conv_transpose (netspec/ops/conv.py).

Parameters: out x (C_in / groups) x prod(kernel) weights (C_in x (out / groups) x ...
when transposed; with a connection table the table's links x prod(kernel)) plus a bias
per output map. Connections as LeCun counted them: without padding
(C_in/groups x prod(kernel) + 1) x out x positions, C1 = (5·5 + 1)·6·28·28 = 122,304;
with padding, the taps on padding are not links, counted per axis. Multiply-adds:
every tap, padding included. The op class sets `explain = lazy("conv", "explain_conv")`.

Assumes the op's normalised attributes, its input shapes and its output shape.
Guarantees an Explanation whose values are the op's own rules.
"""

from __future__ import annotations

from collections import Counter
from math import prod

from netspec.ops.base import Counts
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    batch_factor,
    batch_prefix,
    dims_product,
    n,
    over,
    times,
)
from netspec.ops.explain.window import axis_links, window_section, window_shape
from netspec.values import Shape, numel


def explain_conv(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    macs = _macs(self, a, x, out)
    return Explanation(
        window_shape(self, a, x, a["out"]),
        _params(self, a, x),
        _connections(self, a, x, out),
        macs,
        _flops(self, a, inputs, out, macs.value),
        window_section(self, a),
    )


def _channels(self, a, c: int) -> str:
    """The channel pairs a weight tensor holds, as a product: `6·1`, `256·(96/2)`."""
    out, g = a["out"], a["groups"]
    if self.transposed:
        return times(c, over(out, g))
    return times(out, over(c, g))


def _params(self, a, x: Shape) -> Section:
    steps = []
    if a.get("connect") is not None:
        fan, table = table_step(a["connect"])
        steps.append(table)
        formula = times(fan, *a["kernel"])
    else:
        fan, formula = self.fan_in_channels(a, x[1]), times(_channels(self, a, x[1]), *a["kernel"])
    weights = fan * prod(a["kernel"])
    bias = a["out"] if a["bias"] else 0
    steps += [
        Step("weights", formula, n(weights)),
        Step("bias", "out" if bias else "", n(bias), "" if bias else "bias=false"),
        Step("trainable", f"{weights} + {bias}", n(weights + bias)),
    ]
    return Section(self.param_rule, tuple(steps), Counts(trainable=weights + bias))


def table_step(table) -> tuple[int, Step]:
    """A connection table: the input maps each output map reads, summed."""
    lengths = sorted(Counter(len(row) for row in table).items())
    fan = sum(len(row) for row in table)
    formula = " + ".join(times(count, size) for size, count in lengths)
    said = ", ".join(
        f"{count} map{'s read' if count > 1 else ' reads'} {size}" for size, count in lengths
    )
    return fan, Step("table links", formula, n(fan), f"{said} input maps")


def _connections(self, a, x: Shape, out: Shape) -> Section:
    b = batch_prefix(out)
    fan = self.fan_in_channels(a, x[1])
    table = a.get("connect") is not None
    pairs, steps, whole = axis_links(self, a, x, out)
    if whole and not self.transposed:  # LeCun's form: (fan-in + bias link) x units
        steps = []
        if table:
            inner = times(fan, *a["kernel"]) + (f" + {out[1]}" if a["bias"] else "")
            formula = f"{b}({inner}){DOT}{dims_product(out[2:])}"
        else:
            per_map = fan // out[1]  # LeCun writes C1's (5·5 + 1), without the 1 input map
            inner = times(*([per_map] if per_map > 1 else []), *a["kernel"])
            inner += " + 1" if a["bias"] else ""
            formula = f"{b}({inner}){DOT}{dims_product(out[1:])}"
    else:
        channels = str(fan) if table else _channels(self, a, x[1])
        links = f"{channels}{DOT}{times(*pairs)}"
        formula = f"{links} + {dims_product(out[1:])}" if a["bias"] else links
        formula = f"{b}({formula})" if b and a["bias"] else b + formula
    bias_links = numel(out[1:]) if a["bias"] else 0
    value = batch_factor(out) * (fan * prod(pairs) + bias_links)
    steps.append(Step("connections", formula, n(value)))
    return Section(self.connection_rule, tuple(steps), value)


def _macs(self, a, x: Shape, out: Shape) -> Section:
    k = a["kernel"]
    if self.transposed:
        what, dims = "input element", x
        per, formula = (a["out"] // a["groups"]) * prod(k), times(over(a["out"], a["groups"]), *k)
    elif a.get("connect") is not None:
        what, dims = "output position", (out[0], *out[2:])
        fan = self.fan_in_channels(a, x[1])
        per, formula = fan * prod(k), times(fan, *k)
    else:
        what, dims = "output element", out
        per, formula = (x[1] // a["groups"]) * prod(k), times(over(x[1], a["groups"]), *k)
    units = numel(dims)
    steps = (
        Step(f"{what}s", dims_product(dims), n(units)),
        Step(f"per {what}", formula, n(per)),
        Step("multiply-adds", times(units, per), n(units * per)),
    )
    rule = self.macs_rule
    if a.get("connect") is not None:
        rule = "output positions x (the connection table's links) x prod(kernel)"
    return Section(rule, steps, units * per)


def _flops(self, a, inputs: tuple[Shape, ...], out: Shape, macs: int) -> Section:
    steps = [Step("2 per multiply-add", times(2, macs), n(2 * macs))]
    if a["bias"]:
        steps.append(Step("bias adds", dims_product(out), n(numel(out))))
    if self.name == "partial_conv":
        positions, c_mask = numel(out) // out[1], inputs[1][1]
        window = times(c_mask, *a["kernel"])
        mask = positions * (c_mask * prod(a["kernel"]) + 1)
        steps.append(Step("mask sums", f"{positions}{DOT}({window} + 1)", n(mask)))
        steps.append(Step("rescale", dims_product(out), n(numel(out))))
    total = sum(int(s.result.replace(",", "")) for s in steps)
    steps.append(Step("FLOPs", " + ".join(s.result.replace(",", "") for s in steps), n(total)))
    return Section(self.flops_rule, tuple(steps), total)
