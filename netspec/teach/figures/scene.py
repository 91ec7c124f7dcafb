"""A picture as data, and its SVG: a still, a looping animation, or a sheet of all frames.

A :class:`Scene` is a header, a body and a footer, each a list of shapes in its own
coordinates (x right, y down, user units = pixels), plus one overlay per frame drawn over
the body. The figure modules build scenes; this module writes them as SVG and
:mod:`netspec.teach.figures.raster` as GIF or PNG, so both formats show the same picture.
Colours are `#rrggbb`. Text positions are baselines, as in SVG.

Guarantees: the animation shows exactly one overlay at a time, frame f during
[f T, (f + 1) T) of a loop of n T seconds (SMIL <animateTransform>, discrete timing,
repeating forever: the other frames are moved far out of sight, not hidden, since
ImageMagick draws hidden elements); renderers that do not animate show frame 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from netspec.teach.svg import Svg

Cell = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Rects:
    """Rectangles of one style; several become one SVG path (a grid of cells)."""

    cells: tuple[Cell, ...]
    fill: str | None = None  # None: not filled
    stroke: str | None = None
    width: float = 1.0
    dash: bool = False
    opacity: float = 1.0  # of the fill
    name: str | None = None  # the SVG class: what the shape is, for tests and stylesheets


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = "#333333"
    width: float = 1.0
    dash: bool = False


@dataclass(frozen=True)
class Segments:
    """Many solid line segments of one style: one SVG path (a grid's lines)."""

    ends: tuple[tuple[float, float, float, float], ...]  # x1, y1, x2, y2
    stroke: str = "#333333"
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 12
    anchor: str = "start"  # start, middle, end
    fill: str = "#222222"
    bold: bool = False


Shape = Rects | Line | Segments | Text


def rect(x: float, y: float, w: float, h: float, **style) -> Rects:
    return Rects(((x, y, w, h),), **style)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """About how wide `text` is in DejaVu Sans (measured: 0.55 em a character, bold 0.7)."""
    return len(text) * size * (0.7 if bold else 0.55)


GLUE = "\u00a0"  # a space that wrap() never breaks at (inside a phrase); drawn as a space


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` in lines of at most about `width`, broken at spaces, not at GLUE."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(lines[-1] + " " + word, size, bold) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return [line.replace(GLUE, " ") for line in lines]


@dataclass(frozen=True)
class Part:
    width: float
    height: float
    shapes: tuple[Shape, ...] = ()


@dataclass(frozen=True)
class Scene:
    title: str
    header: Part
    body: Part
    footer: Part
    frames: tuple[tuple[Shape, ...], ...] = ()  # overlays in body coordinates
    labels: tuple[str, ...] = ()  # one per frame, above each panel of a sheet
    margin: float = 16

    @property
    def width(self) -> float:
        return max(self.header.width, self.body.width, self.footer.width) + 2 * self.margin

    @property
    def height(self) -> float:
        return self.header.height + self.body.height + self.footer.height + 2 * self.margin


@dataclass(frozen=True)
class Sheet:
    """Where the panels of a sheet go: one per frame, row by row, with a label above."""

    width: float
    height: float
    origins: tuple[tuple[float, float], ...]  # top-left of each panel's body
    header_y: float
    footer_y: float


SHEET_GAP, SHEET_LABEL = 14.0, 18.0  # between panels; room for a panel's label


def sheet_layout(scene: Scene, columns: int) -> Sheet:
    n, m, gap, label = len(scene.frames), scene.margin, SHEET_GAP, SHEET_LABEL
    columns = max(1, min(columns, n))
    rows = ceil(n / columns)
    cell_w, cell_h = scene.body.width + gap, scene.body.height + label + gap
    top = m + scene.header.height
    origins = tuple(
        (m + (f % columns) * cell_w, top + (f // columns) * cell_h + label) for f in range(n)
    )
    grid_w = columns * cell_w - gap
    width = max(grid_w, scene.header.width, scene.footer.width) + 2 * m
    footer_y = top + rows * cell_h
    return Sheet(width, footer_y + scene.footer.height + m, origins, m, footer_y)


# --- SVG -------------------------------------------------------------------------------


def to_svg(scene: Scene, frame: int | None = 0) -> str:
    """A still: the scene with one frame's overlay (None: none)."""
    svg = _frame_svg(scene, scene.width, scene.height)
    if frame is not None and scene.frames:
        _group(svg, scene.frames[frame], scene.margin, _body_y(scene))
    return str(svg)


def to_animated_svg(scene: Scene, seconds: float) -> str:
    """The frames one after another, `seconds` each, looping (SMIL, discrete)."""
    svg = _frame_svg(scene, scene.width, scene.height)
    n = len(scene.frames)
    svg.open_group(transform=f"translate({scene.margin:g},{_body_y(scene):g})")
    for f, overlay in enumerate(scene.frames):
        # A frame off its turn is moved out of sight rather than hidden: ImageMagick's
        # renderer draws hidden elements, and every renderer without SMIL shows frame 0.
        svg.open_group(transform=ON if f == 0 else OFF, class_="frame")
        if n > 1:
            svg.raw(_turn(f, n, seconds))
        _shapes(svg, overlay)
        svg.close_group()
    svg.close_group()
    return str(svg)


def to_sheet_svg(scene: Scene, columns: int) -> str:
    """Every frame as its own panel, labelled, in a grid of `columns` panels per row."""
    sheet = sheet_layout(scene, columns)
    svg = Svg(sheet.width, sheet.height, scene.title)
    svg.rect(0, 0, sheet.width, sheet.height, fill="#ffffff", stroke="none")
    _group(svg, scene.header.shapes, scene.margin, sheet.header_y)
    svg.raw('<defs><g id="body">')  # drawn once, shown in every panel by <use>
    _shapes(svg, scene.body.shapes)
    svg.raw("</g></defs>")
    for (x, y), overlay, label in zip(sheet.origins, scene.frames, _labels(scene), strict=True):
        svg.text(x, y - 5, label, 12, fill="#222222")
        svg.raw(
            f'<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="#body" '
            f'x="{x:g}" y="{y:g}"/>'
        )
        _group(svg, overlay, x, y)
    _group(svg, scene.footer.shapes, scene.margin, sheet.footer_y)
    return str(svg)


def _labels(scene: Scene) -> tuple[str, ...]:
    return scene.labels or tuple(f"frame {f + 1}" for f in range(len(scene.frames)))


def _body_y(scene: Scene) -> float:
    return scene.margin + scene.header.height


def _frame_svg(scene: Scene, width: float, height: float) -> Svg:
    svg = Svg(width, height, scene.title)
    svg.rect(0, 0, width, height, fill="#ffffff", stroke="none")
    _group(svg, scene.header.shapes, scene.margin, scene.margin)
    _group(svg, scene.body.shapes, scene.margin, _body_y(scene))
    _group(svg, scene.footer.shapes, scene.margin, _body_y(scene) + scene.body.height)
    return svg


FAR = -100000  # where a frame waits for its turn, in both axes
ON, OFF = "translate(0,0)", f"translate({FAR},{FAR})"


def _turn(f: int, n: int, seconds: float) -> str:
    """In sight during [f/n, (f+1)/n) of the loop, out of it otherwise."""
    start, end = f / n, (f + 1) / n
    on, off = "0 0", f"{FAR} {FAR}"
    if f == 0:
        values, times = f"{on};{off}", f"0;{end:.6g}"
    elif f == n - 1:
        values, times = f"{off};{on}", f"0;{start:.6g}"
    else:
        values, times = f"{off};{on};{off}", f"0;{start:.6g};{end:.6g}"
    return (
        f'<animateTransform attributeName="transform" type="translate" values="{values}" '
        f'keyTimes="{times}" dur="{n * seconds:.6g}s" calcMode="discrete" '
        'repeatCount="indefinite"/>'
    )


def _group(svg: Svg, shapes: tuple[Shape, ...], x: float, y: float) -> None:
    if not shapes:
        return
    svg.open_group(transform=f"translate({x:g},{y:g})")
    _shapes(svg, shapes)
    svg.close_group()


def _shapes(svg: Svg, shapes: tuple[Shape, ...]) -> None:
    for shape in shapes:
        if isinstance(shape, Rects):
            _rects(svg, shape)
        elif isinstance(shape, Segments):
            if shape.ends:
                d = "".join(f"M{a:g} {b:g}L{c:g} {e:g}" for a, b, c, e in shape.ends)
                svg.path(d, fill="none", stroke=shape.stroke, stroke_width=shape.width)
        elif isinstance(shape, Line):
            dash = "4 3" if shape.dash else None
            svg.line(shape.x1, shape.y1, shape.x2, shape.y2, stroke=shape.stroke,
                     stroke_width=shape.width, stroke_dasharray=dash)  # fmt: skip
        else:
            svg.text(shape.x, shape.y, shape.text, shape.size, text_anchor=shape.anchor,
                     fill=shape.fill, stroke="none",
                     font_weight="bold" if shape.bold else None)  # fmt: skip


def _rects(svg: Svg, r: Rects) -> None:
    # stroke="none" spelled out: ImageMagick's own SVG renderer strokes in black otherwise.
    style = {
        "fill": r.fill or "none",
        "fill_opacity": r.opacity if r.fill and r.opacity < 1 else None,
        "stroke": r.stroke or "none",
        "stroke_width": r.width if r.stroke else None,
        "stroke_dasharray": "3 2" if r.dash and r.stroke else None,
        "class_": r.name,
    }
    if len(r.cells) == 1:
        svg.rect(*r.cells[0], **style)
    elif r.cells and r.dash:  # ImageMagick dashes a path's subpaths as one line: rects
        svg.open_group(**style)
        for cell in r.cells:
            svg.rect(*cell)
        svg.close_group()
    elif r.cells:
        d = "".join(f"M{x:g} {y:g}h{w:g}v{h:g}h{-w:g}z" for x, y, w, h in r.cells)
        svg.path(d, **style)
