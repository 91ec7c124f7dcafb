"""A canvas with the SVG writer's calls that paints with Pillow: the network diagram as PNG.

:mod:`netspec.teach.diagram.render` draws through `rect`, `path`, `text`, `open_group`
and friends; given this class instead of :class:`netspec.teach.svg.Svg` it paints the
same layout as pixels, so a PNG shows exactly what the SVG shows, with no SVG renderer
(no cairo, no rsvg) installed. Only what the diagram uses is understood: groups whose
fill, stroke, font and anchor are inherited, rectangles (rounded), paths of M, L, C and
Z, and text at a baseline; `raw` markup (tooltips) is skipped.

Assumes user units are pixels at scale 1 and colours are `#rrggbb` or `none`.
Guarantees an image `scale` times the SVG's size (2, or 1 for a picture over
MAX_PIXELS at 2), encoded as PNG, or as a one-page PDF of that image whose page is the
SVG's size in points. Pillow comes from :mod:`netspec.teach.figures.raster`, which says
how to install it.
"""

from __future__ import annotations

import io
import re
from functools import cache

from netspec.teach.figures.raster import _pil
from netspec.teach.svg import FONT

MAX_PIXELS = 40_000_000  # at scale 2; beyond, scale 1 (a 600-box poster stays in memory)
INHERITED = ("fill", "stroke", "stroke_width", "font_family", "font_size", "text_anchor",
             "font_weight")  # fmt: skip
DEFAULTS = {"fill": "#000000", "stroke": "none", "stroke_width": 1, "text_anchor": "start"}
CURVE_STEPS = 16  # straight pieces per cubic curve
_TOKEN = re.compile(r"[MLCZ]|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

Point = tuple[float, float]


class PilCanvas:
    """Svg's drawing calls, painted at once on a white image."""

    def __init__(self, width: float, height: float, title: str = ""):
        Image, ImageDraw = _pil()
        self.width, self.height = width, height
        self.scale = 2 if 4 * width * height <= MAX_PIXELS else 1
        size = (round(width * self.scale), round(height * self.scale))
        self.image = Image.new("RGB", size, "#ffffff")
        self.draw = ImageDraw.Draw(self.image)
        self.groups: list[dict[str, object]] = [dict(DEFAULTS)]

    def encode(self, fmt: str = "PNG") -> bytes:
        out = io.BytesIO()
        if fmt == "PDF":
            self.image.save(out, "PDF", resolution=72.0 * self.scale)
        else:
            self.image.save(out, "PNG", optimize=True)
        return out.getvalue()

    # --- the calls of netspec.teach.svg.Svg -------------------------------------------

    def raw(self, text: str) -> None:
        """Markup for SVG viewers only (a <title> tooltip): nothing to paint."""

    def open_group(self, **attrs: object) -> None:
        self.groups.append(self._style(attrs))

    def close_group(self) -> None:
        self.groups.pop()

    def rect(self, x: float, y: float, w: float, h: float, **attrs: object) -> None:
        style = self._style(attrs)
        box = (self._p(x), self._p(y), self._p(x + w), self._p(y + h))
        fill, stroke = _colour(style["fill"]), _colour(style["stroke"])
        width = self._width(style) if stroke else 1
        radius = float(attrs.get("rx") or 0) * self.scale
        self.draw.rounded_rectangle(box, radius, fill=fill, outline=stroke, width=width)

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: object) -> None:
        self.path(f"M{x1},{y1} L{x2},{y2}", **attrs)

    def path(self, d: str, **attrs: object) -> None:
        style = self._style(attrs)
        fill, stroke = _colour(style["fill"]), _colour(style["stroke"])
        for points, closed in _subpaths(d):
            xy = [(self._p(x), self._p(y)) for x, y in points]
            if fill and closed and len(xy) > 2:
                self.draw.polygon(xy, fill=fill)
            if stroke and len(xy) > 1:
                self.draw.line(xy, fill=stroke, width=self._width(style), joint="curve")

    def text(self, x: float, y: float, content: str, size: float = 12, **attrs: object) -> None:
        attrs = {"font_family": attrs.pop("font_family", FONT), **attrs}  # as Svg.text
        style = self._style({**attrs, "font_size": size})
        mono = "Mono" in str(style.get("font_family") or "").split(",")[0]
        font = _font(round(size * self.scale), style.get("font_weight") == "bold", mono)
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[str(style["text_anchor"])]
        fill = _colour(style["fill"]) or "#000000"
        xy = (self._p(x), self._p(y))
        self.draw.text(xy, content, fill=fill, font=font, anchor=anchor)

    # --- helpers ----------------------------------------------------------------------

    def _style(self, attrs: dict[str, object]) -> dict[str, object]:
        """The group's inherited style with the element's own values (None: inherit)."""
        style = {k: v for k, v in self.groups[-1].items() if k in INHERITED}
        style.update({k: v for k, v in attrs.items() if v is not None})
        return style

    def _p(self, value: float) -> float:
        return value * self.scale

    def _width(self, style: dict[str, object]) -> int:
        return max(1, round(float(style["stroke_width"]) * self.scale))  # type: ignore[arg-type]


def _colour(value: object) -> str | None:
    return None if value in (None, "none") else str(value)


def _subpaths(d: str) -> list[tuple[list[Point], bool]]:
    """The path's pieces as polylines (curves cut into CURVE_STEPS lines), and whether
    each is closed."""
    tokens = _TOKEN.findall(d)
    out: list[tuple[list[Point], bool]] = []
    points: list[Point] = []
    i = 0

    def numbers(n: int) -> list[float]:
        return [float(t) for t in tokens[i + 1 : i + 1 + n]]

    while i < len(tokens):
        command = tokens[i]
        if command == "M":
            if points:
                out.append((points, False))
            points = [tuple(numbers(2))]  # type: ignore[list-item]
            i += 3
        elif command == "L":
            points.append(tuple(numbers(2)))  # type: ignore[arg-type]
            i += 3
        elif command == "C":
            x1, y1, x2, y2, x3, y3 = numbers(6)
            points += _cubic(points[-1], (x1, y1), (x2, y2), (x3, y3))
            i += 7
        elif command == "Z":
            out.append((points, True))
            points = []
            i += 1
        else:  # a number where a command belongs: not the paths the diagram writes
            raise ValueError(f"unexpected path data at {command!r} in {d[:40]!r}")
    if points:
        out.append((points, False))
    return out


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point) -> list[Point]:
    out = []
    for n in range(1, CURVE_STEPS + 1):
        t = n / CURVE_STEPS
        a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        out.append(
            (a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0],
             a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1])
        )  # fmt: skip
    return out


@cache
def _font(size: int, bold: bool, mono: bool):
    from PIL import ImageFont

    name = "DejaVuSans" + ("Mono" if mono else "") + ("-Bold" if bold else "") + ".ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:  # no DejaVu on this system: Pillow's own font, never a failure
        return ImageFont.load_default(size)
