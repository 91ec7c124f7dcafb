"""The receptive-field picture: one unit's field drawn over the network input's grid.

The input grid (cells grouped g x g when the input is large, with ticks in input cells),
the zero padding around it where a field reaches past the input (dashed), the chosen
unit's field (orange; lighter where it lies on padding) with its centre marked, the
neighbouring unit's field (dashed blue) with the effective stride S between them, and the
layer's output map with the unit. Every coordinate comes from a
:class:`~netspec.teach.figures.receptive.FieldView`: one input cell is `u` pixels, and the
field [start, end) spans x = grid_x + (start - lo) u to grid_x + (end - lo) u.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

from netspec.teach.figures.receptive import FieldView, show
from netspec.teach.figures.scene import (
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
from netspec.values import show_shape

TARGET = 480.0  # pixels for the longest axis of the drawn region
INPUT_FILL, INPUT_LINE, PAD_LINE = "#dce9f5", "#a9c1d9", "#c6c6c6"
FIELD, FIELD_LINE, NEIGHBOUR = "#f08a24", "#b34700", "#1f5fbf"
# The field's fill, as orange at 50% over the input and at 16% over white padding, solid:
# the grid is drawn over it, and not every SVG renderer knows transparency.
ON_INPUT, ON_PADDING = "#e6b98c", "#fdecdc"
LEFT, TOP = 44.0, 24.0  # room for the tick labels


def receptive_scene(view: FieldView) -> Scene:
    body, width = _body(view)
    header = _header(view, width)
    return Scene(_title(view), header, body, _legend(view, max(width, header.width)))


def region(view: FieldView) -> tuple[tuple[int, int], tuple[int, int], float, int]:
    """The drawn input region per axis [lo, hi) in input cells, pixels per cell, group."""
    boxes = [view.box] + ([view.neighbour_box] if view.neighbour_box else [])
    spans = []
    for axis in (0, 1):
        lo = min([Fraction(0)] + [b[axis][0] for b in boxes])
        hi = max([Fraction(view.input_size[axis])] + [b[axis][1] for b in boxes])
        spans.append((floor(lo), ceil(hi)))
    u = min(24.0, TARGET / max(hi - lo for lo, hi in spans))
    g = next(g for g in (1, 2, 4, 8, 16, 32, 64, 128, 256) if g * u >= 10 or g == 256)
    spans = [(floor(lo / g) * g, ceil(hi / g) * g) for lo, hi in spans]
    u = min(24.0, TARGET / max(hi - lo for lo, hi in spans))
    return spans[0], spans[1], u, g


def _body(view: FieldView) -> tuple[Part, float]:
    (y0, y1), (x0, x1), u, g = region(view)

    def px(v, lo: int, origin: float) -> float:
        return origin + float(v - lo) * u

    def X(v) -> float:
        return px(v, x0, LEFT)

    def Y(v) -> float:
        return px(v, y0, TOP)

    H, W = view.input_size
    # Back to front: padding, the field on it, padding's grid; the input, the field on it,
    # the input's grid; then the outlines.
    on_padding, on_input = _field_fills(view, X, Y)
    shapes: list[Shape] = [rect(X(x0), Y(y0), (x1 - x0) * u, (y1 - y0) * u, fill="#ffffff")]
    shapes += on_padding
    shapes += _grid_lines(X, Y, (y0, y1), (x0, x1), g, PAD_LINE, dash=True)
    shapes.append(rect(X(0), Y(0), W * u, H * u, fill=INPUT_FILL))
    shapes += on_input
    shapes += _grid_lines(X, Y, (0, H), (0, W), g, INPUT_LINE, dash=False)
    shapes.append(rect(X(0), Y(0), W * u, H * u, stroke="#2d5f8e", width=1.5, name="input-area"))
    shapes += _ticks(X, Y, (y0, y1), (x0, x1), g)
    shapes += _field_marks(view, X, Y)
    right = X(x1)
    out_shapes, out_w, out_h = _output_map(view, right + 36, TOP)
    shapes += out_shapes
    width = right + (36 + out_w if out_w else 0)
    return Part(width, max(Y(y1), TOP + out_h) + 8, tuple(shapes)), width


def _grid_lines(X, Y, rows, cols, g, colour, dash) -> list[Shape]:
    """Lines every g cells; dashed ones one by one (ImageMagick joins a dashed path's
    pieces), solid ones as one path."""
    (top, bottom), (left, right) = rows, cols
    ends = [(X(left), Y(v), X(right), Y(v)) for v in range(ceil(top / g) * g, bottom + 1, g)]
    ends += [(X(v), Y(top), X(v), Y(bottom)) for v in range(ceil(left / g) * g, right + 1, g)]
    if dash:
        return [Line(*e, colour, 1, True) for e in ends]
    return [Segments(tuple(ends), colour)]


def _ticks(X, Y, rows, cols, g) -> list[Shape]:
    span = max(rows[1] - rows[0], cols[1] - cols[0])
    step = next(
        t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if t >= g and span / t <= 10
    )
    shapes: list[Shape] = []
    for v in range(ceil(cols[0] / step) * step, cols[1] + 1, step):
        shapes.append(Line(X(v), TOP - 4, X(v), TOP, "#555555"))
        shapes.append(Text(X(v), TOP - 7, str(v), 10, anchor="middle", fill="#555555"))
    for v in range(ceil(rows[0] / step) * step, rows[1] + 1, step):
        shapes.append(Line(LEFT - 4, Y(v), LEFT, Y(v), "#555555"))
        shapes.append(Text(LEFT - 7, Y(v) + 4, str(v), 10, anchor="end", fill="#555555"))
    return shapes


def _field_fills(view: FieldView, X, Y) -> tuple[list[Shape], list[Shape]]:
    """The field's part on the padding and its part on the input."""
    (r0, r1), (c0, c1) = view.box
    H, W = view.input_size
    inside = (max(r0, 0), min(r1, H), max(c0, 0), min(c1, W))
    outside = [  # the field minus the input: bands above, below, left and right
        (r0, min(r1, 0), c0, c1), (max(r0, H), r1, c0, c1),
        (inside[0], inside[1], c0, min(c1, 0)), (inside[0], inside[1], max(c0, W), c1),
    ]  # fmt: skip
    cells = [(X(a), Y(t), X(b) - X(a), Y(bt) - Y(t)) for t, bt, a, b in outside if bt > t and b > a]
    on_padding: list[Shape] = []
    on_input: list[Shape] = []
    if cells:
        on_padding.append(Rects(tuple(cells), ON_PADDING, name="field-on-padding"))
    if inside[1] > inside[0] and inside[3] > inside[2]:
        t, bt, a, b = inside
        box = (X(a), Y(t), X(b) - X(a), Y(bt) - Y(t))
        on_input.append(Rects((box,), ON_INPUT, name="field-on-input"))
    return on_padding, on_input


