"""The convolution pictures of Dumoulin & Visin (arXiv:1603.07285) as scenes.

Blue input cells, white dashed padding, the kernel's taps shaded dark over the input, the
output grid beside it (cyan; green for a transposed convolution) with the cell being
computed dark: one frame per output cell, row by row. A transposed convolution is drawn
as the paper draws it, as the equivalent stride-1 convolution over the input with zeros
inserted (grey) and padded. Pooling is drawn the same way; ceil mode's partial last
window overhangs the padded input where there are no cells (dotted).

Everything about where things are comes from :mod:`netspec.teach.figures.geometry`; this
module only places and colours it. `animation_scene` has a caption per frame for
animations; `sheet_scene` is smaller, with a label per frame, for a sheet of all frames.
"""

from __future__ import annotations

from netspec.teach.figures import geometry as cg
from netspec.teach.figures.conv_text import caption, legend_items, title_lines
from netspec.teach.figures.scene import (
    GLUE,
    SHEET_GAP,
    Line,
    Part,
    Rects,
    Scene,
    Segments,
    Shape,
    Text,
    rect,
    text_width,
    wrap,
)

# Cell kind -> (fill, stroke, dashed), and the fill where the kernel covers it.
STYLE = {
    cg.INPUT: ("#7eb3e3", "#2d5f8e", False),
    cg.PADDING: ("#ffffff", "#7d9bb8", True),
    cg.ZERO: ("#e4e8ec", "#7d9bb8", True),
    cg.OUTPUT_PADDING: ("#ffffff", "#b07db8", True),
    cg.BEYOND: (None, "#b5b5b5", True),
}
TAP = {
    cg.INPUT: "#1d4a7a",
    cg.PADDING: "#8aa0b8",
    cg.ZERO: "#8aa0b8",
    cg.OUTPUT_PADDING: "#a88ab8",
    cg.BEYOND: "#cfcfcf",
}
TAP_GRID = "#5f86b0"  # cell edges over the taps
OUTPUT = {False: ("#86dcd4", "#2a7f78", "#136b63"), True: ("#9ad49a", "#3a7d3a", "#1f5e1f")}
WINDOW = "#0b2540"
CONNECTOR = "#8c8c8c"
FRAME_MS = 700  # milliseconds per frame: time to see where the kernel went
LOOP_MS = 60_000  # longest loop a default delay gives: a minute
LABEL_H = 20  # space above the grids for their names
SHEET_WIDEST = 1600.0  # pixels for a row of panels


