"""How a network diagram's boxes look: colours per op family, the lines of text in a
box, and text widths estimated without a font file.

The widths are estimates for DejaVu Sans (the first of the SVG writer's fonts; Helvetica
and Arial are narrower, so text measured here fits in them too) and exact for DejaVu
Sans Mono, which the numbers use. Text longer than a box is cut with an ellipsis, never
left to overflow.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.teach.diagram.graph import Box
from netspec.units import si
from netspec.values import Shape, show_shape

# family -> (fill, stroke, legend text); the legend lists them in this order.
FAMILY_STYLE: dict[str, tuple[str, str, str]] = {
    "conv": ("#d8e6f5", "#3d72a8", "convolution"),
    "pool": ("#dcefd5", "#4a8a39", "pooling"),
    "norm": ("#ecdff3", "#8a4fa3", "normalisation"),
    "activation": ("#fcecc8", "#c08a1c", "activation"),
    "linear": ("#f8d9d3", "#b8472f", "linear"),
    "merge": ("#fff3a3", "#9c8a10", "merge"),
    "block": ("#e4e6ee", "#4f5677", "block / statement"),
    "other": ("#eeeeee", "#7a7a7a", "reshape, dropout"),
    "input": ("#ffffff", "#222222", "input / output"),
    "output": ("#ffffff", "#222222", "input / output"),
}

PAD_X = 9.0
PAD_Y = 6.0
MIN_WIDTH = 150.0
MAX_WIDTH = 270.0

# Approximate advance widths of DejaVu Sans in em, by character class.
_NARROW = set("ijlIft.,:;!|'()[] ")
_WIDE = set("mwMW@%")


class Line(NamedTuple):
    text: str
    size: float
    bold: bool = False
    mono: bool = False
    colour: str = "#111111"

    @property
    def height(self) -> float:
        return self.size * 1.32


def _em(ch: str) -> float:
    if ch in _NARROW:
        return 0.34
    if ch in _WIDE:
        return 0.92
    return 0.68 if ch.isupper() or ch.isdigit() else 0.6


def _advances(text: str, size: float, bold: bool, mono: bool) -> list[float]:
    if mono:
        return [0.602 * size] * len(text)
    scale = size * (1.08 if bold else 1.0)
    return [_em(ch) * scale for ch in text]


def text_width(text: str, size: float, bold: bool = False, mono: bool = False) -> float:
    return sum(_advances(text, size, bold, mono))


def fit(line: Line, width: float, from_left: bool = False) -> Line:
    """The line cut with an ellipsis until it fits `width` (paths lose their start)."""
    advances = _advances(line.text, line.size, line.bold, line.mono)
    if sum(advances) <= width:
        return line
    room = width - text_width("…", line.size, line.bold, line.mono)
    order = range(len(advances) - 1, -1, -1) if from_left else range(len(advances))
    kept, used = 0, 0.0
    for i in order:
        if used + advances[i] > room:
            break
        used += advances[i]
        kept += 1
    text = "…" + line.text[len(line.text) - kept :] if from_left else line.text[:kept] + "…"
    return line._replace(text=text)


def fit_path(line: Line, width: float) -> Line:
    """A path that does not fit keeps its first and last parts: `bottleneck2.….add1`."""
    if line_width(line) <= width:
        return line
    parts = line.text.split(".")
    for k in range(len(parts) - 2, 0, -1):
        short = line._replace(text=f"{parts[0]}.….{'.'.join(parts[-k:])}")
        if line_width(short) <= width:
            return short
    return fit(line, width, from_left=True)


def compact_shape(shape: Shape) -> str:
    """`64×56×56` for an edge label: the dims without a symbolic batch."""
    dims = list(shape)
    if dims and isinstance(dims[0], str) and len(dims) > 1:
        dims = dims[1:]
    return "×".join(str(d) for d in dims)


def box_lines(box: Box) -> list[Line]:
    """Name, op or call, windows, output shape and parameters, as they are drawn."""
    if box.kind in ("input", "output"):
        return [
            Line(box.name if box.name == box.kind else f"{box.kind} {box.name}", 12, bold=True),
            Line(show_shape(box.shape), 10.5, mono=True),
        ]
    lines = [Line(box.name, 12, bold=True), Line(box.label, 11, colour="#333333")]
    if box.windows:
        lines.append(Line(" · ".join(box.windows), 10.5, mono=True, colour="#333333"))
    lines.append(Line(show_shape(box.shape), 10.5, mono=True))
    if box.params:
        lines.append(Line(f"{si(box.params)} params", 10.5, mono=True, colour="#444444"))
    return lines


def line_width(line: Line) -> float:
    return text_width(line.text, line.size, line.bold, line.mono)


def box_width(all_lines: list[list[Line]]) -> float:
    """One width for every box of a diagram: the widest text, within limits."""
    widest = max((line_width(x) for lines in all_lines for x in lines), default=0.0)
    return min(MAX_WIDTH, max(MIN_WIDTH, widest + 2 * PAD_X))


def box_height(lines: list[Line]) -> float:
    return 2 * PAD_Y + sum(x.height for x in lines)
