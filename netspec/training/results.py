"""What a training run returns: one EpochMetrics per epoch, and the TrainResult.

Plain values (numbers, None) except the trained module, so that a checkpoint stores the
history as dicts (dataclasses.asdict) and a resumed run reads it back.

Assumes torch is installed (the module's type). Guarantees immutable records, and
:func:`did_not_learn`'s warning for a run whose held-out loss did not fall.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from netspec.training.options import TrainConfig


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
    warnings: tuple[str, ...] = ()  # e.g. a held-out loss that did not fall (loop.py)
    baseline: float | None = None  # text: the unigram baseline, nats per byte (text.py)

    @property
    def val_accuracy(self) -> float | None:
        return self.history[-1].val_accuracy if self.history else None


def did_not_learn(
    history: list[EpochMetrics],
    config: TrainConfig,
    chance: float | None = None,
    baseline: float | None = None,
) -> tuple[str, ...]:
    """A warning, saying what to try, where the held-out loss after the last epoch is not
    below the first epoch's, or the held-out accuracy is no better than `chance` (always
    answering the most common held-out class). One epoch has nothing to compare. For
    text, also where the held-out loss is not below the unigram `baseline` (nats)."""
    if baseline is not None and history and history[-1].val_loss >= baseline:
        return (
            f"the held-out loss {history[-1].val_loss:.4f} nats per byte is not below the "
            f"unigram baseline {baseline:.4f}: the network has learnt no more than byte "
            f"frequencies; train longer (--epochs, now {config.epochs}) or try another --lr",
        )
    if len(history) < 2:
        return ()
    first, last = history[0], history[-1]
    if last.val_loss >= first.val_loss:
        what = (
            f"the held-out loss did not fall ({first.val_loss:.4f} after epoch {first.epoch}, "
            f"{last.val_loss:.4f} after epoch {last.epoch})"
        )
    elif chance is not None and last.val_accuracy is not None and last.val_accuracy <= chance:
        what = (
            f"the held-out accuracy {100 * last.val_accuracy:.2f}% is no better than always "
            f"answering the most common class ({100 * chance:.2f}%)"
        )
    else:
        return ()
    losses = [m.val_loss for m in history]
    # a loss that hardly moved wants a larger step; one that moved about, a smaller one
    still = max(losses) - min(losses) <= 0.01 * max(abs(first.val_loss), 1e-12)
    lr, factor = config.lr_at(last.epoch), 10 if still else 0.1
    rate = f"a {'larger' if still else 'smaller'} --lr (now {lr:g}, e.g. {lr * factor:g})"
    other = {"sgd": "adam", "adam": "sgd"}[config.optimizer]
    return (
        f"{what}: the network did not learn; try {rate}, more --epochs (now "
        f"{config.epochs}), or --optimizer {other}",
    )
