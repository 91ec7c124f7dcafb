"""Explanations of the pools: maxpool, avgpool, LeNet-5's subsample, the global and the
adaptive pools (netspec/ops/pool.py).

Assumes the op's normalised attributes, its input shapes and its output shape.
Guarantees an Explanation whose values are the op's own rules. The sliding-window pools
share the convolutions' steps (netspec/ops/explain/window.py): output size per axis,
links per axis, the window's extent. subsample adds a coefficient and a bias per map and
LeCun's bias link: S2 = (2·2 + 1)·6·14·14 = 5,880. Adaptive pooling's windows are
PyTorch's [floor(j i / o), ceil((j + 1) i / o)); their lengths per axis sum to
i + o - gcd(i, o), which the steps show and count out.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor, gcd, prod

from netspec.ops.arith import axis_names
from netspec.ops.base import UNEVEN, Counts, Window
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    dims_product,
    n,
    no_macs,
    no_params,
    per_axis,
    per_element_flops,
    times,
)
from netspec.ops.explain.window import axis_links, window_section, window_shape
from netspec.values import Shape, numel, show_shape


def explain_pool(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    subsample = self.name == "subsample"
    params = (
        Section(
            self.param_rule,
            (Step("trainable", f"2{DOT}{x[1]}", n(2 * x[1]), "a coefficient and a bias per map"),),
            Counts(trainable=2 * x[1]),
        )
        if subsample
        else no_params(self)
    )
    per = prod(a["kernel"]) + (1 if subsample else 0)
    flops = Section(
        self.flops_rule,
        (
            Step("output elements", dims_product(out), n(numel(out))),
            Step(
                "FLOPs",
                times(
                    f"({times(*a['kernel'])} + 1)" if subsample else times(*a["kernel"]), numel(out)
                ),
                n(per * numel(out)),
            ),
        ),
        per * numel(out),
    )
    return Explanation(
        window_shape(self, a, x, x[1]),
        params,
        _pool_connections(self, a, x, out, subsample),
        no_macs(self),
        flops,
        window_section(self, a),
    )


def _pool_connections(self, a, x: Shape, out: Shape, subsample: bool) -> Section:
    pairs, steps, whole = axis_links(self, a, x, out)
    maps = dims_product(out[:2])
    bias = numel(out) if subsample else 0
    if whole:
        window = times(*a["kernel"])
        formula = (
            f"({window} + 1){DOT}{dims_product(out)}"
            if subsample
            else f"{window}{DOT}{dims_product(out)}"
        )
        steps = []
    else:
        formula = f"{maps}{DOT}{times(*pairs)}" + (f" + {dims_product(out)}" if subsample else "")
    value = numel(out[:2]) * prod(pairs) + bias
    steps.append(Step("connections", formula, n(value)))
    return Section(self.connection_rule, tuple(steps), value)


def explain_global_pool(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    shape = (*x[:2], *(1 for _ in x[2:]))
    windows = tuple(Window(Fraction(i), Fraction(i), Fraction(0)) for i in x[2:])
    names = axis_names(len(x) - 2)
    return Explanation(
        Section("every spatial size becomes 1", (Step("output", "", show_shape(shape)),), shape),
        no_params(self),
        Section(
            self.connection_rule,
            (Step("connections", dims_product(x), n(numel(x)), "each output reads its whole map"),),
            numel(x),
        ),
        no_macs(self),
        per_element_flops(self, 1, x, "input elements"),
        Section(
            "one window over each whole axis",
            tuple(per_axis(names, list(x[2:]), _whole_axis)),
            windows,
        ),
    )


def _whole_axis(label: str, i: int) -> Step:
    return Step(f"{label}: extent", "", n(i), f"stride {i}: the whole axis")


def adaptive_lengths(i: int, o: int) -> int:
    """PyTorch's adaptive windows [floor(j i / o), ceil((j + 1) i / o)), lengths summed."""
    return sum(ceil((j + 1) * i / o) - floor(j * i / o) for j in range(o))


def explain_adaptive_pool(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    names = axis_names(len(x) - 2)
    shape = (*x[:2], *a["size"])
    steps, totals = [], []
    for axis, i, o in zip(names, x[2:], a["size"], strict=True):
        total = adaptive_lengths(i, o)
        steps.append(
            Step(
                f"{axis} reads",
                f"{i} + {o} - gcd({i}, {o}) = {i} + {o} - {gcd(i, o)}",
                n(total),
                "window lengths summed",
            )
        )
        totals.append(total)
    links = numel(x[:2]) * prod(totals)
    steps.append(Step("connections", times(dims_product(x[:2]), *totals), n(links)))
    even = all(i % o == 0 for i, o in zip(x[2:], a["size"], strict=True))
    return Explanation(
        Section(
            "the output size is given: size",
            (Step("output", f"size {list(a['size'])}", show_shape(shape)),),
            shape,
        ),
        no_params(self),
        Section(self.connection_rule, tuple(steps), links),
        no_macs(self),
        Section(self.flops_rule, (Step("FLOPs", "one per position read", n(links)),), links),
        _adaptive_window(x, a["size"], names)
        if even
        else Section(
            "windows of unequal length and spacing: no single receptive field describes them",
            (),
            UNEVEN,
        ),
    )


def _adaptive_window(x: Shape, size, names) -> Section:
    pairs = list(zip(x[2:], size, strict=True))
    windows = tuple(Window(Fraction(i // o), Fraction(i // o), Fraction(0)) for i, o in pairs)

    def step(label: str, pair) -> Step:
        i, o = pair
        return Step(f"{label}: extent", f"{i}/{o}", n(i // o), f"stride {i // o}")

    rule = "the size divides the input: equal windows i/o wide and apart"
    return Section(rule, tuple(per_axis(names, pairs, step)), windows)
