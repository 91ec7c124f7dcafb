"""A small SVG writer: the elements netspec's pictures use, escaped, in document order.

Assumes coordinates in user units (pixels at 100% zoom). Guarantees well-formed,
standalone SVG 1.1 text that browsers, Netron-style viewers and rsvg/ImageMagick render
the same, with no external fonts or scripts (text uses the generic font families).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def _attrs(attrs: dict[str, object]) -> str:
    """`stroke_width=2` -> ` stroke-width="2"`; None values are left out."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        text = f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(f" {name}={quoteattr(text)}")
    return "".join(parts)


class Svg:
    """An SVG document built element by element; `str(svg)` is the file's text."""

    def __init__(self, width: float, height: float, title: str = ""):
        self.width, self.height = width, height
        self.parts: list[str] = []
        if title:
            self.parts.append(f"<title>{escape(title)}</title>")

    def raw(self, text: str) -> None:
        """Append markup as it is (an <animate> or <defs> block built by the caller)."""
        self.parts.append(text)

    def rect(self, x: float, y: float, w: float, h: float, **attrs: object) -> None:
        self.parts.append(f"<rect{_attrs({'x': x, 'y': y, 'width': w, 'height': h, **attrs})}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: object) -> None:
        coords = {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
        self.parts.append(f"<line{_attrs({**coords, **attrs})}/>")

    def path(self, d: str, **attrs: object) -> None:
        self.parts.append(f"<path{_attrs({'d': d, **attrs})}/>")

    def text(self, x: float, y: float, content: str, size: float = 12, **attrs: object) -> None:
        base = {"x": x, "y": y, "font_family": attrs.pop("font_family", FONT), "font_size": size}
        self.parts.append(f"<text{_attrs({**base, **attrs})}>{escape(content)}</text>")

    def open_group(self, **attrs: object) -> None:
        self.parts.append(f"<g{_attrs(attrs)}>")

    def close_group(self) -> None:
        self.parts.append("</g>")

    def __str__(self) -> str:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{self.width:g}" height="{self.height:g}" '
            f'viewBox="0 0 {self.width:g} {self.height:g}">\n'
        )
        return head + "\n".join(self.parts) + "\n</svg>\n"
