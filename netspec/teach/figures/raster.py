"""Scenes as pixels through Pillow: a PNG still, a GIF animation, a PNG sheet of frames.

Pillow is imported here only, when a picture is asked for; without it
:class:`ImagesMissing` says how to install it (the `images` extra). The layout is
:mod:`netspec.teach.figures.scene`'s, so a PNG shows what the SVG shows. Fonts: DejaVu Sans where
the system has it, else Pillow's own; a missing font never fails a picture.
Guarantees: the GIF has one frame per scene frame, loops forever, and shares one palette.
"""

from __future__ import annotations

import io
from functools import cache

from netspec.teach.figures.scene import Line, Rects, Scene, Segments, Shape, Text, sheet_layout


class ImagesMissing(RuntimeError):
    """Pillow is not installed."""


def _pil():
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise ImagesMissing(
            "GIF and PNG pictures need Pillow: pip install 'netspec[images]' (or write .svg)"
        ) from None
    return Image, ImageDraw


def to_png(scene: Scene, frame: int | None = 0, scale: float = 1) -> bytes:
    """A still of one frame (None: the body without an overlay)."""
    image = _base(scene, scene.width, scene.height, scale)
    if frame is not None and scene.frames:
        _draw(image, scene.frames[frame], scene.margin, _body_y(scene), scale)
    return _save(image, "PNG")


def to_gif(scene: Scene, milliseconds: int, scale: float = 1) -> bytes:
    """The frames as a looping GIF, `milliseconds` each."""
    Image, _ = _pil()
    base = _base(scene, scene.width, scene.height, scale)
    palette = None
    quantized = []
    for overlay in scene.frames or ((),):
        image = base.copy()
        _draw(image, overlay, scene.margin, _body_y(scene), scale)
        # One palette for all frames, taken from the first (it has every colour the
        # overlays use), so colours do not shift; frames are kept at a byte a pixel.
        if palette is None:
            palette = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        quantized.append(image.quantize(palette=palette, dither=Image.Dither.NONE))
    out = io.BytesIO()
    quantized[0].save(out, "GIF", save_all=True, append_images=quantized[1:],
                      duration=milliseconds, loop=0, optimize=False)  # fmt: skip
    return out.getvalue()


def to_sheet_png(scene: Scene, columns: int, scale: float = 1) -> bytes:
    """Every frame as a labelled panel, as :func:`netspec.teach.figures.scene.to_sheet_svg`."""
    Image, _ = _pil()
    sheet = sheet_layout(scene, columns)
    image = Image.new("RGB", (_px(sheet.width, scale), _px(sheet.height, scale)), "#ffffff")
    _draw(image, scene.header.shapes, scene.margin, sheet.header_y, scale)
    body = Image.new("RGB", (_px(scene.body.width, scale) + 1, _px(scene.body.height, scale) + 1),
                     "#ffffff")  # fmt: skip
    _draw(body, scene.body.shapes, 0, 0, scale)
    labels = scene.labels or tuple(f"frame {f + 1}" for f in range(len(scene.frames)))
    for (x, y), overlay, label in zip(sheet.origins, scene.frames, labels, strict=True):
        image.paste(body, (_px(x, scale), _px(y, scale)))
        _draw(image, (Text(x, y - 5, label, 12),), 0, 0, scale)
        _draw(image, overlay, x, y, scale)
    _draw(image, scene.footer.shapes, scene.margin, sheet.footer_y, scale)
    return _save(image, "PNG")


def _body_y(scene: Scene) -> float:
    return scene.margin + scene.header.height


def _px(value: float, scale: float) -> int:
    return round(value * scale)


def _base(scene: Scene, width: float, height: float, scale: float):
    Image, _ = _pil()
    image = Image.new("RGB", (_px(width, scale), _px(height, scale)), "#ffffff")
    m, body_y = scene.margin, _body_y(scene)
    _draw(image, scene.header.shapes, m, m, scale)
    _draw(image, scene.body.shapes, m, body_y, scale)
    _draw(image, scene.footer.shapes, m, body_y + scene.body.height, scale)
    return image


def _save(image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, optimize=True)
    return out.getvalue()


def _draw(image, shapes, x0: float, y0: float, scale: float) -> None:
    """Draw shapes given in coordinates whose origin is (x0, y0) of the image."""
    _, ImageDraw = _pil()
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA: fills with opacity blend over the image
    for shape in shapes:
        _shape(draw, shape, x0, y0, scale)


def _shape(draw, shape: Shape, dx: float, dy: float, scale: float) -> None:
    def p(x: float, y: float) -> tuple[int, int]:
        return _px(x + dx, scale), _px(y + dy, scale)

    if isinstance(shape, Rects):
        width = max(1, round(shape.width * scale))
        fill = _rgba(shape.fill, shape.opacity) if shape.fill else None
        for x, y, w, h in shape.cells:
            box = (*p(x, y), *p(x + w, y + h))
            if fill:
                draw.rectangle(box, fill=fill)
            if shape.stroke and shape.dash:
                _dashed_box(draw, box, shape.stroke, width)
            elif shape.stroke:
                draw.rectangle(box, outline=shape.stroke, width=width)
    elif isinstance(shape, Line):
        ends = (*p(shape.x1, shape.y1), *p(shape.x2, shape.y2))
        width = max(1, round(shape.width * scale))
        if shape.dash:
            _dashed(draw, ends, shape.stroke, width, 4 * scale, 3 * scale)
        else:
            draw.line(ends, fill=shape.stroke, width=width)
    elif isinstance(shape, Segments):
        width = max(1, round(shape.width * scale))
        for x1, y1, x2, y2 in shape.ends:
            draw.line((*p(x1, y1), *p(x2, y2)), fill=shape.stroke, width=width)
    elif isinstance(shape, Text):
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[shape.anchor]
        font = _font(round(shape.size * scale), shape.bold)
        draw.text(p(shape.x, shape.y), shape.text, fill=shape.fill, font=font, anchor=anchor)


def _rgba(colour: str, opacity: float) -> tuple[int, int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return (value >> 16, (value >> 8) & 255, value & 255, round(255 * opacity))


def _dashed_box(draw, box, colour: str, width: int) -> None:
    x1, y1, x2, y2 = box
    for ends in ((x1, y1, x2, y1), (x2, y1, x2, y2), (x1, y2, x2, y2), (x1, y1, x1, y2)):
        _dashed(draw, ends, colour, width, 3, 2)


def _dashed(draw, ends, colour: str, width: int, on: float, off: float) -> None:
    x1, y1, x2, y2 = ends
    length = max(abs(x2 - x1), abs(y2 - y1), 1e-9) if x1 == x2 or y1 == y2 else None
    if length is None:  # a slanted dashed line: not used by the figures; draw it solid
        draw.line(ends, fill=colour, width=width)
        return
    t = 0.0
    while t < length:
        a, b = t / length, min(t + on, length) / length
        draw.line((x1 + (x2 - x1) * a, y1 + (y2 - y1) * a, x1 + (x2 - x1) * b,
                   y1 + (y2 - y1) * b), fill=colour, width=width)  # fmt: skip
        t += on + off


@cache
def _font(size: int, bold: bool):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)