def frame_delay(frames: int, asked: int | None = None) -> int:
    """Milliseconds per frame of an animation: `asked`, else FRAME_MS, shortened for many
    frames so that the loop lasts under a minute (in hundredths: GIF keeps no finer)."""
    if asked is not None:
        return asked
    if frames * FRAME_MS <= LOOP_MS:
        return FRAME_MS
    return max(20, LOOP_MS // frames // 10 * 10)  # MAX_FRAMES of 20 ms is 20 s


def animation_scene(g: cg.Geometry) -> Scene:
    side = max(*g.canvas, *g.output)
    return _scene(g, _clamp(round(300 / side), 8, 36), captions=True)


def sheet_scene(g: cg.Geometry) -> Scene:
    """Panels small enough that one output row of them fits SHEET_WIDEST, if cells of 4
    pixels can do it."""
    side = max(*g.canvas, *g.output)
    c = _clamp(round(150 / side), 5, 22)
    scene = _scene(g, c, captions=False)
    while c > 4 and g.output[1] * (scene.body.width + SHEET_GAP) > SHEET_WIDEST:
        c -= 1
        scene = _scene(g, c, captions=False)
    return scene


def sheet_columns(g: cg.Geometry, scene: Scene) -> int:
    """Panels per row: one sheet row per output row, as in the paper's figure rows, unless
    that is wider than SHEET_WIDEST."""
    fit = max(1, int((SHEET_WIDEST + SHEET_GAP) // (scene.body.width + SHEET_GAP)))
    return g.output[1] if g.output[1] <= fit else fit


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _scene(g: cg.Geometry, c: float, captions: bool) -> Scene:
    rows, cols = g.canvas
    gap = max(48.0 if captions else 24.0, 3 * c)  # room for the connectors
    in_w, in_h = cols * c, rows * c
    out_w, out_h = g.output[1] * c, g.output[0] * c
    out_x, out_y = in_w + gap, LABEL_H + max(0.0, (in_h - out_h) / 2)
    height = LABEL_H + max(in_h, out_h) + (26 if captions else 4)
    width = out_x + max(out_w, 60)
    transposed = g.question.transposed
    body = Part(width, height, _grids(g, c, (out_x, out_y), names=captions))
    frames, labels = [], []
    for r, col in g.frames():
        overlay = _overlay(g, c, (r, col), (out_x, out_y))
        if captions:
            overlay += (Text(0, height - 6, caption(g, r, col), 12),)
        frames.append(overlay)
        labels.append(f"output ({r}, {col})")
    header = _header(g, width)
    footer = _legend(legend_items(g, STYLE, TAP, OUTPUT[transposed]), max(width, header.width))
    title = title_lines(g)[0].replace(GLUE, " ")
    return Scene(title, header, body, footer, tuple(frames), tuple(labels))


def _header(g: cg.Geometry, width: float) -> Part:
    """The title (bold) and the formulas, wrapped to the body's width (at least 520)."""
    width = max(width, 520)
    title, *rest = title_lines(g)
    lines = [(line, True) for line in wrap(title, 15, width, bold=True)]
    lines += [(part, False) for line in rest for part in wrap(line, 13, width)]
    shapes = tuple(
        Text(0, 15 + 19 * n, line, 15 if bold else 13, bold=bold)
        for n, (line, bold) in enumerate(lines)
    )
    widest = max(text_width(line, 15 if bold else 13, bold) for line, bold in lines)
    return Part(max(width, widest), 19 * len(lines) + 10, shapes)


def _grids(g: cg.Geometry, c: float, out_at: tuple[float, float], names: bool) -> tuple[Shape, ...]:
    q = g.question
    by_kind: dict[str, list] = {}
    for y in range(g.canvas[0]):
        for x in range(g.canvas[1]):
            by_kind.setdefault(g.kind(y, x), []).append((x * c, LABEL_H + y * c, c, c))
    shapes: list[Shape] = []
    for kind, cells in by_kind.items():
        fill, stroke, dash = STYLE[kind]
        shapes.append(Rects(tuple(cells), fill, stroke, 1, dash, name=f"canvas-{kind}"))
    ox, oy = out_at
    fill, stroke, _ = OUTPUT[q.transposed]
    out = [(ox + x * c, oy + y * c, c, c) for y in range(g.output[0]) for x in range(g.output[1])]
    shapes.append(Rects(tuple(out), fill, stroke, name="output-grid"))
    if names:
        name = "stretched, padded input" if q.transposed else "input"
        shapes.append(Text(0, LABEL_H - 6, name, 12, bold=True))
        shapes.append(Text(ox, oy - 6, "output", 12, bold=True))
    return tuple(shapes)


def _overlay(g: cg.Geometry, c: float, at: tuple[int, int], out_at: tuple[float, float]):
    r, col = at
    taps: dict[str, list] = {}
    edges: list[tuple[float, float, float, float]] = []
    # One rectangle per run of like cells, with the cell edges inside it drawn over it,
    # keeps a 45x45 kernel's 400 frames small (and needs no transparency, which not every
    # SVG renderer has).
    for y0, y1 in _runs(g.rows, r):
        for x0, x1 in _runs(g.cols, col):
            box = (x0 * c, LABEL_H + y0 * c, (x1 - x0) * c, (y1 - y0) * c)
            taps.setdefault(g.kind(y0, x0), []).append(box)
            edges += _inner_edges(box, c)
    shapes: list[Shape] = [
        Rects(tuple(cells), TAP[kind], TAP_GRID, name=f"tap-{kind}") for kind, cells in taps.items()
    ]
    shapes.append(Segments(tuple(edges), TAP_GRID))
    top, left = g.rows.starts[r], g.cols.starts[col]
    wx, wy = left * c, LABEL_H + top * c
    ww, wh = g.cols.extent * c, g.rows.extent * c
    shapes.append(rect(wx, wy, ww, wh, stroke=WINDOW, width=2, name="kernel-window"))
    ox, oy = out_at[0] + col * c, out_at[1] + r * c
    # From the window's right corners to the left corners of the cell it computes: the
    # lines end on that cell (drawn over them), so they point at it, not at the grid.
    for y1, y2 in ((wy, oy), (wy + wh, oy + c)):
        shapes.append(Line(wx + ww, y1, ox, y2, CONNECTOR))
    dark = OUTPUT[g.question.transposed][2]
    shapes.append(rect(ox, oy, c, c, fill=dark, stroke=WINDOW, width=2, name="output-cell"))
    return tuple(shapes)


def _inner_edges(box: tuple[float, float, float, float], c: float) -> list:
    """The cell edges inside a run of taps, which its fill covers."""
    x, y, w, h = box
    across = [(x, y + n * c, x + w, y + n * c) for n in range(1, round(h / c))]
    down = [(x + n * c, y, x + n * c, y + h) for n in range(1, round(w / c))]
    return across + down


def _runs(axis: cg.AxisGeometry, j: int) -> list[tuple[int, int]]:
    """Output position j's taps on one axis as [start, end) runs of adjacent cells of one
    kind: one run per tap when dilated, few runs otherwise."""
    runs: list[tuple[int, int]] = []
    for cell in axis.window(j):
        if runs and runs[-1][1] == cell and axis.kinds[cell] == axis.kinds[runs[-1][0]]:
            runs[-1] = (runs[-1][0], cell + 1)
        else:
            runs.append((cell, cell + 1))
    return runs


def _legend(items, width: float) -> Part:
    """Swatches with their names, wrapped to `width`."""
    shapes: list[Shape] = []
    x = y = 0.0
    top = 14.0
    for fill, stroke, dash, label in items:
        item_w = 20 + text_width(label, 12) + 22
        if x and x + item_w > width:
            x, y = 0.0, y + 22
        shapes.append(rect(x, top + y, 14, 14, fill=fill, stroke=stroke, dash=dash))
        shapes.append(Text(x + 20, top + y + 12, label, 12))
        x += item_w
    return Part(width, top + y + 22, tuple(shapes))
