"""The preprocessing a model was trained with, applied to new samples with numpy alone.

`netspec train` records it in the checkpoint (``preprocessing``: the loader's scale,
``--fit``, the standardisation's mean and std) and `netspec export --weights` copies it
into the ONNX metadata (``netspec.preprocess.scale|fit|mean|std``); `netspec predict`
reads it back with :meth:`Preprocessing.from_metadata` and applies it as training did
(data.py, fit.py): x * scale (arrays only: images are read as [0, 1] already, the range
the digits are scaled to), fitted to the input, then (x - mean) / std.

The batch rule (:func:`as_batch`) for an input of rank R (batch axis included): an array
of rank R whose fixed axes match is a batch; one of rank R - 1 that matches is a single
sample. Other arrays are adapted by the model's fit, as fit.py adapts training data: a
flat input [N, F] takes one sample of F elements or a batch of them; otherwise an array
of rank R - 2 (no channel axis), or of rank R - 1 whose first axis is the input's
channels, is one sample, and one of rank R - 1 (channel-less samples) or R is a batch;
a missing channel axis of a one-channel input is added, and the spatial axes are
padded or resized. Anything else is a :class:`ShapeError` naming both shapes.

Assumes numpy (the onnx extra has it); no torch. Guarantees the arithmetic of fit.py's
pad and of torch's linear interpolation (align_corners=False), which the tests compare.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PREFIX = "netspec.preprocess."


class ShapeError(ValueError):
    """An array that fits the model's input neither as it is nor by the model's fit."""


@dataclass(frozen=True)
class Preprocessing:
    """What raw samples need before the network: x * scale, fit, (x - mean) / std."""

    scale: float = 1.0
    fit: str | None = None
    mean: float | None = None
    std: float | None = None

    @classmethod
    def from_metadata(cls, props: Mapping[str, str]) -> Preprocessing | None:
        """From ONNX metadata; None where the model carries none (or a damaged one)."""
        if not any(key.startswith(PREFIX) for key in props):
            return None
        try:
            number = lambda key: float(props[PREFIX + key]) if PREFIX + key in props else None  # noqa: E731
            fit = props.get(PREFIX + "fit")
            if fit is not None and not re.fullmatch(r"(pad|resize|none)(:\d+)?", fit):
                return None
            return cls(number("scale") or 1.0, fit, number("mean"), number("std"))
        except ValueError:
            return None

    def standardize(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or not self.std:
            return x
        return (x - np.float32(self.mean)) / np.float32(self.std)

    def describe(self, scaled: bool, adapted: str) -> str:
        """The note `netspec predict` prints: the steps it took."""
        steps = [f"x * {self.scale:g}"] if scaled and self.scale != 1.0 else []
        steps += [adapted] if adapted else []
        if self.mean is not None and self.std:
            steps.append(f"(x - {self.mean:.4f}) / {self.std:.4f}")
        if not steps:  # trained on data used as stored, already of the input's shape
            return "the preprocessing the model was trained with changes nothing here"
        return "applied the preprocessing the model was trained with: " + ", ".join(steps)


def as_batch(x: np.ndarray, shape: list, fit: str | None) -> tuple[np.ndarray, str]:
    """`x` as a batch for an input of `shape` (batch first), and how it was adapted
    ("" where it fitted as it was), by the batch rule of the module docstring."""
    rank, want = len(shape), list(shape[1:])
    if x.ndim == rank and _fits(x.shape[1:], want):
        return x, ""
    if x.ndim == rank - 1 and _fits(x.shape, want):
        return x[None], ""
    if fit is None:
        raise _error(x.shape, shape, "")
    if rank == 2:
        return _flat(x, shape, fit)
    single = x.ndim == rank - 2 or (x.ndim == rank - 1 and x.shape[0] == want[0])
    if not single and x.ndim not in (rank - 1, rank):
        raise _error(x.shape, shape, fit)
    batch = x[None] if single else x
    if batch.ndim == rank - 1 and want[0] == 1:
        batch = batch[:, None]
    if batch.ndim != rank or not _fits(batch.shape[1:2], want[:1]):
        raise _error(x.shape, shape, fit)
    spatial = [
        w if isinstance(w, int) else h for w, h in zip(want[1:], batch.shape[2:], strict=True)
    ]
    fitted = _spatial(batch, spatial, fit, x.shape, shape)
    one = "one sample" if single else f"a batch of {len(batch)}"
    return fitted, f"--fit {fit} ({one}, {list(x.shape)} -> {list(fitted.shape)})"


def _flat(x: np.ndarray, shape: list, fit: str) -> tuple[np.ndarray, str]:
    features = shape[1]
    if isinstance(features, int) and math.prod(x.shape) == features:
        return x.reshape(1, features), f"--fit {fit} (one sample, flattened to [{features}])"
    if x.ndim >= 2 and (not isinstance(features, int) or math.prod(x.shape[1:]) == features):
        flat = x.reshape(len(x), -1)
        return flat, f"--fit {fit} (a batch of {len(x)}, flattened to {list(flat.shape)})"
    raise _error(x.shape, shape, fit)


def _spatial(x: np.ndarray, spatial: list, fit: str, given: tuple, shape: list) -> np.ndarray:
    """fit.py's spatial step: none, pad, resize, resize:S (resize to S, then pad)."""
    if list(x.shape[2:]) == spatial:
        return x
    mode, _, size = fit.partition(":")
    if mode == "none" or len(spatial) > 3:
        raise _error(given, shape, fit)
    if mode == "resize":
        x = _resize(x, spatial if not size else [min(int(size), s) for s in spatial])
    if any(c > s for c, s in zip(x.shape[2:], spatial, strict=True)):
        raise _error(given, shape, fit)
    pads = [(0, 0), (0, 0)] + [
        ((s - c) // 2, s - c - (s - c) // 2) for c, s in zip(x.shape[2:], spatial, strict=True)
    ]
    return np.pad(x, pads)


def _resize(x: np.ndarray, size: list) -> np.ndarray:
    """Linear interpolation per spatial axis, as torch's interpolate (align_corners=False)."""
    for axis, out in enumerate(size, start=2):
        length = x.shape[axis]
        if length == out:
            continue
        source = np.maximum((np.arange(out) + 0.5) * (length / out) - 0.5, 0.0)
        low = np.minimum(np.floor(source).astype(np.int64), length - 1)
        high = np.minimum(low + 1, length - 1)
        weight = (source - low).astype(np.float32)
        view = [1] * x.ndim
        view[axis] = out
        weight = weight.reshape(view)
        x = np.take(x, low, axis=axis) * (1 - weight) + np.take(x, high, axis=axis) * weight
    return x.astype(np.float32)


def _fits(have: tuple, want: list) -> bool:
    return len(have) == len(want) and all(
        not isinstance(w, int) or w == h for w, h in zip(want, have, strict=True)
    )


def _error(given: tuple, shape: list, fit: str | None) -> ShapeError:
    wanted = "[" + ", ".join(str(d) for d in shape) + "]"
    how = (
        f"; --fit {fit}, the model's, adapts samples of another size, not this shape"
        if fit
        else "; give one sample (the input's shape without N) or a batch"
    )
    return ShapeError(f"the input has shape {list(given)}; the model takes {wanted}{how}")
