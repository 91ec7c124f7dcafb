"""Explanations of merges (add, concat), shape ops (flatten, reshape, upsample) and the
global and adaptive pools (netspec/ops/merge.py, shape.py, pool.py).

A merge's own receptive-field rule keeps positions; the union of its branches' fields
is the analysis's (netspec/analysis/receptive.py) and is explained by netspec.teach.
Adaptive pooling's windows are PyTorch's [floor(j i / o), ceil((j + 1) i / o)); their
lengths per axis sum to i + o - gcd(i, o), which the steps show and count out.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor, gcd, prod

from netspec.ops.base import UNEVEN, Window
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    axis_names,
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

# --- merges ------------------------------------------------------------------------


def explain_add(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    k = len(inputs)
    shape = Section(
        "every input has the same shape; so has the sum",
        (Step("output", f"{k} inputs of {show_shape(inputs[0])}", show_shape(out)),),
        tuple(inputs[0]),
    )
    links = Step(
        "connections",
        times(k, dims_product(out)),
        n(k * numel(out)),
        "each unit sums one unit of each input",
    )
    return Explanation(
        shape,
        no_params(self),
        Section(self.connection_rule, (links,), k * numel(out)),
        no_macs(self),
        per_element_flops(self, k - 1, out),
        keeps_positions("the sum keeps positions; the field is the union of the inputs' fields"),
    )


def explain_concat(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    dim = a["dim"] % len(out)
    sizes = [s[dim] for s in inputs]
    what = "channels" if dim == 1 else f"dim {dim}"
    shape = (*inputs[0][:dim], sum(sizes), *inputs[0][dim + 1 :])
    steps = (
        Step(what, " + ".join(map(str, sizes)), n(sum(sizes)), "the other dims agree"),
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


# --- shape ops -----------------------------------------------------------------------


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


# --- global and adaptive pools -------------------------------------------------------


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
