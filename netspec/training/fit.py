"""Fitting data samples to a network's input shape, explicitly and in documented steps.

The input shape is the spec's, batch first (``[N, 1, 32, 32]``); a sample is the data's
shape without its first axis. The steps, each reported as a note, in this order:

1. flatten: an input ``[N, F]`` takes samples of any shape with F elements (8x8 -> 64);
2. channel: an input ``[N, 1, ...]`` takes samples without the channel axis (8x8 ->
   1x8x8); any other rank or channel difference is an error naming both shapes;
3. spatial axes (after the channel), by `fit`:
   ``none`` -- they must already equal the input's;
   ``pad`` -- smaller samples are zero-padded, centred (odd leftovers go after);
   ``resize`` -- interpolated to the input's size (linear, bilinear or trilinear for 1,
   2 or 3 axes; torch.nn.functional.interpolate, align_corners=False);
   ``resize:S`` -- interpolated to S on every axis, then zero-padded, centred, to the
   input's size (LeCun's MNIST: a 20x20 digit centred in a 32x32 field).

A symbolic axis of the input (other than the batch) accepts any size. The values are
not rescaled here; `data` scales each dataset before fitting.

Assumes torch is installed. Guarantees samples of the input's shape (batch first) and
one note per step taken, or a TrainingError naming both shapes and the --fit to use.
"""

from __future__ import annotations

from math import prod

import torch
import torch.nn.functional as F

from netspec.training.errors import TrainingError
from netspec.training.options import parse_fit
from netspec.values import Shape, show_shape

_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def fit_samples(x: torch.Tensor, target: Shape, fit: str, what: str) -> tuple[torch.Tensor, list]:
    """`x` (samples first) fitted to `target` (the input shape, batch first), with notes.

    `what` names the input in messages (``the input image [N, 1, 32, 32]``).
    """
    mode, size = parse_fit(fit)
    want, have = tuple(target[1:]), tuple(x.shape[1:])
    notes: list[str] = []
    if len(want) == 1 and _same(want[0], prod(have)):
        if len(have) != 1:
            notes.append(f"flattened {show_shape(have)} to [{prod(have)}]")
        return x.reshape(len(x), -1), notes
    if len(have) == len(want) - 1 and len(want) >= 2 and want[0] == 1:
        x = x.unsqueeze(1)
        notes.append(f"added a channel axis: {show_shape(have)} -> {show_shape(x.shape[1:])}")
        have = tuple(x.shape[1:])
    _check_layout(have, want, what)
    if all(_same(w, h) for w, h in zip(want[1:], have[1:], strict=True)):
        return x, notes
    spatial = tuple(w if isinstance(w, int) else h for w, h in zip(want[1:], have[1:], strict=True))
    if mode == "none":
        raise _mismatch(have, want, what, "use --fit pad or --fit resize to adapt them")
    if mode == "resize":
        x = _resize(x, spatial if size is None else tuple(min(size, s) for s in spatial))
        notes.append(f"resized ({_MODES[len(spatial)]}) to {show_shape(x.shape[2:])}")
        if size is not None and size > min(spatial):
            notes.append(f"resize:{size} exceeds the input; resized to the input size instead")
    return _pad(x, spatial, have, want, what, notes), notes


def _pad(x: torch.Tensor, spatial: tuple, have: tuple, want: tuple, what: str, notes: list):
    current = tuple(x.shape[2:])
    if current == spatial:
        return x
    if any(c > s for c, s in zip(current, spatial, strict=True)):
        raise _mismatch(
            have, want, what, "samples are larger than the input: use --fit resize to shrink them"
        )
    pads: list[int] = []
    for c, s in reversed(list(zip(current, spatial, strict=True))):
        before = (s - c) // 2
        pads += [before, s - c - before]
    notes.append(f"zero-padded (centred) {show_shape(current)} to {show_shape(spatial)}")
    return F.pad(x, pads)


def _resize(x: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    if tuple(x.shape[2:]) == size:
        return x
    return F.interpolate(x, size=size, mode=_MODES[len(size)], align_corners=False)


def _check_layout(have: tuple, want: tuple, what: str) -> None:
    """Same rank, same channels (the first axis after the batch), spatial rank 1 to 3."""
    if len(have) != len(want):
        hint = (
            "give the data as [samples, *input dims without N], or change the spec's input"
            if len(want) != 1
            else f"samples must have {want[0]} elements in all to be flattened"
        )
        raise _mismatch(have, want, what, hint)
    if len(want) == 1:
        raise _mismatch(have, want, what, "a flat input takes exactly that many features")
    if not _same(want[0], have[0]):
        raise _mismatch(
            have,
            want,
            what,
            f"the channels differ ({have[0]} vs {want[0]}): convert the data "
            f"(e.g. to grey or to RGB) or change the spec's input channels",
        )
    if len(want) - 1 not in _MODES:
        raise _mismatch(have, want, what, "only 1 to 3 spatial axes can be adapted")


def _same(want: object, have: int) -> bool:
    return isinstance(want, str) or want == have


def _mismatch(have: tuple, want: tuple, what: str, hint: str) -> TrainingError:
    return TrainingError(
        f"data samples of shape {show_shape(have)} do not fit {what} "
        f"(a sample: {show_shape(want)}); {hint}"
    )
