"""The receptive-field step of one layer, with the numbers the analysis reports.

Araujo, Norris and Sim (Distill 2019), walking forward as netspec/analysis/receptive.py
does: a layer whose window per axis has extent e = d(k-1) + 1, stride s and padding p
takes a field (r, S, P) to

    r_out = r_in + (e - 1)·S_in,   S_out = S_in·s,   P_out = P_in + p·S_in.

At a merge the branches' fields are first united: with equal strides P = max P_b and
r = max(r_b - P_b) + P; with different strides there is no single field. The incoming
fields are the analysis's own (the fields it reports for the layers that produce them),
so every number shown is one the analysis computed or one step of its recurrence.
Assumes an Analysis of netspec.analysis; reads it and the op's explanation only.
"""

from __future__ import annotations

from fractions import Fraction

from netspec.analysis import Analysis
from netspec.analysis.receptive import AxisField, Field, broadcast_field, primary_input
from netspec.analysis.sequence_fields import Whole, sequence_input, sequence_walk
from netspec.ops import REGISTRY
from netspec.ops.arith import axis_names
from netspec.ops.base import GLOBAL, POINTWISE, UNEVEN, Window
from netspec.ops.explain.steps import DOT, Section, Step, n

RULE = "r_out = r_in + (k_eff - 1)·S_in, S_out = S_in·s, P_out = P_in + p·S_in"


def tensor_fields(analysis: Analysis) -> dict[int, Field | None]:
    """The field of every tensor that depends on the input the fields refer to: the
    input's own (r 1, S 1, P 0) and each layer's as the analysis reports it."""
    graph = analysis.graph
    if analysis.field_input is None:
        return {}
    tensor = dict(graph.inputs)[analysis.field_input]
    rank = 1 if _on_sequence(analysis) else len(graph.shape(tensor)) - 2
    one = AxisField(Fraction(1), Fraction(1), Fraction(0))
    fields: dict[int, Field | None] = {tensor: Field((one,) * rank)}
    for node, layer in zip(graph.nodes, analysis.layers, strict=True):
        sources = node.inputs if REGISTRY[node.op].merge else node.inputs[:1]
        if any(t in fields for t in sources):
            fields[node.output] = layer.receptive_field
    return fields


def show_field(axis: AxisField) -> str:
    return f"r = {n(axis.size)}, S = {n(axis.stride)}, P = {n(axis.padding)}"


def field_section(analysis: Analysis, index: int, fields: dict, window: Section) -> Section:
    """The receptive-field section of layer `index`; `window` is the op's explained rule."""
    node = analysis.graph.nodes[index]
    if analysis.field_input is None:
        return Section("none: the network has no input with concrete spatial axes", (), None)
    sources = node.inputs if REGISTRY[node.op].merge else node.inputs[:1]
    related = [t for t in sources if t in fields]
    if not related:
        why = f"this layer does not depend on the input '{analysis.field_input}'"
        return Section(f"none: {why}", (), None)
    if any(fields[t] is None for t in related):
        step = Step("field", "", "unknown", "an earlier layer left it unknown (W-rf warnings)")
        return Section(RULE, (step,), None)
    if _on_sequence(analysis):
        return _sequence_section(analysis, index, [fields[t] for t in related])
    names = axis_names(len(fields[related[0]].axes))
    steps: list[Step] = list(window.steps)
    branches = [fields[t] for t in related]
    if REGISTRY[node.op].broadcasts:
        graph, out = analysis.graph, analysis.layers[index].output_shape
        seen = branches
        branches = [broadcast_field(fields[t], graph.shape(t), out) for t in related]
        if any(b.whole and not f.whole for b, f in zip(branches, seen, strict=True)):
            note = "one position broadcast to every position: it sees what it saw, everywhere"
            steps.append(Step("broadcast", "", "whole", note))
    field = _union(branches, names, steps)
    if field is not None:
        field = _apply(field, window.value, analysis.layers[index].input_shapes[0], names, steps)
    return Section(RULE, tuple(steps), field)


def _on_sequence(analysis: Analysis) -> bool:
    """Are the fields along a sequence (netspec/analysis/sequence_fields.py)?"""
    return analysis.field_input is not None and primary_input(analysis.graph) is None


def _sequence_section(analysis: Analysis, index: int, incoming: list[Field]) -> Section:
    """The layer's step along the sequence: the rule sequence_fields applied, and the
    field the analysis reports (clipped to the sequence where it reaches past it)."""
    graph, layer = analysis.graph, analysis.layers[index]
    rules = _rules(graph)
    steps = [Step("in", "", show_field(f.axes[0])) for f in incoming]
    rule, result = rules.get(layer.path), layer.receptive_field
    if result is None or rule is None:
        steps.append(Step("field", "", "unknown", "this layer takes the sequence apart"))
        return Section(SEQUENCE_RULE, tuple(steps), None)
    steps.append(_sequence_step(rule, layer.input_shapes[0]))
    steps.append(Step("field", "", show_field(result.axes[0]), "no further than the sequence"))
    return Section(SEQUENCE_RULE, tuple(steps), result)


