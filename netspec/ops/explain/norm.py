"""Explanations of the normalisations that compute statistics at inference: layer_norm,
rms_norm, group_norm and instance_norm (netspec/ops/norm.py).

Assumes an op's normalised attributes, its input shapes and its output shape (concrete
where the op needs them: the size along dim, the channels). Guarantees an Explanation
whose values are computed here from the formulas its steps show: the parameters per
unit of the normalised axis or per channel, the links of each output to every unit of
its normalisation group, the FLOPs per element the statistics, the normalisation and
the affine transform take, and the receptive field (the whole input where a group
spans positions). The op class sets `explain = lazy("norm", "explain_layer_norm")`.
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
    n,
    no_macs,
    over,
    per_element_flops,
    reads_everything,
    same_shape,
    times,
)
from netspec.values import Shape, numel


def _links(self, out: Shape, group: int, formula: str, note: str) -> Section:
    steps = (
        Step("group", formula, n(group), note),
        Step("connections", times(dims_product(out), group), n(numel(out) * group)),
    )
    return Section(self.connection_rule, steps, numel(out) * group)


def _explanation(self, inputs, out, params: Section, links: Section, per: int, spatial: bool):
    return Explanation(
        same_shape(inputs, out),
        params,
        links,
        no_macs(self),
        per_element_flops(self, per, out),
        reads_everything("its statistics span the positions") if spatial else keeps_positions(),
    )


def _along_dim(self, a, inputs, out, params: tuple[Step, ...], trainable: int, per: int):
    dim = a["dim"] % len(out)
    d = out[dim]
    links = _links(self, out, d, f"size(dim {dim})", f"every unit reads the {d} along dim {dim}")
    section = Section(self.param_rule, params, Counts(trainable=trainable))
    return _explanation(self, inputs, out, section, links, per, len(out) >= 3 and dim >= 2)


def explain_layer_norm(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    d = out[a["dim"] % len(out)]
    affine, bias = a["affine"], a["affine"] and a["bias"]
    per_unit = affine + bias
    what = ("a scale and a shift" if bias else "a scale") if affine else "affine=false"
    step = Step("trainable", times(per_unit, d) if affine else "", n(per_unit * d), what)
    per = 5 + per_unit
    return _along_dim(self, a, inputs, out, (step,), per_unit * d, per)


def explain_rms_norm(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    d = out[a["dim"] % len(out)]
    trainable = d if a["affine"] else 0
    note = "a scale per unit of dim" if a["affine"] else "affine=false"
    step = Step("trainable", str(d) if a["affine"] else "", n(trainable), note)
    return _along_dim(self, a, inputs, out, (step,), trainable, 3 + a["affine"])


def _channel_params(self, c: int, affine: bool, buffers: int = 0) -> Section:
    trainable = 2 * c if affine else 0
    steps = [
        Step(
            "trainable",
            times(2, c) if affine else "",
            n(trainable),
            "scale and shift per channel" if affine else "affine=false",
        )
    ]
    if buffers:
        steps.append(
            Step("buffers", f"{times(2, c)} + 1", n(buffers), "running mean and variance, counter")
        )
    return Section(self.param_rule, tuple(steps), Counts(trainable=trainable, buffers=buffers))


def explain_group_norm(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    c, g = out[1], a["groups"]
    positions = numel(out[2:])
    group = c // g * positions
    formula = f"{over(c, g)}{DOT}{dims_product(out[2:])}" if len(out) > 2 else over(c, g)
    links = _links(self, out, group, formula, f"the {c // g} channels of its group, every position")
    params = _channel_params(self, c, a["affine"])
    return _explanation(self, inputs, out, params, links, 5 + 2 * a["affine"], len(out) >= 3)


def explain_instance_norm(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    c, track = out[1], a["track_running_stats"]
    params = _channel_params(self, c, a["affine"], 2 * c + 1 if track else 0)
    if track:  # normalised by the running statistics, as bn: no links, bn's 2 FLOPs
        none = Step("connections", "", "0", "the running statistics, not the sample's")
        links = Section(self.connection_rule, (none,), 0)
        return _explanation(self, inputs, out, params, links, 2, False)
    positions = numel(out[2:])
    formula = dims_product(out[2:])
    links = _links(self, out, positions, formula, "every position of its channel")
    return _explanation(self, inputs, out, params, links, 5 + 2 * a["affine"], True)