def _field_marks(view: FieldView, X, Y) -> list[Shape]:
    """The field's outline, its centre, and the neighbour's field."""
    (r0, r1), (c0, c1) = view.box
    shapes: list[Shape] = []
    whole = (X(c0), Y(r0), X(c1) - X(c0), Y(r1) - Y(r0))
    shapes.append(Rects((whole,), None, FIELD_LINE, 2, name="field"))
    cy, cx = Y((r0 + r1) / 2), X((c0 + c1) / 2)
    shapes += [
        Line(cx - 5, cy, cx + 5, cy, FIELD_LINE, 2),
        Line(cx, cy - 5, cx, cy + 5, FIELD_LINE, 2),
    ]
    if view.neighbour_box:
        shapes += _neighbour(view, X, Y)
    return shapes


def _neighbour(view: FieldView, X, Y) -> list[Shape]:
    (r0, r1), (c0, c1) = view.neighbour_box  # type: ignore[misc]
    box = (X(c0), Y(r0), X(c1) - X(c0), Y(r1) - Y(r0))
    shapes: list[Shape] = [Rects((box,), None, NEIGHBOUR, 1.5, True, name="neighbour-field")]
    (a0, _), (b0, _) = view.box
    label = f"S = {_axis_text(view, 'stride')}"
    if view.neighbour[0] == view.unit[0]:  # type: ignore[index]
        y = Y(max(a0, r0)) + 14
        shapes.append(Line(X(b0), y, X(c0), y, NEIGHBOUR, 1.5))
        if X(c0) - X(b0) >= text_width(label, 11) + 6:  # the label fits above the arrow
            shapes.append(
                Text((X(b0) + X(c0)) / 2, y - 3, label, 11, anchor="middle", fill=NEIGHBOUR)
            )
        else:
            shapes.append(Text(max(X(b0), X(c0)) + 4, y + 4, label, 11, fill=NEIGHBOUR))
    else:
        x = X(max(b0, c0)) + 10
        shapes.append(Line(x, Y(a0), x, Y(r0), NEIGHBOUR, 1.5))
        shapes.append(Text(x + 4, (Y(a0) + Y(r0)) / 2 + 4, label, 11, fill=NEIGHBOUR))
    return shapes


def _output_map(view: FieldView, x: float, y: float) -> tuple[list[Shape], float, float]:
    name = view.layer.path
    if view.output_size is None or max(view.output_size) > 64:
        words = (
            "no spatial axes" if view.output_size is None else show_shape(view.layer.output_shape)
        )
        return [Text(x, y + 12, f"{name}: {words}", 12)], text_width(f"{name}: {words}", 12), 20
    h, w = view.output_size
    c = max(3.0, min(18.0, 160 / max(h, w)))
    top = y + 22
    cells = tuple((x + j * c, top + i * c, c, c) for i in range(h) for j in range(w))
    shapes: list[Shape] = [Text(x, y + 12, f"{name}: {h}×{w}", 12, bold=True),
                           Rects(cells, "#eeeeee", "#b0b0b0", 0.6 if c < 6 else 1)]  # fmt: skip
    ui, uj = view.unit
    shapes.append(rect(x + uj * c, top + ui * c, c, c, fill=FIELD, stroke=FIELD_LINE, name="unit"))
    if view.neighbour:
        ni, nj = view.neighbour
        shapes.append(rect(x + nj * c, top + ni * c, c, c, stroke=NEIGHBOUR, width=1.5))
    return shapes, max(w * c, text_width(f"{name}: {h}×{w}", 12, True)), 22 + h * c


