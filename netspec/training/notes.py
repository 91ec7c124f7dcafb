"""The notes a training run prints before its first epoch: network, options, processes.

Assumes a run of loop.py (its graph, module, config, world and device). Guarantees the
same two lines as ever for a single process with the default precision and steps; a
line more for each choice beyond them (precision, compile, accumulation, clipping,
several processes, a resumed checkpoint), so a log says how its figures were made.
"""

from __future__ import annotations

from typing import Any

from netspec.training.distributed import backend
from netspec.training.options import TrainConfig


def describe(r: Any, history: list) -> list[str]:
    c = r.config
    params = sum(p.numel() for p in r.module.parameters() if p.requires_grad)
    scores = f" (scores = -rbf outputs / {r.rbf})" if r.rbf and c.loss != "mse" else ""
    momentum = f" momentum {c.momentum}" if c.optimizer == "sgd" else ""
    lines = [
        f"network: {r.graph.name}, {params:,} trainable parameters, on {r.device}",
        f"loss {c.loss}{scores}; {c.optimizer} lr {c.learning_rate} ({c.schedule}){momentum} "
        f"weight decay {c.weight_decay}; batch {c.batch_size}; seed {c.seed}",
    ]
    steps = _steps(c)
    if steps:
        lines.append("steps: " + "; ".join(steps))
    if r.world.several:
        lines.append(_processes(c, r.world.size, backend(r.device)))
    if r.start:
        trained_by = f" (trained by {r.saved_world} processes)" if r.saved_world > 1 else ""
        lines.append(f"resumed from {c.resume} after epoch {r.start}{trained_by}")
    return lines


def _steps(c: TrainConfig) -> list[str]:
    """How a step differs from a plain float32 one, in words."""
    steps = []
    if c.precision != "fp32":
        scaler = ", loss scaled (GradScaler)" if c.precision == "fp16" else ""
        steps.append(f"precision {c.precision} (autocast{scaler})")
    if c.compile:
        steps.append("compiled (torch.compile)")
    if c.accumulate > 1:
        steps.append(
            f"gradients of {c.accumulate} batches accumulated per optimizer step "
            f"({c.accumulate * c.batch_size} samples)"
        )
    if c.clip_norm is not None:
        steps.append(f"gradient norm clipped to {c.clip_norm:g}")
    return steps


def _processes(c: TrainConfig, size: int, via: str) -> str:
    per_step = c.batch_size * size * c.accumulate
    return (
        f"{size} processes ({via}; rank 0 prints and saves): batch {c.batch_size} per "
        f"process, {per_step} samples per step in all; lr {c.learning_rate} as given "
        "(not rescaled for the larger batch)"
    )
