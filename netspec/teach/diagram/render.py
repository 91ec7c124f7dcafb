"""The network as a diagram (what Netscope draws for Caffe): `netspec draw SPEC -o net.svg`.

One box per statement (depth 0) or per block call / layer deeper down (see
:mod:`netspec.teach.diagram.graph`), coloured by op family, with its name, op or call,
window, output shape and parameters; the network's inputs and outputs as nodes of their
own; edges along the data flow, labelled with the tensor's shape where a box changed
it; a title with the input shape and the totals, and a legend. The layout is netspec's
own (:mod:`netspec.teach.diagram.layout`), no graphviz. The drawing goes through the SVG
writer's calls (:class:`Canvas`), so :func:`draw_network` paints the same picture on any
canvas that has them (Pillow's, for PNG and PDF).

Assumes an Analysis. Guarantees a standalone, well-formed SVG in which no two boxes
overlap and every edge runs from a box's bottom border to another's top border, or a
:class:`DiagramError` (more than MAX_BOXES boxes, or a negative depth) whose message
says which --depth to use instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol, TypeVar

from netspec.analysis import Analysis
from netspec.teach.diagram.graph import Box, DiagramGraph, box_count, diagram_graph
from netspec.teach.diagram.layout import Layout, curve, layout
from netspec.teach.diagram.style import (
    FAMILY_STYLE,
    PAD_X,
    PAD_Y,
    Line,
    box_height,
    box_lines,
    box_width,
    compact_shape,
    fit,
    fit_path,
    text_width,
)
from netspec.teach.svg import FONT, MONO, Svg
from netspec.units import si
from netspec.values import show_shape

MAX_BOXES = 600  # beyond this a diagram is a poster nobody reads; tables still work
MARGIN = 24.0
EDGE_COLOUR = "#5a5a5a"
TEXT_COLOUR = "#111111"

ARROW = (4.5, 9.0)  # half width and length of an arrowhead; every route ends going down


C = TypeVar("C", bound="Canvas")


class DiagramError(ValueError):
    """A diagram that cannot be drawn as asked; the message says what to ask instead."""


class Canvas(Protocol):
    """What the diagram draws on: :class:`Svg`, or a canvas with its calls that paints
    pixels (netspec.teach.figures.canvas.PilCanvas, for PNG)."""

    width: float
    height: float

    def raw(self, text: str) -> None: ...
    def rect(self, x: float, y: float, w: float, h: float, **attrs: object) -> None: ...
    def path(self, d: str, **attrs: object) -> None: ...
    def text(self, x: float, y: float, content: str, size: float = 12, **attrs: object) -> None: ...
    def open_group(self, **attrs: object) -> None: ...
    def close_group(self) -> None: ...


def network_svg(analysis: Analysis, *, depth: int = 0, opened: frozenset[str] = frozenset()) -> str:
    """The SVG text of the network's diagram at `depth` (0: one box per statement), the
    boxes whose keys are in `opened` opened one level further."""
    return str(draw_network(analysis, depth, Svg, opened))


def draw_network(
    analysis: Analysis,
    depth: int,
    canvas: Callable[[float, float, str], C],
    opened: frozenset[str] = frozenset(),
) -> C:
    """The diagram at `depth` drawn on `canvas(width, height, title)`, which is returned."""
    if depth < 0:
        raise DiagramError(f"--depth must be 0 or more, got {depth}")
    count = box_count(analysis.graph, depth, opened)
    if count > MAX_BOXES:
        raise DiagramError(_too_many(analysis, depth, count))
    g = diagram_graph(analysis, depth, opened)
    return _render(analysis, g, canvas, len(opened))


def _too_many(analysis: Analysis, depth: int, count: int) -> str:
    head = (
        f"{analysis.name} at depth {depth} would be {count:,} boxes, more than the "
        f"{MAX_BOXES} a diagram can show readably"
    )
    for smaller in range(depth - 1, -1, -1):
        fewer = box_count(analysis.graph, smaller)
        if fewer <= MAX_BOXES:
            return f"{head}; use --depth {smaller} ({fewer:,} box{'es' if fewer != 1 else ''})"
    return f"{head}; `netspec check` lists its layers as a table instead"


def _render(
    analysis: Analysis, g: DiagramGraph, canvas: Callable[[float, float, str], C], opened: int = 0
) -> C:
    lines = [box_lines(b) for b in g.boxes]
    width = box_width(lines)
    room = width - 2 * PAD_X
    lines = [[fit_path(ls[0], room)] + [fit(x, room) for x in ls[1:]] for ls in lines]
    sizes = [(width, box_height(ls)) for ls in lines]
    index = {b.key: i for i, b in enumerate(g.boxes)}
    placed = layout(sizes, [(index[e.source], index[e.target]) for e in g.edges])
    header = _header(analysis, g, opened)
    header_width = max(text_width(x.text, x.size, x.bold) for x in header)
    present = {b.family for b in g.boxes}
    families = list(dict.fromkeys(s[2] for f, s in FAMILY_STYLE.items() if f in present))
    legend_width = sum(_legend_step(name) for name in families)
    content = max(placed.width, header_width, legend_width)
    top = MARGIN + sum(x.height for x in header) + 34
    width, height = math.ceil(content + 2 * MARGIN), math.ceil(top + placed.height + MARGIN)
    svg = canvas(width, height, f"{g.name} (netspec diagram)")
    svg.rect(0, 0, svg.width, svg.height, fill="#ffffff")
    # Fonts, colour and anchor are set once on groups and inherited: a third of the bytes.
    svg.open_group(font_family=FONT, fill=TEXT_COLOUR)
    y = MARGIN
    for line in header:
        y += line.height
        _text(svg, MARGIN, y - 0.25 * line.size, line)
    _legend(svg, MARGIN, y + 12, families)
    dx = MARGIN + (content - placed.width) / 2
    _edges(svg, g, placed, dx, top)
    svg.open_group(class_="boxes", text_anchor="middle")
    for box, ls, (w, h), x, by in zip(g.boxes, lines, sizes, placed.x, placed.y, strict=True):
        _box(svg, box, ls, dx + x - w / 2, top + by, w, h)
    svg.close_group()
    svg.close_group()
    return svg


def _header(analysis: Analysis, g: DiagramGraph, opened: int = 0) -> list[Line]:
    graph, t = analysis.graph, analysis.totals
    params = ", ".join(f"{k}={v}" for k, v in graph.parameters.items())
    inputs = ", ".join(f"{n} {show_shape(graph.shape(i))}" for n, i in graph.inputs)
    count = sum(1 for b in g.boxes if b.layers)
    what = (
        "one box per statement"
        if g.depth == 0
        else f"statements opened, block calls {g.depth} level{'s' if g.depth > 1 else ''} in "
        "drawn whole"
    ) + (f", {opened} opened" if opened else "")
    return [
        Line(g.name + (f"({params})" if params else ""), 20, bold=True),
        Line(
            f"input {inputs}   ·   {_readable(t.params)} parameters   ·   "
            f"{_readable(t.macs)} multiply-adds",
            12.5,
        ),
        Line(f"depth {g.depth}: {count} boxes, {what}   ·   {len(analysis.layers)} layers", 11,
             colour="#555555"),
    ]  # fmt: skip


def _readable(n: int) -> str:
    return f"{n:,}" + (f" ({si(n)})" if si(n) != f"{n:,}" else "")


def _legend_step(name: str) -> float:
    return 22 + text_width(name, 11) + 18


def _legend(svg: Canvas, x: float, y: float, families: list[str]) -> None:
    svg.open_group(class_="legend")
    styles = {text: (fill, stroke) for fill, stroke, text in FAMILY_STYLE.values()}
    for name in families:
        fill, stroke = styles[name]
        svg.rect(x, y - 10, 14, 14, rx=3, fill=fill, stroke=stroke, stroke_width=1.2)
        svg.text(x + 20, y + 1.5, name, 11, font_family=None, fill="#333333")
        x += _legend_step(name)
    svg.close_group()


def _edges(svg: Canvas, g: DiagramGraph, placed: Layout, dx: float, dy: float) -> None:
    # Arrowheads and label backgrounds are drawn, not markers or paint-order: simpler
    # renderers (ImageMagick's own) skip those.
    svg.open_group(class_="edges", fill="none", stroke=EDGE_COLOUR, stroke_width=1.4)
    heads = []
    for edge, route in zip(g.edges, placed.routes, strict=True):
        points = [(x + dx, y + dy) for x, y in route]
        svg.path(curve(points), data_source=edge.source, data_target=edge.target)
        (x, y), (w, h) = points[-1], ARROW
        heads.append(f"M{x - w:.1f},{y - h:.1f} L{x + w:.1f},{y - h:.1f} L{x:.1f},{y:.1f} Z")
    svg.close_group()
    svg.path(" ".join(heads), class_="arrowheads", fill=EDGE_COLOUR)
    # A label sits on the stub under its source's centre, over the edges' first pixels,
    # where no curve has turned yet: one per source, however many edges fan out.
    svg.open_group(class_="shapes", font_family=MONO, font_size=10, fill="#444444",
                   text_anchor="middle")  # fmt: skip
    labelled = set()
    index = {b.key: i for i, b in enumerate(g.boxes)}
    for edge, route in zip(g.edges, placed.routes, strict=True):
        if edge.changed and edge.source not in labelled:
            labelled.add(edge.source)
            text, source = compact_shape(edge.shape), index[edge.source]
            x, y = placed.x[source] + dx, route[0][1] + dy + 2
            w = 6.02 * len(text) + 6
            svg.rect(round(x - w / 2, 1), round(y, 1), round(w, 1), 13, fill="#ffffff",
                     stroke="none")  # fmt: skip
            svg.text(round(x, 1), round(y + 10, 1), text, 10, font_family=None)
    svg.close_group()


def _box(svg: Canvas, box: Box, lines: list[Line], x: float, y: float, w: float, h: float) -> None:
    fill, stroke, _ = FAMILY_STYLE[box.family]
    svg.open_group(class_="box", data_key=box.key, data_kind=box.kind)
    svg.raw(f"<title>{_escape(_tooltip(box))}</title>")
    terminal = box.kind in ("input", "output")
    svg.rect(round(x, 1), round(y, 1), round(w, 1), round(h, 1), rx=14 if terminal else 4,
             fill=fill, stroke=stroke, stroke_width=1.8 if terminal else 1.3)  # fmt: skip
    top = y + PAD_Y
    for line in lines:
        top += line.height
        _text(svg, x + w / 2, top - 0.3 * line.size, line)
    svg.close_group()


def _tooltip(box: Box) -> str:
    if not box.layers:
        return f"{box.kind} {box.name} {show_shape(box.shape)}"
    return f"{box.name}: {box.label}, {len(box.layers)} layers, {box.params:,} parameters"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(svg: Canvas, x: float, y: float, line: Line) -> None:
    """A line of text; what its group sets already (font, colour) is left out."""
    svg.text(round(x, 1), round(y, 1), line.text, line.size,
             font_family=MONO if line.mono else None,
             fill=None if line.colour == TEXT_COLOUR else line.colour,
             font_weight="bold" if line.bold else None)  # fmt: skip
