"""`netspec explain SPEC [LAYER]`: every figure of a layer as formulas with numbers.

For each chosen layer the op's own explanation (Op.explain, netspec/ops/explain*.py)
gives the output size, parameters, connections, multiply-adds and FLOPs step by step;
the receptive-field step comes from netspec/teach/explain/field.py. Each section's final
value is held against the analysis's figure: where they differ (a bug) the analysis's
figure is printed too, so that nothing shown contradicts `netspec check`.
Layers are chosen by path (`C1.conv`), by a block prefix (`layer2.basic1`) or by a
statement name (`C1`, its layers); an unknown name is an :class:`UnknownLayer` whose
message names the closest ones, and so is a statement that makes no layer (`repeat 0`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from netspec.analysis import Analysis, LayerFigures
from netspec.analysis.compat import formula
from netspec.analysis.conventions import CONVENTIONS, costs
from netspec.ops import REGISTRY
from netspec.ops.explain.steps import Section, Step, n
from netspec.teach.explain.field import field_section, show_field, tensor_fields
from netspec.values import Shape, show_shape


class UnknownLayer(ValueError):
    """A LAYER that names no layer, block or statement; the message says what is close."""


@dataclass(frozen=True)
class LayerExplanation:
    network: str
    path: str
    op: str
    statement: str
    description: str
    inputs: tuple[Shape, ...]
    output: Shape
    sections: tuple[tuple[str, Section], ...]  # (title, section), in the order printed


def select(analysis: Analysis, name: str | None) -> list[int]:
    """Indices of the layers `name` chooses (all when None); [] when it names none."""
    layers = analysis.layers
    if name is None:
        return list(range(len(layers)))
    exact = [i for i, layer in enumerate(layers) if layer.path == name]
    if exact:
        return exact
    for statement in analysis.statements:
        if statement.name == name:
            return list(statement.layers)
    return [i for i, layer in enumerate(layers) if layer.path.startswith(name + ".")]


def choose(analyses: list[Analysis], name: str | None) -> list[tuple[Analysis, list[int]]]:
    """The layers `name` chooses in each network; UnknownLayer when none has it."""
    chosen = [(a, select(a, name)) for a in analyses]
    chosen = [(a, indices) for a, indices in chosen if indices]
    if chosen or name is None:
        return chosen
    empty = [a.name for a in analyses for s in a.statements if s.name == name]
    if empty:
        raise UnknownLayer(
            f"statement '{name}' of {', '.join(empty)} makes no layer (a repeat 0, an if "
            "whose chosen body is empty or holds only let): nothing to explain"
        )
    paths = [layer.path.split(".") for a in analyses for layer in a.layers]
    names = {".".join(parts[:end]) for parts in paths for end in range(1, len(parts) + 1)}
    names |= {s.name for a in analyses for s in a.statements}
    # `name` chose nothing, so suggesting it back would send the user in a circle.
    close = difflib.get_close_matches(name, sorted(names - {name}), n=3, cutoff=0.5)
    hint = (
        "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        if close
        else "`netspec check SPEC --depth 9` lists every layer's path"
    )
    where = ", ".join(a.name for a in analyses)
    raise UnknownLayer(f"no layer or statement '{name}' in {where}; {hint}")


def explain_network(analysis: Analysis, indices: list[int], convention: str = "macs"):
    """Explanations of the layers `indices` of one network."""
    fields = tensor_fields(analysis)
    conv = costs(analysis, convention) if convention not in ("macs", "flops") else None
    return [explain_layer(analysis, i, fields, conv) for i in indices]


def explain_layer(analysis: Analysis, index: int, fields=None, convention=None) -> LayerExplanation:
    layer = analysis.layers[index]
    fields = tensor_fields(analysis) if fields is None else fields
    op = REGISTRY[layer.op]
    e = op.explain(dict(layer.attrs), layer.input_shapes, layer.output_shape)
    c = layer.counts
    sections = [
        ("output size", _checked(e.shape, tuple(layer.output_shape), show_shape)),
        ("parameters", _checked(e.params, c, _counts)),
        ("connections", _checked(e.connections, layer.connections, n)),
        ("multiply-adds", _checked(e.macs, layer.cost.macs, n)),
        ("FLOPs", _checked(e.flops, layer.cost.flops, n)),
    ]
    if convention is not None:
        sections.append(_convention(convention, index, layer))
    field = field_section(analysis, index, fields, e.window)
    sections.append(("receptive field", _checked_field(field, layer)))
    return LayerExplanation(
        analysis.name,
        layer.path,
        layer.op,
        layer.statement,
        layer.description,
        layer.input_shapes,
        layer.output_shape,
        tuple(sections),
    )


def _counts(c) -> str:
    parts = [f"trainable {n(c.trainable)}"]
    if c.fixed:
        parts.append(f"fixed {n(c.fixed)}")
    if c.buffers:
        parts.append(f"buffers {n(c.buffers)}")
    return ", ".join(parts)


def _checked(section: Section, expected, show) -> Section:
    """The section, with the analysis's figure added if its steps arrive elsewhere."""
    if section.missing or section.value == expected:
        return section
    note = "the steps above disagree with the analysis: please report this"
    step = Step("analysis", "", show(expected), note)
    return Section(section.rule, (*section.steps, step), expected)


def _checked_field(section: Section, layer: LayerFigures) -> Section:
    if section.value == layer.receptive_field:
        return section
    expected = layer.receptive_field
    shown = "unknown" if expected is None else "; ".join(show_field(a) for a in expected.axes)
    step = Step("analysis", "", shown, "the steps above disagree with the analysis: please report")
    return Section(section.rule, (*section.steps, step), expected)


def _convention(total, index: int, layer: LayerFigures) -> tuple[str, Section]:
    convention = total.convention
    value = total.per_layer[index]
    shown = "no formula" if value is None else n(value)
    note = (
        ""
        if value is not None
        else f"{convention.name} would count a module netspec cannot predict"
    )
    rule_text = formula(convention.table, layer) if convention.table else ""
    step = Step(convention.title, rule_text or "the convention's rule for this op", shown, note)
    rule = f"{convention.definition} (per-op rules: netspec/analysis/compat.py)"
    return convention.title, Section(rule, (step,), value)


__all__ = ["CONVENTIONS", "LayerExplanation", "UnknownLayer", "choose", "explain_layer", "select"]
