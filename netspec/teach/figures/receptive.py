"""Which input region one unit of a layer sees: the numbers behind the receptive-field picture.

Pure: it reads an Analysis (netspec.analysis.receptive's per-layer fields, Araujo, Norris
and Sim's definitions: unit x sees input [x S - P, x S - P + r - 1] per axis) and draws
nothing. :func:`field_view` finds the layer (a node path such as `C3.conv`, a statement
name such as `C3`, or a block instance path, meaning its last layer; else ChoiceError
with the closest names), picks the unit (the
centre one unless told), its neighbour one step along the columns (or rows), and gives
both fields as half-open intervals [start, end) in input cells. Fields after upsampling
are exact fractions. Where the analysis has no field (no spatial input, or W-rf-stride /
W-rf-uneven upstream) it raises :class:`FigureError` saying why, never a guess.
Assumes 2-D spatial inputs ([N, C, H, W]); other ranks are refused.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction

from netspec.analysis import Analysis, LayerFigures
from netspec.analysis.receptive import Field

Interval = tuple[Fraction, Fraction]  # [start, end) in input cells
UNKNOWN_CODES = ("W-rf-stride", "W-rf-uneven")


class FigureError(ValueError):
    """No picture can be drawn; the message says why."""


class ChoiceError(FigureError):
    """The layer or unit asked for does not exist (a misuse of the command line)."""


@dataclass(frozen=True)
class FieldView:
    network: str
    asked: str  # the name the user gave
    layer: LayerFigures
    input_name: str
    input_size: tuple[int, int]  # the network input's (height, width)
    output_size: tuple[int, int] | None  # the layer's spatial size; None: no spatial axes
    unit: tuple[int, int]
    box: tuple[Interval, Interval]  # rows, cols
    neighbour: tuple[int, int] | None
    neighbour_box: tuple[Interval, Interval] | None

    @property
    def field(self) -> Field:
        return self.layer.receptive_field  # type: ignore[return-value]


def field_view(analysis: Analysis, name: str, unit: tuple[int, int] | None = None) -> FieldView:
    layer = find_layer(analysis, name)
    input_size = _input_size(analysis)
    field = layer.receptive_field
    if field is None:
        raise FigureError(
            f"{_named(name, layer)} has no known receptive field: {_why(analysis, layer)}"
        )
    out = tuple(layer.output_shape[2:])
    spatial = len(out) == 2 and all(isinstance(d, int) for d in out)
    output_size = (int(out[0]), int(out[1])) if spatial else None
    unit = _unit(layer, output_size, unit, name)
    neighbour = None if field.whole or output_size is None else _neighbour(unit, output_size)
    return FieldView(
        analysis.name, name, layer, analysis.field_input or "", input_size, output_size, unit,
        unit_box(field, unit), neighbour, unit_box(field, neighbour) if neighbour else None,
    )  # fmt: skip


def unit_box(field: Field, unit: tuple[int, int]) -> tuple[Interval, Interval]:
    """[x S - P, x S - P + r) per axis: the input cells unit `unit` sees."""
    rows, cols = (
        (x * a.stride - a.padding, x * a.stride - a.padding + a.size)
        for x, a in zip(unit, field.axes, strict=True)
    )
    return rows, cols


def find_layer(analysis: Analysis, name: str) -> LayerFigures:
    """A layer by path, statement name or block instance path (its last layer)."""
    for layer in analysis.layers:
        if layer.path == name:
            return layer
    for statement in analysis.statements:
        if statement.name == name and statement.layers:
            return analysis.layers[statement.layers[-1]]
    inside = [layer for layer in analysis.layers if layer.path.startswith(name + ".")]
    if inside:
        return inside[-1]
    names = [layer.path for layer in analysis.layers] + [s.name for s in analysis.statements]
    close = difflib.get_close_matches(name, list(dict.fromkeys(names)), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ChoiceError(
        f"{analysis.name} has no layer or statement '{name}'{hint} "
        "(`netspec check SPEC --depth 9` lists the layer paths)"
    )


def _named(name: str, layer: LayerFigures) -> str:
    return name if name == layer.path else f"{name} (its last layer {layer.path})"


def _input_size(analysis: Analysis) -> tuple[int, int]:
    if analysis.field_input is None:
        raise FigureError(
            f"{analysis.name} has no input with concrete spatial axes, so it has no "
            "receptive fields to draw"
        )
    (tensor,) = [t for n, t in analysis.graph.inputs if n == analysis.field_input]
    spatial = analysis.graph.shape(tensor)[2:]
    if len(spatial) != 2:
        raise FigureError(
            f"receptive-field pictures are drawn over 2-d inputs (images); input "
            f"{analysis.field_input} has {len(spatial)} spatial axes"
        )
    return (int(spatial[0]), int(spatial[1]))


def _why(analysis: Analysis, layer: LayerFigures) -> str:
    """The warning that made the field unknown upstream of `layer`, if there is one."""
    index: dict = {}
    for i, node in enumerate(analysis.graph.nodes):
        index.setdefault(node.span, i)  # a block body's span: its first instance
    here = [layer.path for layer in analysis.layers].index(layer.path)
    causes = [
        w for w in analysis.warnings
        if w.code in UNKNOWN_CODES and index.get(w.span, len(index)) <= here
    ]  # fmt: skip
    if not causes:
        return "it does not depend on the network's input"
    cause = causes[-1]
    where = f" (line {cause.span.line})" if cause.span else ""
    return f"{cause.code}{where}: {cause.message}"


def _unit(layer, output_size, unit, name) -> tuple[int, int]:
    if output_size is None:
        if unit not in (None, (0, 0)):
            raise ChoiceError(f"{name} has no spatial positions to choose from: drop --unit")
        return (0, 0)
    if unit is None:
        return ((output_size[0] - 1) // 2, (output_size[1] - 1) // 2)
    if not all(0 <= u < n for u, n in zip(unit, output_size, strict=True)):
        raise ChoiceError(
            f"unit ({unit[0]}, {unit[1]}) is outside {name}'s {output_size[0]}x{output_size[1]} "
            f"output: rows 0-{output_size[0] - 1}, cols 0-{output_size[1] - 1}"
        )
    return unit


def _neighbour(unit: tuple[int, int], size: tuple[int, int]) -> tuple[int, int] | None:
    """The next unit along the columns (else back one, else along the rows)."""
    row, col = unit
    for candidate in ((row, col + 1), (row, col - 1), (row + 1, col), (row - 1, col)):
        if 0 <= candidate[0] < size[0] and 0 <= candidate[1] < size[1]:
            return candidate
    return None


def show(value: Fraction) -> str:
    """`3`, `-90`, `7/2`: a field number as the report writes it."""
    return str(value.numerator) if value.denominator == 1 else str(value)
