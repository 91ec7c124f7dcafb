"""Explanations of the ops that rearrange axes (netspec/ops/layout.py): permute,
transpose, squeeze, unsqueeze and channel_shuffle.

Assumes the op's normalised attributes, its input shapes and its output shape.
Guarantees an Explanation whose values are the op's own rules, recomputed from the
steps shown: no parameters, no links, no multiply-adds and 0 FLOPs (data movement);
the field kept where the spatial axes stay in place, global where they move.
"""

from __future__ import annotations

from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    keeps_positions,
    n,
    no_connections,
    no_macs,
    no_params,
    per_element_flops,
    reads_everything,
)
from netspec.values import Shape, show_shape


def wiring(self, shape: Section, out: Shape, window: Section) -> Explanation:
    return Explanation(
        shape,
        no_params(self),
        no_connections(self, "elements are moved, not combined"),
        no_macs(self),
        per_element_flops(self, 0, out),
        window,
    )


def _axes_window(kept: bool) -> Section:
    if kept:
        return keeps_positions("the spatial axes stay where they are")
    return reads_everything("spatial axes move or vanish: positions no longer line up")


def explain_permute(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, order = inputs[0], a["dims"]
    shape = tuple(x[d] for d in order)
    steps = tuple(Step(f"dim {i}", f"input dim {d}", str(x[d])) for i, d in enumerate(order))
    steps += (Step("output", "", show_shape(shape)),)
    kept = len(order) < 3 or all(d == i for i, d in enumerate(order) if i >= 2)
    rule = "output dim i is input dim dims[i]: the same elements, axes reordered"
    return wiring(self, Section(rule, steps, shape), out, _axes_window(kept))


def explain_squeeze(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, d = inputs[0], a["dim"]
    if self.name == "squeeze":
        shape, rule = (*x[:d], *x[d + 1 :]), f"dim {d} (size 1) is removed"
        kept = len(x) < 3
    else:
        shape, rule = (*x[:d], 1, *x[d:]), f"an axis of size 1 is inserted at dim {d}"
        kept = len(x) < 3 or d == len(x)
    steps = (Step("output", show_shape(x), show_shape(shape)),)
    return wiring(self, Section(rule, steps, shape), out, _axes_window(kept))


def explain_channel_shuffle(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x, g = inputs[0], a["groups"]
    per = x[1] // g
    steps = (
        Step("per group", f"{x[1]}/{g}", n(per), "channels [g, c] are read as [c, g]"),
        Step("output", "", show_shape(x), f"channel c·{g} + j is input channel j·{per} + c"),
    )
    rule = "the channels of g groups interleaved: view as [g, C/g], transpose, flatten"
    why = "channels move, positions stay"
    return wiring(self, Section(rule, steps, tuple(x)), out, keeps_positions(why))
