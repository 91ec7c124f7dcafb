"""The prepared data of a training run: both parts of the split.

A part's samples are a tensor (everything in memory: digits, .npz, text) or a lazy
map-style ``torch.utils.data.Dataset`` (image folders: ``len(ds)``, ``ds[i]`` a float32
tensor [C, H, W] decoded when asked); its labels are always a tensor. The loop fetches
batches of either (batches.py), so nothing else may index the samples.

Assumes torch. Guarantees an immutable record whose held-out part is fixed, and whose
training part is fixed too, except for text, where :meth:`Dataset.training_part` draws
each epoch's windows (text.py) from torch's generator, which the loop seeds per epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.utils.data

Samples = torch.Tensor | torch.utils.data.Dataset  # in memory, or decoded when asked


@dataclass(frozen=True)
class Dataset:
    """The adapted samples of both parts of the split, and notes on how they were made."""

    x_train: Samples
    y_train: torch.Tensor
    x_val: Samples
    y_val: torch.Tensor
    classes: int | None  # None: real-valued targets (mse regression)
    notes: tuple[str, ...]
    standardized: tuple[float, float] | None = None  # (mean, std) subtracted and divided
    scale: float = 1.0  # the loader's factor on the stored values (digits: 1/16)
    draw: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None  # text: per epoch
    baseline: float | None = None  # text: the unigram baseline, nats per byte

    @property
    def sequence(self) -> bool:
        """Whether every sample has a label per position (next-byte targets [N, L])."""
        return self.classes is not None and self.y_val.dim() > 1

    def training_part(self) -> tuple[Samples, torch.Tensor]:
        """This epoch's training samples: fresh windows for text, else the fixed part."""
        return self.draw() if self.draw is not None else (self.x_train, self.y_train)
