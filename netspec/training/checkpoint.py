"""Checkpoints: a network's weights tied to its architecture hash.

A checkpoint is one ``torch.save`` of a plain dict (tensors, dicts, lists, strings and
numbers only, so it loads with ``torch.load(weights_only=True)``, which runs no
pickled code):

    format            "netspec-checkpoint-v1"
    architecture_hash netspec.analysis.fingerprint.architecture_hash(graph), sha256 hex
    network, spec     the network's name and the spec as given (path or zoo name)
    overrides         the --set values it was built with
    state_dict        the module's weights and buffers
    optimizer         the optimizer's state_dict (momentum buffers, Adam moments)
    epoch             epochs finished
    metrics           one dict per finished epoch (see results.EpochMetrics)
    training          the options that shape the optimizer (optimizer, lr, ...), how a
                      step was computed (precision, compile, accumulate, clip_norm)
                      and world_size, the processes that trained it (under torchrun;
                      batch_size is per process)
    scaler            fp16's GradScaler state (None for bf16 and fp32)
    preprocessing     what raw samples need before the network: scale (the loader's
                      factor, 1/16 for digits), fit, mean and std (None: not
                      standardized); netspec export copies it into the ONNX metadata
    netspec_version

Saving writes a temporary file beside the target and renames it over the target
(os.replace, atomic on POSIX and Windows): a crash or a full disk leaves the previous
checkpoint whole, never a half-written one. Loading checks the format and the
architecture hash first and refuses another architecture's weights with a TrainingError
naming both networks and hashes.

Assumes torch is installed (imported at import time; ``netspec.training`` checks first)
and a payload of plain values. Guarantees that a checkpoint is whole or absent, and
that no weights of another architecture are ever returned.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from netspec.analysis.fingerprint import architecture_hash
from netspec.files import whole
from netspec.ir import Graph
from netspec.training.errors import TrainingError

FORMAT = "netspec-checkpoint-v1"
SHOWN = 12  # hex digits of a hash shown in messages


def save(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write `payload` to `path` atomically; returns the path. A file system that
    refuses (a full disk, a file where a folder should be) is a TrainingError."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # netspec.files: a temporary beside the target, and those of killed runs removed
        with whole(path, sync=True) as stream:
            torch.save({"format": FORMAT, **payload}, stream)
    except OSError as exc:
        check_target(path)  # the clearer reason, where it is one of these
        raise TrainingError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from None
    return path


def check_target(path: Path) -> None:
    """Refuse, before training, a checkpoint path that cannot be written: a folder, a
    path through a file, or a folder this process may not write in."""
    if path.is_dir():
        raise TrainingError(
            f"--checkpoint {path} is a folder; give a file in it, e.g. {path / '{network}.pt'}"
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:  # the nearest that exists
        parent = parent.parent
    if not parent.is_dir():
        raise TrainingError(
            f"cannot write checkpoint {path}: {parent} is a file, not a folder; "
            "give another --checkpoint path"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TrainingError(
            f"cannot write checkpoint {path}: no permission to write in {parent}; "
            "give another --checkpoint path"
        )


def load(path: str | Path, graph: Graph) -> dict[str, Any]:
    """The checkpoint at `path`, refused unless it holds `graph`'s architecture."""
    saved = read(path)
    _check_architecture(saved, Path(path), graph)
    return saved


def read(path: str | Path) -> dict[str, Any]:
    """The checkpoint at `path`, its architecture unchecked (to learn which spec it
    names); a file that is not one is a TrainingError."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"no checkpoint {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many kinds on a damaged or foreign file
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        reason = f"torch.load: {type(exc).__name__} {first}".rstrip()
        raise TrainingError(f"{path} is not a netspec checkpoint ({reason})") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise TrainingError(f"{path} is not a netspec checkpoint (no format '{FORMAT}')")
    return saved


def _check_architecture(saved: dict[str, Any], path: Path, graph: Graph) -> None:
    expected = architecture_hash(graph)
    if saved.get("architecture_hash") == expected:
        return
    origin = f"'{saved.get('spec')}'" + _shown_overrides(saved.get("overrides") or {})
    raise TrainingError(
        f"checkpoint {path} was saved from network {saved.get('network')} "
        f"(architecture {str(saved.get('architecture_hash'))[:SHOWN]}, spec {origin}), "
        f"not from this network {graph.name} (architecture {expected[:SHOWN]}); "
        "its weights do not fit: give the spec and --set values it was saved from, "
        "or train without --resume"
    )


def _shown_overrides(overrides: dict[str, Any]) -> str:
    return "".join(f" --set {k}={v}" for k, v in overrides.items())


def load_weights(module: torch.nn.Module, path: str | Path, graph: Graph) -> dict[str, Any]:
    """Load a checkpoint's weights into `module` (built from `graph`); returns the checkpoint.

    For commands that use trained weights (export, evaluation): the architecture is
    checked first, so a mismatch is a TrainingError, never a size-mismatch traceback.
    """
    saved = load(path, graph)
    module.load_state_dict(saved["state_dict"])
    return saved
