"""Explanations of the fully connected layers and the ops that keep the shape: linear,
rbf (netspec/ops/linear.py), activations, dropout, identity, prelu, bn, softmax and lrn
(netspec/ops/elementwise.py).

linear: in x out weights + out biases, (in + 1) x out connections per position (F6:
(120 + 1)·84 = 10,164), in multiply-adds per output element. rbf: units x in fixed
centres, in x units links. An activation transforms each unit on its own: no links;
its FLOPs per element are the factor its cost rule was built with (base.per_element).
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
    missing,
    n,
    no_connections,
    no_macs,
    no_params,
    per_element_flops,
    reads_everything,
    same_shape,
    times,
)
from netspec.values import Shape, numel, show_shape

# --- fully connected ---------------------------------------------------------------


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
        Section(
            self.param_rule,
            (
                Step("weights", times(f, o), n(f * o)),
                Step("bias", "out" if bias else "", n(bias), "" if bias else "bias=false"),
                Step("trainable", f"{f * o} + {bias}", n(f * o + bias)),
            ),
            Counts(trainable=f * o + bias),
        ),
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


# --- ops that keep the shape -------------------------------------------------------


def per_element_factor(self) -> int | None:
    """The FLOPs per element of an op whose cost rule is base.per_element(k)."""
    return getattr(getattr(self.cost, "__func__", None), "flops_per_element", None)


def _flops(self, out: Shape) -> Section:
    per = per_element_factor(self)
    return missing("FLOPs", self.name) if per is None else per_element_flops(self, per, out)


def explain_pointwise(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    return Explanation(
        same_shape(inputs, out),
        no_params(self),
        no_connections(self, "a unit's own transform is not a link"),
        no_macs(self),
        _flops(self, out),
        keeps_positions(),
    )


def explain_prelu(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    c = inputs[0][1]
    slopes = 1 if a["shared"] else c
    step = Step("trainable", "1 (shared)" if a["shared"] else "C", n(slopes), "a slope per channel")
    return explain_pointwise(self, a, inputs, out)._replace(
        params=Section(self.param_rule, (step,), Counts(trainable=slopes))
    )


def explain_bn(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    c = inputs[0][1]
    trainable = 2 * c if a["affine"] else 0
    buffers = 2 * c + 1 if a["track_running_stats"] else 0
    steps = (
        Step(
            "trainable",
            times(2, c) if trainable else "",
            n(trainable),
            "scale and shift per channel" if trainable else "affine=false",
        ),
        Step(
            "buffers",
            f"{times(2, c)} + 1" if buffers else "",
            n(buffers),
            "running mean and variance, batch counter" if buffers else "track_running_stats=false",
        ),
    )
    return explain_pointwise(self, a, inputs, out)._replace(
        params=Section(self.param_rule, steps, Counts(trainable=trainable, buffers=buffers))
    )


def explain_softmax(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    dim = a["dim"] % len(out)
    along = out[dim] if isinstance(out[dim], int) else 1
    links = numel(out) * along
    spatial = len(out) >= 3 and dim >= 2
    return explain_pointwise(self, a, inputs, out)._replace(
        connections=Section(
            "each output links to every unit along dim: it normalises over them",
            (
                Step(
                    "connections",
                    f"{dims_product(out)}{DOT}{along}",
                    n(links),
                    f"every unit reads the {along} along dim {dim}",
                ),
            ),
            links,
        ),
        window=reads_everything(f"it normalises along spatial dim {dim}")
        if spatial
        else keeps_positions(),
    )


def explain_lrn(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    c, size = out[1], a["size"]
    if not isinstance(c, int):  # a symbolic channel dim: the op counts no links
        note = f"the channel dim {c} is symbolic: no links counted"
        links = Section(self.connection_rule, (Step("connections", "", "0", note),), 0)
        return explain_pointwise(self, a, inputs, out)._replace(
            connections=links, flops=per_element_flops(self, 2 * size + 3, out)
        )
    before, after = size // 2, (size - 1) // 2
    per_position = sum(min(c - 1, j + after) - max(0, j - before) + 1 for j in range(c))
    positions = numel(out) // c
    steps = (
        Step(
            "per position",
            f"{c}{DOT}{size} - {c * size - per_position} past the edges",
            n(per_position),
            f"channel c links to channels c-{before}..c+{after} that exist (0-{c - 1})",
        ),
        Step(
            "connections",
            times(dims_product((out[0], *out[2:])), per_position),
            n(positions * per_position),
        ),
    )
    return explain_pointwise(self, a, inputs, out)._replace(
        connections=Section(self.connection_rule, steps, positions * per_position),
        flops=per_element_flops(self, 2 * size + 3, out),
    )
