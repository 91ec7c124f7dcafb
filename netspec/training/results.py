"""What a training run returns: one EpochMetrics per epoch, and the TrainResult.

Plain values (numbers, None) except the trained module, so that a checkpoint stores the
history as dicts (dataclasses.asdict) and a resumed run reads it back.

Assumes torch is installed (the module's type). Guarantees immutable records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class EpochMetrics:
    """One finished epoch; accuracies are None for real-valued targets."""

    epoch: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float
    val_accuracy: float | None
    val_correct: int | None
    val_samples: int
    samples_per_second: float
    seconds: float


@dataclass
class TrainResult:
    """A finished run: the trained module, every epoch's figures, where it was saved."""

    network: str
    architecture_hash: str
    module: torch.nn.Module
    history: list[EpochMetrics]
    device: str
    seconds: float  # this run's wall time (a resumed run counts only its own epochs)
    checkpoint: Path | None
    notes: tuple[str, ...]

    @property
    def val_accuracy(self) -> float | None:
        return self.history[-1].val_accuracy if self.history else None
