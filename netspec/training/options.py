"""The training options, as one frozen value; torch-free so the command line can use it.

:class:`TrainConfig` holds every choice a training run makes; :meth:`TrainConfig.validate`
turns an impossible one into a TrainingError naming the option. Defaults are the
command line's, except `checkpoint`: the Python API writes no file unless asked, the
command line writes ``{network}.pt`` (``{network}`` is replaced by the network's name).

Assumes only training.errors (no torch). Guarantees that a validated TrainConfig
holds only choices the loop can run; `network`, `overrides` and `input_shapes` choose the
network in ``netspec.train`` (the first two are recorded in the checkpoint).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netspec.training.errors import TrainingError

LOSSES = ("cross_entropy", "hinge", "mse")
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")
SCHEDULES = ("constant", "cosine")
FITS = ("pad", "resize", "resize:S", "none")
PRECISIONS = ("fp32", "bf16", "fp16")  # fp16 needs CUDA and a gradient scaler (steps.py)
# Adam at 0.003, batches of 32, 15 epochs, --fit resize: the defaults that train every
# bundled spec that fits the digits (lenet5 97.8%, lenet5_d2l 97.2%, mlp 95.8% held out,
# seed 0) in seconds on a 2-core CPU; docs/training.md has the measurements.
DEFAULT_LR = {"sgd": 0.01, "adam": 0.003}

_FIT = re.compile(r"(pad|resize|none)(?::(\d+))?")


def parse_fit(text: str) -> tuple[str, int | None]:
    """`pad`, `resize`, `none`, or `resize:S` (resize to S per spatial axis, then pad)."""
    found = _FIT.fullmatch(text.strip())
    size = int(found.group(2)) if found and found.group(2) else None
    if not found or (found.group(2) and (found.group(1) != "resize" or not size)):
        raise TrainingError(
            f"--fit expects pad, resize, resize:S (S >= 1, e.g. resize:20) or none, got '{text}'"
        )
    return found.group(1), size


@dataclass(frozen=True)
class TrainConfig:
    """What a training run does; `lr` None = 0.01 for sgd, 0.003 for adam."""

    epochs: int = 15
    batch_size: int = 32
    lr: float | None = None
    optimizer: str = "adam"
    momentum: float = 0.9
    schedule: str = "constant"
    weight_decay: float = 0.0
    loss: str = "cross_entropy"
    fit: str = "resize"
    val_fraction: float = 0.2
    standardize: bool | None = None  # None: on for digits, off for .npz files
    seed: int = 0
    device: str = "auto"
    network: str | None = None
    overrides: Mapping[str, object] = field(default_factory=dict)
    input_shapes: Mapping[str, tuple] = field(default_factory=dict)  # --input-shape
    checkpoint: str | Path | None = None
    resume: str | Path | None = None
    quiet: bool = False
    precision: str = "fp32"  # bf16 / fp16: autocast of forward and loss (precision.py)
    compile: bool = False  # torch.compile the built module (before any DDP wrapping)
    accumulate: int = 1  # batches whose gradients are summed before each optimizer step
    clip_norm: float | None = None  # the total gradient norm is clipped to this
    workers: int | None = None  # DataLoader workers; None: 0 for tensors, min(4, cpus) else

    @property
    def learning_rate(self) -> float:
        return DEFAULT_LR[self.optimizer] if self.lr is None else self.lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate of epoch `epoch` (1-based): constant, or cosine-annealed
        from lr in epoch 1 towards 0, lr (1 + cos(pi (e - 1) / epochs)) / 2."""
        if self.schedule == "constant":
            return self.learning_rate
        return self.learning_rate * (1 + math.cos(math.pi * (epoch - 1) / self.epochs)) / 2

    def validate(self) -> None:
        """Raise TrainingError for the first impossible option."""
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("loss", self.loss, LOSSES)
        _choice("schedule", self.schedule, SCHEDULES)
        if self.device not in DEVICES and not re.fullmatch(r"cuda:\d+", self.device):
            raise TrainingError(f"device must be auto, cpu, cuda or cuda:K, got '{self.device}'")
        parse_fit(self.fit)
        _at_least("epochs", self.epochs, 1)
        _at_least("batch_size", self.batch_size, 1)
        for name in ("momentum", "weight_decay"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise TrainingError(f"{name} must be a number >= 0, got {value!r}")
        lr = self.learning_rate
        if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
            raise TrainingError(f"lr must be a number > 0, got {lr!r}")
        if not (isinstance(self.val_fraction, float | int) and 0 < self.val_fraction < 1):
            raise TrainingError(
                f"val_fraction must lie strictly between 0 and 1, got {self.val_fraction!r}"
            )
        _at_least("seed", self.seed, 0)
        self._validate_steps()
        if self.standardize not in (None, True, False):
            raise TrainingError(
                f"standardize must be True, False or None, got {self.standardize!r}"
            )

    def _validate_steps(self) -> None:
        """The options of how a step is computed: precision, compile, accumulation..."""
        _choice("precision", self.precision, PRECISIONS)
        if self.compile not in (True, False):
            raise TrainingError(f"compile must be True or False, got {self.compile!r}")
        _at_least("accumulate", self.accumulate, 1)
        clip = self.clip_norm
        if clip is not None and not (
            isinstance(clip, int | float)
            and not isinstance(clip, bool)
            and math.isfinite(clip)
            and clip > 0
        ):
            raise TrainingError(f"clip_norm must be a number > 0 (or None), got {clip!r}")
        if self.workers is not None:
            _at_least("workers", self.workers, 0)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TrainingError(f"{name} must be one of {', '.join(choices)}, got '{value}'")


def _at_least(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise TrainingError(f"{name} must be a whole number >= {low}, got {value!r}")
