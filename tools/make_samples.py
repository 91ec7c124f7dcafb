"""Make the playground's sample images (netspec/serve/samples/): a handwritten-looking
digit drawn here with Pillow, and a small photo cut from scikit-image's CC0 cat picture.

    python tools/make_samples.py [CHELSEA_PNG]

CHELSEA_PNG is `skimage/data/chelsea.png` from scikit-image's wheel (`pip download
scikit-image --no-deps`, then unzip it); without it only the digit is made. The source
and licence of each file are in netspec/serve/samples/README.md.

Assumes Pillow. Guarantees the same digit on every run (strokes, no font: fonts differ
between machines).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SAMPLES = Path(__file__).resolve().parent.parent / "netspec" / "serve" / "samples"
SIDE = 32  # LeNet-5's input; other networks resize it
SCALE = 8  # drawn this many times larger, then reduced: soft edges like a scanned digit

# a "3" as two arcs and a short bar, in a 32-pixel grid (MNIST-like: white ink on black)
ARCS = [((9, 4, 23, 16), 200, 90), ((8, 14, 24, 28), 270, 160)]


def digit() -> Image.Image:
    big = Image.new("L", (SIDE * SCALE, SIDE * SCALE), 0)
    pen = ImageDraw.Draw(big)
    width = int(2.6 * SCALE)
    for box, start, end in ARCS:
        pen.arc([v * SCALE for v in box], start, end, fill=255, width=width)
    pen.line([(14 * SCALE, 15 * SCALE), (18 * SCALE, 15 * SCALE)], fill=255, width=width)
    return big.resize((SIDE, SIDE), Image.Resampling.LANCZOS)


def photo(chelsea: Path) -> Image.Image:
    """The cat's face, square, at 224 x 224 (ImageNet networks' input)."""
    with Image.open(chelsea) as image:
        image = image.convert("RGB")
        left, top, side = 60, 0, 300  # the face sits left of the centre
        return image.crop((left, top, left + side, top + side)).resize(
            (224, 224), Image.Resampling.LANCZOS
        )


def main(argv: list[str]) -> int:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    digit().save(SAMPLES / "digit.png", optimize=True)
    if argv:
        photo(Path(argv[0])).save(SAMPLES / "photo.jpg", quality=88, optimize=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
