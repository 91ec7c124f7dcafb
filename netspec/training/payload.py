"""What a training run writes: the checkpoint's path and its payload (see checkpoint.py).

Assumes a run of loop.py (its module, optimizer, config and dataset). Guarantees a
payload of plain values (tensors, dicts, lists, strings, numbers), as
``torch.load(weights_only=True)`` reads; for text (``--data text`` or a text file) a
``text`` entry says how the bytes were read, so that ``netspec sample`` can check it.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from netspec.ir import Graph
from netspec.training import checkpoint
from netspec.training.data import preprocessing
from netspec.training.options import TrainConfig
from netspec.training.results import EpochMetrics


def checkpoint_path(config: TrainConfig, graph: Graph) -> Path | None:
    if config.checkpoint is None:
        return None
    return Path(str(config.checkpoint).replace("{network}", graph.name))


def _where(spec: str) -> str:
    """A spec file's absolute path (so `netspec sample` finds it from anywhere); a zoo
    name as it is."""
    path = Path(spec)
    return str(path.resolve()) if path.is_file() else spec


def payload(
    r: Any, spec: str, data: Any, epoch: int, history: list[EpochMetrics]
) -> dict[str, Any]:
    from netspec._version import __version__

    c = r.config
    return {
        "architecture_hash": checkpoint.architecture_hash(r.graph),
        "network": r.graph.name,
        "spec": _where(spec),
        "overrides": dict(c.overrides),
        "input_shapes": {k: list(v) for k, v in c.input_shapes.items()},
        "state_dict": r.module.state_dict(),
        "optimizer": r.optimizer.state_dict(),
        "epoch": epoch,
        "metrics": [asdict(m) for m in history],
        "training": {
            "optimizer": c.optimizer,
            "lr": c.learning_rate,
            "schedule": c.schedule,
            "momentum": c.momentum,
            "weight_decay": c.weight_decay,
            "loss": c.loss,
            "batch_size": c.batch_size,
            "seed": c.seed,
            "fit": c.fit,
            "val_fraction": c.val_fraction,
            "standardized": list(r.data.standardized) if r.data.standardized else None,
            "data": str(data),
            "precision": c.precision,
            "compile": c.compile,
            "accumulate": c.accumulate,
            "clip_norm": c.clip_norm,
            "world_size": r.world.size,  # processes that trained it; batch_size is each's
        },
        "scaler": _scaler(r),
        "preprocessing": preprocessing(c.fit, r.data),
        "text": _text(r),
        "netspec_version": __version__,
    }


def _scaler(r: Any) -> dict[str, Any] | None:
    """fp16's loss scale and its growth tracker (resumed with it); None otherwise."""
    scaler = r.stepper.scaler
    return None if scaler is None else scaler.state_dict()


def _text(r: Any) -> dict[str, Any] | None:
    """For next-byte prediction: the tokenizer, context, and unigram baseline; else None."""
    if r.data.baseline is None:
        return None
    return {
        "tokenizer": "bytes",
        "context": int(r.data.x_val.shape[1]),
        "baseline_nats": r.data.baseline,
    }