_WALKED: list = []  # (graph, rules) of the last network walked: one walk per explanation


def _rules(graph) -> dict:
    """The rule each layer applied along the sequence, walked once per network (an
    explanation of every layer asks for each in turn)."""
    if not _WALKED or _WALKED[0][0] is not graph:
        _WALKED[:] = [(graph, sequence_walk(graph, *sequence_input(graph))[1])]
    return _WALKED[0][1]


SEQUENCE_RULE = (
    "along the sequence: each position sees a window of the input's positions; attention "
    "and recurrence read all of them (causal: all before and itself)"
)


def _sequence_step(rule, x) -> Step:
    if rule == POINTWISE:
        return Step("rule", "", "unchanged", "this op keeps each position to itself")
    e, s, p = n(rule.extent), n(rule.stride), n(rule.padding)
    if isinstance(rule, Whole):
        return Step("rule", f"2L - 1 = {e}, P = L - 1 = {p}", "whole", "every position sees all")
    if rule.stride == 1 and rule.extent == rule.padding + 1 and rule.extent > 1:
        return Step("rule", f"L = {e}, P = L - 1 = {p}", "causal", "position t sees 0 .. t")
    return Step("rule", f"k = {e}, s = {s}, p = {p}", "window", "slides along the sequence")


def _groups(names: tuple[str, ...], pairs: list) -> list[tuple[str, object]]:
    """Axes that compute the same thing share one set of lines ("H, W")."""
    if len(set(pairs)) == 1:
        return [(", ".join(names), pairs[0])]
    return list(zip(names, pairs, strict=True))


def _apply(field: Field, rule, x, names, steps: list[Step]) -> Field | None:
    if rule == POINTWISE or field.whole:
        why = "the whole input already" if field.whole else "this op keeps positions"
        for label, axis in _groups(names, list(field.axes)):
            steps.append(Step(label, "", show_field(axis), f"unchanged: {why}"))
        return field
    if rule == UNEVEN:
        steps.append(Step("field", "", "unknown", "uneven windows: unknown from here on"))
        return None
    whole = rule == GLOBAL
    if whole:
        spatial = x[2:]
        if len(spatial) != len(field.axes):
            steps.append(Step("field", "", "the whole input", "every output reads every position"))
            return Field(field.axes, whole=True)
        rule = tuple(Window(Fraction(s), Fraction(s), Fraction(0)) for s in spatial)
    if len(rule) != len(field.axes):
        steps.append(Step("field", "", "unknown", "the axes no longer match the input's"))
        return None
    axes = []
    for label, (axis, w) in _groups(names, list(zip(field.axes, rule, strict=True))):
        steps += _through_steps(label, axis, w)
    axes = tuple(a.through(w) for a, w in zip(field.axes, rule, strict=True))
    if whole:
        steps.append(Step("field", "", "the whole input", "every output reads every position"))
    return Field(axes, whole)


def _through_steps(label: str, a: AxisField, w: Window) -> list[Step]:
    out = a.through(w)
    return [
        Step(f"{label}: r", f"{n(a.size)} + ({n(w.extent)} - 1){DOT}{n(a.stride)}", n(out.size)),
        Step(f"{label}: S", f"{n(a.stride)}{DOT}{n(w.stride)}", n(out.stride)),
        Step(f"{label}: P", f"{n(a.padding)} + {n(w.padding)}{DOT}{n(a.stride)}", n(out.padding)),
    ]


def _union(branches: list[Field], names, steps: list[Step]) -> Field | None:
    if len(branches) == 1:
        return branches[0]
    whole = [f for f in branches if f.whole]
    if whole:
        steps.append(Step("merge", "", "the whole input", "a branch already sees all of it"))
        return max(whole, key=lambda f: f.size)
    axes = []
    for label, axis in _groups(names, list(zip(*(f.axes for f in branches), strict=True))):
        shown = "; ".join(f"({show_field(a)})" for a in axis)
        steps.append(Step(f"{label}: branches", "", shown))
        strides = {a.stride for a in axis}
        if len(strides) > 1:
            note = "the branches step with different strides: no single field"
            steps.append(Step(f"{label}: union", "", "unknown", note))
            return None
        p = max(a.padding for a in axis)
        r = max(a.size - a.padding for a in axis) + p
        pads = ", ".join(n(a.padding) for a in axis)
        sizes = ", ".join(f"{n(a.size)} - {n(a.padding)}" for a in axis)
        centres = {a.centre for a in axis}
        note = "centred differently: the union of the fields" if len(centres) > 1 else ""
        steps.append(Step(f"{label}: P", f"max({pads})", n(p)))
        steps.append(Step(f"{label}: r", f"max({sizes}) + {n(p)}", n(r), note))
        axes.append(AxisField(r, axis[0].stride, p))
    if len(axes) == 1 and len(names) > 1:
        axes = axes * len(names)
    return Field(tuple(axes))
