"""Batches of samples on the training device, from tensors or from a lazy dataset.

A part of the data is either a tensor (digits, .npz, text: everything in memory) or a
map-style ``torch.utils.data.Dataset`` that decodes a sample when asked (image folders:
``ds[i]`` is a float32 tensor [C, H, W]); its labels are always a tensor. The loop
chooses which samples form each batch (a list of index tensors); a :class:`Feeder`
fetches them:

- tensors: ``x[batch]``, ``y[batch]``, moved to the device -- in the loop's process,
  with no DataLoader (as netspec always did; cheap, and the same figures);
- a lazy dataset: a ``torch.utils.data.DataLoader`` whose batch sampler is the loop's
  batches, so that worker processes decode the images while the device trains
  (`workers` of them per part -- the training part's and the held-out part's
  loaders keep their own -- alive across epochs), into pinned memory where the device
  is CUDA (copies to the card then overlap the computation).

Assumes torch. Guarantees the batches in the order given, whichever way they are fetched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from netspec.training.dataset import Samples


def default_workers(x: Samples) -> int:
    """Worker processes for `x` when --workers is not given: none for tensors."""
    return 0 if isinstance(x, torch.Tensor) else min(4, os.cpu_count() or 1)


class _Labelled(Dataset):
    """A lazy part's samples with their labels: ``(x[i], y[i])``."""

    def __init__(self, x: Dataset, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[Any, torch.Tensor]:
        return self.x[index], self.y[index]


class _Plan:
    """A batch sampler whose batches the loop sets before each pass (so that the
    DataLoader, and its worker processes, live for the whole run)."""

    def __init__(self) -> None:
        self.batches: Sequence[torch.Tensor] = ()

    def __iter__(self) -> Iterator[list[int]]:
        return (batch.tolist() for batch in self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class Feeder:
    """Fetches batches of a part onto `device`; a lazy part's DataLoader (and its
    workers) is made on first use and kept for the run."""

    def __init__(self, device: torch.device, workers: int | None) -> None:
        self.device = device
        self.workers = workers
        self.pinned = device.type == "cuda"
        self._loaders: dict[int, tuple[Any, DataLoader, _Plan]] = {}

    def __call__(
        self, x: Samples, y: torch.Tensor, batches: Sequence[torch.Tensor]
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The samples and labels of `batches` (index tensors) on the device, in order."""
        if isinstance(x, torch.Tensor):
            for batch in batches:
                yield x[batch].to(self.device), y[batch].to(self.device)
            return
        loader, plan = self._loader(x, y)
        plan.batches = batches
        for xb, yb in loader:
            yield (
                xb.to(self.device, non_blocking=self.pinned),
                yb.to(self.device, non_blocking=self.pinned),
            )

    def _loader(self, x: Dataset, y: torch.Tensor) -> tuple[DataLoader, _Plan]:
        kept = self._loaders.get(id(x))
        if kept is not None and kept[0] is x:
            return kept[1], kept[2]
        workers = default_workers(x) if self.workers is None else self.workers
        plan = _Plan()
        loader = DataLoader(
            _Labelled(x, y),
            batch_sampler=plan,
            num_workers=workers,
            pin_memory=self.pinned,
            persistent_workers=workers > 0,
        )
        self._loaders[id(x)] = (x, loader, plan)  # x kept: its id stays its own
        return loader, plan

    def close(self) -> None:
        """Let the DataLoaders' worker processes end (they end when collected)."""
        self._loaders.clear()
