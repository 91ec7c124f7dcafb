"""Token ids from a .npz file for a network whose input is int64 (sequence classification).

Ids are used as stored: never standardised, resized or padded (``--fit`` applies to
real-valued inputs only). Each sample must have the input's shape without N (a symbolic
axis takes any size), hold integers, and each id must index every embedding table that
reads the input (0..vocab-1), so that nn.Embedding never fails with an index error deep
inside a batch.

Assumes torch and numpy, and the x of data._npz (integer arrays kept as stored).
Guarantees an int64 tensor of the input's shape, or a TrainingError naming x's shape
or values, the input and what to change.
"""

from __future__ import annotations

import numpy as np
import torch

from netspec.ir import Graph
from netspec.training.errors import TrainingError
from netspec.training.options import TrainConfig
from netspec.training.tokens import id_limit
from netspec.values import show_shape


def token_ids(x: np.ndarray, graph: Graph, config: TrainConfig, what: str) -> torch.Tensor:
    """`x` as int64 ids for the graph's input `what` (the module docstring)."""
    if config.standardize:
        raise TrainingError(f"--standardize does not apply to {what}: token ids are indices")
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
        raise TrainingError(
            f"{what} takes int64 token ids, but x holds {x.dtype} values; store the ids as "
            "integers (x.astype(numpy.int64))"
        )
    want, have = tuple(graph.shape(graph.inputs[0][1])[1:]), tuple(x.shape[1:])
    if len(want) != len(have) or any(
        isinstance(w, int) and w != h for w, h in zip(want, have, strict=True)
    ):
        raise TrainingError(
            f"samples of shape {show_shape(have)} do not fit {what} (a sample: "
            f"{show_shape(want)}); token ids are used as stored, never resized or padded: "
            f"give x as [samples, {', '.join(map(str, want))}]"
        )
    _check_range(x, graph, what)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.int64))


def _check_range(x: np.ndarray, graph: Graph, what: str) -> None:
    low, high = int(x.min()), int(x.max())
    limit = id_limit(graph)
    if low < 0:
        raise TrainingError(
            f"token ids in x range from {low} to {high}, but ids are indices and cannot be "
            f"negative; relabel them to start at 0 (add {-low} to every id)"
        )
    if limit is None or high < limit[0]:
        return
    vocab = limit[0]
    more = f"--set vocab={high + 1}" if "vocab" in graph.parameters else "a larger embedding vocab"
    raise TrainingError(
        f"token ids in x range from {low} to {high}, but {what} is read by an embedding "
        f"of vocab {vocab} (ids 0..{vocab - 1}); relabel the ids or give {more}"
    )
