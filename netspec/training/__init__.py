"""Training a Graph's network: what `netspec train SPEC` and ``netspec.train`` run.

    Graph --to_torch--> nn.Module
    data --data.prepare--> adapted tensors, held-out split --loop.run--> TrainResult

Assumes an elaborated :class:`~netspec.ir.Graph`: choosing the network of a spec (and
its ``--set`` values) is the API's job, ``netspec.train(spec, data, ...)``, which calls
:func:`train_graph`. Nothing here imports ``netspec.api`` or the ``netspec`` facade.

Guarantees: importing this package imports neither torch nor numpy; :func:`train_graph`
imports them when called and raises :class:`TrainingError` (not ImportError) when they
are missing, so the command line can say which extra to install. Every bad input a user
can give (data that cannot fit the network's input, labels beyond its classes, a
checkpoint of another architecture, CUDA without CUDA) is a :class:`TrainingError` with
one message that says what to do. The modules: ``errors`` (TrainingError,
require_torch), ``options`` (TrainConfig; torch-free), ``data`` (datasets, scaling,
labels, the split), ``fit`` (samples to the input shape), ``losses`` (cross-entropy,
hinge, mse; scores of rbf outputs), ``checkpoint`` (atomic save, architecture-checked
load), ``loop`` (optimizers, resume, the run), ``epoch`` (one epoch: the training pass
and the evaluation), ``steps`` (precision, gradient accumulation and clipping: a batch's
loss to an optimizer step), ``batches`` (batches from tensors, or from a lazy dataset
through a DataLoader's workers), ``distributed`` (several processes under torchrun: the
process group, DDP, shards, summed figures), ``payload`` (what a checkpoint holds),
``results``, ``notes`` and ``progress`` (what is printed), ``preprocess`` (the training
preprocessing applied to new samples with numpy alone, for ``netspec predict``). For
image folders (``--data DIR``): ``images`` (the folder to a Dataset), ``image_scan``
(its classes, files and train/val layout), ``image_files`` (lazy decoding), ``levels``
(pixels of any type as levels in [0, 1], for `netspec predict` too) and ``split`` (the
seeded, stratified held-out split, for arrays too). For sequence models: ``tokens``
(does a network take token ids, predict bytes), ``ids`` (.npz token ids), ``corpus``
(the packaged text, bytes, unigram baselines), ``text`` (the split and windows of
next-byte prediction), ``sample`` (`netspec sample`). The commands are
``netspec.cli.train`` and ``netspec.cli.sample``. See docs/training.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from netspec.ir import Graph
from netspec.training.errors import TrainingError, require_torch

if TYPE_CHECKING:
    from netspec.training.options import TrainConfig
    from netspec.training.results import TrainResult

__all__ = ["TrainingError", "require_torch", "train_graph"]


def train_graph(
    graph: Graph,
    data: str | Path = "digits",
    config: TrainConfig | None = None,
    *,
    spec: str | None = None,
    console: Any = None,
    **options: Any,
) -> TrainResult:
    """Train the network `graph` on `data`, options as in `options.TrainConfig`.

    `data` is ``"digits"``, a ``.npz`` file with arrays ``x`` and ``y``, or text for
    next-byte prediction: ``"text"`` (netspec's own docs) or a .txt / .md file. `options` are
    TrainConfig fields (``epochs=5, lr=0.01``) and replace those of `config`; its
    `network` and `overrides` are only recorded in the checkpoint (the graph is already
    chosen). `spec` is the spec the checkpoint names (default: the graph's source name);
    `console` is a rich Console for the progress display. Raises TrainingError for bad
    input.
    """
    if not isinstance(graph, Graph):
        raise TypeError(
            f"train_graph takes an elaborated Graph, not {type(graph).__name__}; "
            "for a spec path, zoo name or Source use netspec.train(spec, data, ...)"
        )
    require_torch()
    from netspec.training.loop import run

    return run(graph, data, config, spec=spec, console=console, **options)
