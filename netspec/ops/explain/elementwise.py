"""Explanations of the ops that keep the shape: activations, dropout, identity, prelu,
bn, softmax, log_softmax and lrn (netspec/ops/elementwise.py).

Assumes an op's normalised attributes, its input shapes and its output shape. Guarantees
an Explanation whose values are the op's own rules. An activation transforms each unit
on its own: no links; its FLOPs per element are the factor its cost rule was built with
(base.per_element), and an op whose cost is not built so explains its FLOPs as missing
rather than guessing. softmax links each unit to the units along dim; lrn to the
channels of its window, fewer at the edges. The op class sets
`explain = lazy("elementwise", "explain_bn")`.
"""

from __future__ import annotations

from netspec.ops.base import Counts
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
from netspec.values import Shape, numel


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
