"""Image files decoded lazily, one sample at a time, for a DataLoader's workers.

:class:`ImageFiles` is a map-style ``torch.utils.data.Dataset`` over a list of paths:
``files[i]`` opens the i-th file with Pillow, turns it upright by its EXIF orientation,
reads it as grey levels for a one-channel input or RGB for three, scaled to [0, 1] by
its pixel type's range (levels.py: 16-bit and float images too), fits it to the
input by `--fit` exactly as fit.py fits arrays (so `netspec predict`, which mirrors
fit.py with numpy, prepares a new image file the same way), and standardises it where
a mean and std are given.

Assumes torch, numpy and Pillow. Guarantees a float32 tensor [C, H, W] of the input's
size per file, or a TrainingError naming the file and what to do; an ImageFiles holds
only paths and numbers (no open file, no lambda), so it pickles into worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from netspec.training.errors import TrainingError
from netspec.training.fit import fit_samples
from netspec.training.levels import LevelsError, check_pixels, levels

PILLOW_HINT = "pip install 'netspec[images]' (Pillow)"
ORIENTATION = 0x0112  # the EXIF tag; 5 to 8 turn the image by 90 degrees


@dataclass(frozen=True)
class Decoding:
    """How a file becomes a sample: the input's shape (batch first, sizes given), --fit,
    and the input's description for messages."""

    shape: tuple[object, int, int, int]
    fit: str
    what: str

    @property
    def mode(self) -> str:
        """Pillow's mode for the input's channels: grey levels or RGB."""
        return "L" if self.shape[1] == 1 else "RGB"


class ImageError(TrainingError):
    """A file that cannot become a sample. Raised in a DataLoader worker, it comes back
    to the loop re-made from "Caught ImageError in DataLoader worker process 0.\nOriginal
    Traceback ...": the message, one line, is then the traceback's last line's tail."""

    def __init__(self, message: str) -> None:
        if message.startswith("Caught ") and "\nOriginal Traceback" in message:
            message = message.rstrip().splitlines()[-1].partition(": ")[2]
        super().__init__(message)


class ImageFiles(torch.utils.data.Dataset):
    """The samples of one part of the split, decoded from their files on demand."""

    def __init__(
        self,
        paths: Sequence[str],
        decoding: Decoding,
        standardized: tuple[float, float] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.decoding = decoding
        self.standardized = standardized

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        x = fitted(self.paths[index], self.decoding)
        if self.standardized is not None:
            mean, std = self.standardized
            x = (x - mean) / std
        return x

    def standardize(self, mean: float, std: float) -> ImageFiles:
        """The same files, standardised with (x - mean) / std."""
        return ImageFiles(self.paths, self.decoding, (mean, std))


def fitted(path: str, decoding: Decoding) -> torch.Tensor:
    """The file's pixels in [0, 1], fitted to the input: a float32 [C, H, W]."""
    x = torch.from_numpy(pixels(path, decoding.mode))[None]
    try:
        x, _ = fit_samples(x, decoding.shape, decoding.fit, decoding.what)
    except TrainingError as exc:
        raise ImageError(f"{path}: {exc}") from None
    return x[0].contiguous()


def pixels(path: str, mode: str) -> np.ndarray:
    """The image at `path` in `mode` ("L" or "RGB"), [C, h, w] in [0, 1], float32."""
    from PIL import ImageOps

    image_module = pillow()
    try:
        with image_module.open(path) as image:
            check_pixels(image)  # before exif_transpose decodes it
            values = levels(ImageOps.exif_transpose(image), 1 if mode == "L" else 3)
    except LevelsError as exc:
        raise ImageError(f"{path} {exc}") from None
    except (OSError, ValueError, SyntaxError, image_module.DecompressionBombError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ImageError(
            f"{path} is not an image Pillow can read ({first}); remove or replace the file"
        ) from None
    return values[None] if values.ndim == 2 else np.ascontiguousarray(values.transpose(2, 0, 1))


def size_of(path: str) -> tuple[int, int, int]:
    """The image's (channels as decoded for it: 1 for grey-level modes, else 3, height,
    width), reading only its header where Pillow can."""
    image_module = pillow()
    try:
        with image_module.open(path) as image:
            grey = image.mode in ("1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F")
            upright = image.getexif().get(ORIENTATION, 1) not in (5, 6, 7, 8)  # 90° turns
            height, width = (image.height, image.width) if upright else image.size
            return (1 if grey else 3, height, width)
    except (OSError, ValueError, SyntaxError, image_module.DecompressionBombError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise TrainingError(
            f"{path} is not an image Pillow can read ({first}); remove or replace the file"
        ) from None


def pillow():
    """Pillow's Image module, or a TrainingError saying how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise TrainingError(f"training on image files needs Pillow; {PILLOW_HINT}") from None
    return Image


def mean_and_std(files: ImageFiles, limit: int, seed: int) -> tuple[float, float, int]:
    """The mean and std of every element of up to `limit` of `files` (a seeded sample,
    pads included, as data.py's standardisation takes them), and how many were read."""
    chosen = np.random.default_rng(seed).permutation(len(files))[:limit]
    total = squares = 0.0
    for i in sorted(chosen.tolist()):  # in file order: kinder to the disk
        x = files[i].double()
        total, squares = total + float(x.sum()), squares + float((x * x).sum())
    count = len(chosen) * math.prod(files.decoding.shape[1:])  # every sample: the input's size
    mean = total / count
    std = max(squares / count - mean * mean, 0.0) ** 0.5
    if not std > 0:
        raise TrainingError(
            "the training images are constant (every pixel the same): nothing to standardize "
            "or learn; check the folder, or give --no-standardize"
        )
    return mean, std, len(chosen)
