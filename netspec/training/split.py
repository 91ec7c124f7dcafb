"""The held-out split of a training run: seeded and, for class labels, stratified.

Each class gives round(fraction x its count) samples to the held-out part, chosen by a
permutation from numpy's default_rng(seed); without labels the samples form one group.

Assumes numpy. Guarantees the same split for the same labels, fraction and seed on every
machine, both parts non-empty and sorted, or a TrainingError saying what to change.
"""

from __future__ import annotations

import numpy as np

from netspec.training.errors import TrainingError


def split(
    labels: np.ndarray | None, samples: int, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and held-out parts; stratified when labels are given."""
    rng = np.random.default_rng(seed)
    if labels is None:
        groups = [np.arange(samples)]
    else:
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    held = [rng.permutation(g)[: round(fraction * len(g))] for g in groups]
    val = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(samples), val)
    if len(val) == 0 or len(train) == 0:
        raise TrainingError(
            f"{samples} samples are too few to hold out a fraction of {fraction} "
            "and still train; give more data or another --val-fraction"
        )
    return train, val
