"""Explanations of the ops that move data without weights: flatten, reshape and upsample
(netspec/ops/shape.py).

Assumes the op's normalised attributes, its input shapes and its output shape.
Guarantees an Explanation whose values are the op's own rules: flatten and reshape are
views (no links, no FLOPs; flattening spatial axes makes the field global); upsampling
by f reads around input y / f, a window of stride 1/f, and its interpolating modes link
each output to the 2^r (4^r bicubic) inputs they blend.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, prod

from netspec.ops.arith import axis_names
from netspec.ops.base import Window
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_connections,
    no_macs,
    no_params,
    per_axis,
    per_element_flops,
    reads_everything,
    times,
)
from netspec.values import Shape, numel, show_shape


def explain_flatten(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    start = a["start_dim"] % len(x)
    shape = (*x[:start], prod(x[start:]))
    steps = (
        Step(f"dims {start}..", times(*x[start:]) or "1", n(prod(x[start:]))),
        Step("output", "", show_shape(shape)),
    )
    spatial = len(x) >= 3 and out != x
    return _view(
        self,
        Section(f"dims from {start} on join into one: their product", steps, shape),
        out,
        spatial,
    )


def explain_reshape(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    dims = tuple(getattr(d, "name", d) for d in a["dims"])
    steps = []
    if -1 in dims:
        known = numel(tuple(d for d in dims if d != -1))
        steps.append(
            Step("-1", f"{numel(x)}/{known}", n(numel(x) // known), "the elements left for it")
        )
    shape = tuple(
        numel(x) // numel(tuple(d for d in dims if d != -1)) if d == -1 else d for d in dims
    )
    steps.append(Step("output", f"{numel(x)} elements", show_shape(shape)))
    spatial = len(x) >= 3 and out != x
    return _view(
        self, Section("the same elements in a new shape", tuple(steps), shape), out, spatial
    )


def _view(self, shape: Section, out: Shape, spatial: bool) -> Explanation:
    return Explanation(
        shape,
        no_params(self),
        no_connections(self, "a view: wiring"),
        no_macs(self),
        per_element_flops(self, 0, out),
        reads_everything("spatial axes are mixed into one: every output reads the whole input")
        if spatial
        else keeps_positions(),
    )


def explain_upsample(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    names = axis_names(len(x) - 2)
    steps = [
        Step(axis, f"floor({i}{DOT}{f:g})", n(floor(i * f)))
        for axis, i, f in zip(names, x[2:], a["scale"], strict=True)
    ]
    shape = (*x[:2], *(floor(i * f) for i, f in zip(x[2:], a["scale"], strict=True)))
    steps.append(Step("output", "", show_shape(shape)))
    nearest = a["mode"] == "nearest"
    taps = (4 if a["mode"] == "bicubic" else 2) ** (len(out) - 2)
    links = 0 if nearest else taps * numel(out)
    link_steps = (
        Step(
            "connections",
            "" if nearest else times(taps, dims_product(out)),
            n(links),
            "nearest copies" if nearest else f"each output blends {taps} inputs",
        ),
    )
    return Explanation(
        Section(self.summary, tuple(steps), shape),
        no_params(self),
        Section(self.connection_rule, link_steps, links),
        no_macs(self),
        per_element_flops(self, 0 if nearest else 2 * taps - 1, out),
        _upsample_windows(a, names),
    )


def _upsample_windows(a, names) -> Section:
    def window_of(scale) -> Window:
        f = Fraction(str(scale))
        if a["mode"] == "nearest":  # output y copies input floor(y / f)
            slack = Fraction(f.numerator - 1, f.numerator)
            return Window(slack + 1, 1 / f, slack)
        # it blends the inputs around (y + 1/2)/f - 1/2, 1 (2 bicubic) either side
        reach = 2 if a["mode"] == "bicubic" else 1
        return Window(Fraction(2 * reach + 1), 1 / f, reach + Fraction(1, 2) - 1 / (2 * f))

    windows = [window_of(scale) for scale in a["scale"]]

    def step(label: str, w: Window) -> Step:
        note = f"stride {n(w.stride)}, padding {n(w.padding)}"
        return Step(f"{label}: extent", "", n(w.extent), note)

    rule = "output y reads around input y / scale: stride 1/scale"
    return Section(rule, tuple(per_axis(names, windows, step)), tuple(windows))
