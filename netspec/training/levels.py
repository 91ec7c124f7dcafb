"""An opened image's pixels as levels in [0, 1], whatever their type.

Pillow's ``convert("L")`` and ``convert("RGB")`` clip wider pixel types to 8 bits
instead of scaling them: a 16-bit grey image becomes almost white, a float one almost
black. So the modes of more than 8 bits are read as numbers and scaled by their type's
range here; every other mode (1, L, P, LA, RGB, RGBA, CMYK, ...) is converted by Pillow
and divided by 255, as before:

- ``I;16``, ``I;16L``, ``I;16B``, ``I;16N`` (unsigned 16 bits): divided by 65535;
- ``I`` (32-bit integers, how Pillow opens some 16-bit files): divided by 65535 where
  every value is in 0..65535, refused otherwise (no range to scale by);
- ``F`` (32-bit floats): taken as they are where every value is in [0, 1] (levels
  already), refused otherwise (a float image carries no range either).

These modes are grey levels; an RGB input gets the level in each of its channels.
Images of more than MAX_PIXELS pixels are refused from their header, before decoding.

Assumes numpy and an opened Pillow image (the callers, image_files.py and `netspec
predict`, import Pillow and apply the EXIF orientation). Guarantees float32 [H, W]
(one channel) or [H, W, 3] (three) in [0, 1], or a LevelsError saying why not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_PIXELS = 50_000_000  # a float32 RGB copy of more is 600 MB per image, per worker
SIXTEEN_BITS = 65535
WIDE = frozenset(("I;16", "I;16L", "I;16B", "I;16N", "I", "F"))


class LevelsError(ValueError):
    """Pixels that cannot be read as levels in [0, 1]; the message says why."""


def check_pixels(image: Any) -> None:
    """Refuse an image too large to decode, from its header's size."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise LevelsError(
            f"is {width}x{height}, {width * height:,} pixels, more than the "
            f"{MAX_PIXELS:,} netspec decodes per image; shrink it first"
        )


def levels(image: Any, channels: int) -> np.ndarray:
    """`image`'s pixels in [0, 1]: [H, W] for one channel, [H, W, 3] for three."""
    check_pixels(image)
    if image.mode not in WIDE:
        mode = "L" if channels == 1 else "RGB"
        return np.asarray(image.convert(mode), dtype=np.float32) / 255
    grey = _wide_levels(image)
    return grey if channels == 1 else np.repeat(grey[:, :, None], 3, axis=2)


def _wide_levels(image: Any) -> np.ndarray:
    """The levels of a 16-bit, 32-bit integer or float image (the module's rules)."""
    values = np.asarray(image)
    if image.mode.startswith("I;16"):
        return (values.astype(np.float32) / SIXTEEN_BITS).astype(np.float32)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if image.mode == "I":
        if low < 0 or high > SIXTEEN_BITS:
            raise LevelsError(
                f"holds 32-bit integer pixels from {low:.0f} to {high:.0f}, beyond 16 bits' "
                f"0..{SIXTEEN_BITS}: there is no range to scale them by; save it as an 8- "
                "or 16-bit image"
            )
        return (values.astype(np.float32) / SIXTEEN_BITS).astype(np.float32)
    if not (low >= 0.0 and high <= 1.0):  # NaN too
        raise LevelsError(
            f"holds floating-point pixels from {low:g} to {high:g}, not levels in [0, 1]; "
            "scale them to [0, 1], or save it as an 8- or 16-bit image"
        )
    return values.astype(np.float32)
