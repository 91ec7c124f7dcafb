"""Next-byte prediction data: a text split in two, windows of L + 1 bytes from each part.

The split is by position, never by window: the first (1 - fraction) of the bytes are
the training part, the last fraction the held-out part, and no window crosses the
boundary, so no held-out byte is ever read or predicted in training. A window of L + 1
bytes gives the input (its first L) and the targets (its last L): at every position the
next byte. Training draws fresh windows at random starts in every epoch, as many as
the training part holds L-byte windows end to end (``len // L``), from torch's
generator, which the loop reseeds per epoch (so a resumed run draws the same ones).
The held-out part is cut into consecutive windows with a stride of L, so its every
byte after the first is predicted exactly once (a leftover tail shorter than a
window is left out); its mean loss per byte is the figure reported, in nats and in bits
per byte, beside the unigram baseline (corpus.unigram_cross_entropy: the held-out part
under the training part's byte frequencies).

Assumes torch and numpy, and a graph that text_shape accepts (checked here first).
Guarantees a dataset.Dataset of int64 inputs [windows, L] and targets [windows, L], its
`draw` giving each epoch's training windows, and its `baseline` in nats per byte.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from netspec.ir import Graph
from netspec.training.corpus import load_text, unigram_cross_entropy
from netspec.training.dataset import Dataset
from netspec.training.errors import TrainingError
from netspec.training.options import TrainConfig
from netspec.training.tokens import text_shape


def prepare_text(data: str | Path, graph: Graph, config: TrainConfig) -> Dataset:
    """The windows of `data` for `graph`, split by position (the module docstring)."""
    context = text_shape(graph, f"--data {data}").context
    if config.loss != "cross_entropy":  # the figures are nats and bits per byte
        raise TrainingError(
            f"--loss {config.loss} does not apply to text: next-byte prediction is "
            "cross-entropy (its loss is the nats per byte reported); leave --loss out"
        )
    if config.standardize:
        raise TrainingError("--standardize does not apply to text: bytes are token ids")
    symbols, note = load_text(data)
    train, held = split_text(symbols, config.val_fraction, context)
    draw = window_sampler(torch.from_numpy(train), context, len(train) // context)
    x_val, y_val = consecutive_windows(torch.from_numpy(held), context)
    baseline = unigram_cross_entropy(train, held)
    x_train, y_train = draw()  # the sizes; every epoch draws its own
    notes = [
        note,
        f"split by position: the first {len(train):,} bytes for training, the last "
        f"{len(held):,} held out (no window crosses the boundary)",
        f"windows of {context} bytes, the next byte predicted at every position: "
        f"{len(x_train):,} random windows of the training part per epoch, "
        f"{len(x_val):,} consecutive held-out windows",
        f"unigram baseline (the held-out bytes under the training part's byte frequencies, "
        f"add-one smoothed): {baseline:.4f} nats = {baseline / math.log(2):.4f} bits per byte",
    ]
    return Dataset(x_train, y_train, x_val, y_val, 256, tuple(notes), draw=draw, baseline=baseline)


def split_text(symbols: np.ndarray, fraction: float, context: int) -> tuple[np.ndarray, ...]:
    """The training part (the first bytes) and the held-out part (the last `fraction`)."""
    held = round(fraction * len(symbols))
    train, val = symbols[: len(symbols) - held], symbols[len(symbols) - held :]
    if min(len(train), len(val)) < context + 1:
        raise TrainingError(
            f"{len(symbols):,} bytes are too few for windows of {context + 1} bytes in both "
            f"the training part and the held-out {fraction} (at least {context + 1} each); "
            "give a longer text or another --val-fraction"
        )
    return train, val


def window_sampler(
    part: torch.Tensor, context: int, count: int
) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function drawing `count` windows at random starts of `part` (torch's generator)."""

    def draw() -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, len(part) - context, (max(count, 1),))
        windows = part[starts[:, None] + torch.arange(context + 1)]
        return windows[:, :-1], windows[:, 1:]

    return draw


def consecutive_windows(part: torch.Tensor, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of windows with stride `context`: each byte after the first
    is a target once."""
    count = (len(part) - 1) // context
    starts = torch.arange(count) * context
    windows = part[starts[:, None] + torch.arange(context + 1)]
    return windows[:, :-1], windows[:, 1:]