def _axis_text(view: FieldView, what: str) -> str:
    values = [getattr(a, what) for a in view.field.axes]
    return show(values[0]) if values[0] == values[1] else "×".join(map(show, values))


def _title(view: FieldView) -> str:
    where = "every unit" if view.output_size is None else f"unit {view.unit}"
    name = view.layer.path
    if view.asked != name:
        name = f"{view.asked} (its last layer {name})"
    return f"{view.network}: the receptive field of {name}, {where}"


def _header(view: FieldView, width: float) -> Part:
    width = max(width, 520)
    lines = [(line, True) for line in wrap(_title(view), 15, width, bold=True)]
    lines += [(part, False) for text in _lines(view) for part in wrap(text, 13, width)]
    shapes = tuple(
        Text(0, 15 + 19 * n, line, 15 if bold else 13, bold=bold)
        for n, (line, bold) in enumerate(lines)
    )
    return Part(width, 19 * len(lines) + 10, shapes)


def _lines(view: FieldView) -> list[str]:
    f = view.field
    r, s, p = (_axis_text(view, w) for w in ("size", "stride", "padding"))
    if view.output_size is None:
        lines = [f"r = {r}, S = {s}, P = {p} (Araujo et al., Distill 2019); "
                 f"{view.layer.path} has no spatial axes: each of its units depends on "
                 "this whole field"]  # fmt: skip
    else:
        lines = [f"r = {r}, S = {s}, P = {p}: " + _rule(view)]
    (r0, r1), (c0, c1) = view.box
    H, W = view.input_size
    sees = f"rows {show(r0)} to {show(r1 - 1)}, cols {show(c0)} to {show(c1 - 1)}"
    who = "every unit" if view.output_size is None else f"unit {view.unit}"
    text = f"{who} sees input {sees} of the {H}×{W} input {view.input_name}"
    pad_rows = max(0, -r0) + max(0, r1 - H)
    pad_cols = max(0, -c0) + max(0, c1 - W)
    if pad_rows or pad_cols:
        text += f"; {show(pad_rows)} of its rows and {show(pad_cols)} of its cols are padding"
    lines.append(text)
    if view.neighbour:
        lines.append(
            f"dashed: the field of the neighbouring unit {view.neighbour}, S = {s} cells away"
        )
    if f.whole and view.output_size is not None:
        lines.append("after a global operation every unit sees this whole field")
    if any(v.denominator != 1 for a in f.axes for v in a):
        lines.append("after upsampling the field is exact fractions of cells: an interval "
                     "that contains every contributing input")  # fmt: skip
    g = region(view)[3]
    if g > 1:
        lines.append(f"one grid cell = {g}×{g} input cells; ticks count input cells")
    return lines


def _rule(view: FieldView) -> str:
    a, b = view.field.axes
    if a == b:
        start = f"y·{show(a.stride)}" + _signed(-a.padding)
        return (f"unit (y, x) sees rows {start} to {start} + {show(a.size - 1)}, and the "
                "same for columns (Araujo et al., Distill 2019)")  # fmt: skip
    return "unit (y, x) sees rows y·S − P to y·S − P + r − 1 per axis (Araujo et al., Distill 2019)"


def _signed(value: Fraction) -> str:
    """` − 90`, ` + 3`, or nothing for 0."""
    return "" if value == 0 else f" {'−' if value < 0 else '+'} {show(abs(value))}"


def _legend(view: FieldView, width: float) -> Part:
    (y0, y1), (x0, x1), _, _ = region(view)
    (r0, r1), (c0, c1) = view.box
    H, W = view.input_size
    items = [(INPUT_FILL, INPUT_LINE, False, "input")]
    if (y0, y1, x0, x1) != (0, H, 0, W):
        items.append(("#ffffff", PAD_LINE, True, "zero padding"))
    items.append((ON_INPUT, FIELD_LINE, False, "field on the input"))
    if min(r0, c0) < 0 or r1 > H or c1 > W:
        items.append((ON_PADDING, FIELD_LINE, False, "field on padding"))
    if view.neighbour:
        items.append((None, NEIGHBOUR, True, "neighbouring unit's field"))
    shapes: list[Shape] = []
    x = y = 0.0
    for fill, stroke, dash, label in items:
        item_w = 20 + text_width(label, 12) + 22
        if x and x + item_w > width:
            x, y = 0.0, y + 22
        shapes.append(Rects(((x, 10 + y, 14, 14),), fill, stroke, 1, dash))
        shapes.append(Text(x + 20, 22 + y, label, 12))
        x += item_w
    return Part(width, y + 30, tuple(shapes))
