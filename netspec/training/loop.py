"""The training loop: build a Graph's module, fit the data, train, evaluate, checkpoint.

Assumes an elaborated Graph (the caller picked the network: ``netspec.train`` does it
with ``one_network``) and imports torch at import time, so only ``netspec.training``'s
:func:`~netspec.training.train_graph` imports it, after ``require_torch``. Guarantees the
order and seeding below, and a checkpoint after every finished epoch where one is asked.

Each epoch shuffles the training part (for text: draws fresh windows, text.py), steps
the optimizer once per batch (or per --accumulate batches, steps.py), then evaluates
the held-out part (model.eval(), torch.no_grad()) and saves the checkpoint. Under
torchrun (distributed.py) each process trains its shard of the epoch in DDP, the
figures are summed over the processes, and rank 0 alone prints and saves.
Optimizers: ``sgd`` (momentum 0.9 unless --momentum says otherwise; Nesterov off) and
``adam`` (betas 0.9, 0.999); the learning rate is constant or cosine-annealed per epoch
(TrainConfig.lr_at, a function of the epoch alone, so resuming needs no scheduler
state). ``weight_decay`` is L2 regularisation as PyTorch applies it: wd x w is added to
each parameter's gradient (biases included), the gradient of (wd/2) ||w||^2; for Adam
too (the L2 form, not AdamW's decoupled decay).

Determinism: the module is initialised after torch.manual_seed(seed); the split uses
numpy's default_rng(seed); epoch e reseeds torch with (seed, e) before shuffling, so the
order of epoch e -- and dropout's masks -- do not depend on whether the run was resumed.
The same seed gives the same weights and figures on CPU (GPU kernels may differ in the
last bits). Several processes shard the permutation a single process would draw
(DistributedSampler, seeded alike), so K processes with batches of b step as one with
batches of K x b -- except for text, whose windows are drawn from the generator before a
single process's permutation (the shards are then of another permutation). A resumed run
restores the weights, the optimizer state (momentum buffers, Adam moments) and the
history, then applies the learning rate, momentum and weight decay given now: `--epochs`
is the total, so resuming a 5-epoch checkpoint with ``--epochs 8`` trains epochs 6 to 8.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from netspec.ir import Graph
from netspec.ops import REGISTRY
from netspec.training import checkpoint
from netspec.training.batches import Feeder
from netspec.training.data import Dataset, prepare
from netspec.training.distributed import World, session, wrap
from netspec.training.epoch import Run, one_epoch
from netspec.training.errors import TrainingError
from netspec.training.losses import loss_function
from netspec.training.notes import describe
from netspec.training.options import TrainConfig
from netspec.training.payload import checkpoint_path, payload
from netspec.training.progress import Reporter
from netspec.training.results import EpochMetrics, TrainResult, did_not_learn
from netspec.training.steps import Stepper, check_precision


def run(
    graph: Graph,
    data: str | Path = "digits",
    config: TrainConfig | None = None,
    *,
    spec: str | None = None,
    console: Any = None,
    **options: Any,
) -> TrainResult:
    """Train `graph` on `data`; `options` replace fields of `config`. `spec` is what the
    checkpoint records as the spec (default: the name of the graph's source). Under
    torchrun, this process trains its share and rank 0 reports and saves."""
    config = replace(config or TrainConfig(), **options)
    config.validate()
    spec = graph.span.source.name if spec is None else spec
    world = World.from_env()
    device = world.device(pick_device(config.device))
    check_precision(config.precision, device)
    target = checkpoint_path(config, graph)
    if target is not None and world.leader:  # before the data and the epochs, not after
        checkpoint.check_target(target)
    with session(world, device):
        return _train_run(graph, data, config, spec, console, world, device)


def _train_run(
    graph: Graph,
    data: str | Path,
    config: TrainConfig,
    spec: str,
    console: Any,
    world: World,
    device: torch.device,
) -> TrainResult:
    r = _setup(graph, config, prepare(data, graph, config), device, world)
    history = _resume(r) if config.resume else []
    _wrap(r)
    reporter = Reporter(config.quiet or not world.leader, console)
    notes = (*r.data.notes, *describe(r, history))
    for line in notes:
        reporter.note(line)
    target = checkpoint_path(config, graph)
    started = time.perf_counter()
    try:
        for epoch in range(r.start + 1, config.epochs + 1):
            shard = world.shard_size(len(r.data.x_train))
            with reporter.epoch(epoch, config.epochs, shard) as update:
                metrics = one_epoch(r, epoch, update)
            history.append(metrics)
            reporter.epoch_line(metrics, config.epochs)
            if target is not None and world.leader:
                checkpoint.save(target, payload(r, spec, data, epoch, history))
    finally:
        r.feed.close()
    world.barrier()  # rank 0's checkpoint is whole before any process reports the end
    result = TrainResult(
        graph.name,
        checkpoint.architecture_hash(graph),
        r.module,
        history,
        str(device),
        time.perf_counter() - started,
        target,
        notes,
        did_not_learn(history, config, _chance(r.data), r.data.baseline),
        r.data.baseline,
    )
    reporter.summary(result)
    for line in result.warnings:
        reporter.warning(line)
    return result


def _chance(data: Dataset) -> float | None:
    """The held-out accuracy of always answering the most common held-out class."""
    if data.classes is None:
        return None
    labels = data.y_val.reshape(-1)  # next-byte targets: every position
    return float(torch.bincount(labels).max()) / len(labels)


def pick_device(name: str) -> torch.device:
    """`auto` = cuda where available, else cpu; a cuda device that is not there is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            build = ", a CPU-only build" if torch.version.cuda is None else ""
            raise TrainingError(
                f"--device {name} asks for CUDA, but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}{build}); use --device cpu or --device auto"
            )
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise TrainingError(f"no {name}: {torch.cuda.device_count()} CUDA devices visible")
    return torch.device(name)


def build_module(graph: Graph, seed: int) -> torch.nn.Module:
    """The graph's PyTorch module, initialised from `seed`."""
    from netspec.backends.torch.to_torch import to_torch

    torch.manual_seed(seed)
    return to_torch(graph, seed=seed)


def _setup(
    graph: Graph, config: TrainConfig, data: Dataset, device: torch.device, world: World
) -> Run:
    module = build_module(graph, config.seed).to(device)
    trainable = [p for p in module.parameters() if p.requires_grad]
    if not trainable:
        raise TrainingError(f"{graph.name} has no trainable parameters to train")
    lr, wd = config.learning_rate, config.weight_decay
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(trainable, lr=lr, momentum=config.momentum, weight_decay=wd)
    else:
        optimizer = torch.optim.Adam(trainable, lr=lr, weight_decay=wd)
    rbf = rbf_features(graph)
    loss = loss_function(config.loss, rbf, data.classes is not None, data.sequence)
    stepper = Stepper(config, module, optimizer, device)
    feed = Feeder(device, config.workers)
    return Run(graph, config, data, module, optimizer, loss, rbf, device, world, stepper, feed)


def _wrap(r: Run) -> None:
    """Compile the module where asked, then wrap it in DDP where several processes
    train (after resuming: every rank loaded the same weights). Evaluation runs the
    module itself: outside DDP, because ranks evaluate shards of different lengths and
    DDP's forward would wait for the others; uncompiled, because a second compilation
    (eval mode, no gradients) would cost as much time as the first."""
    compiled = torch.compile(r.module) if r.config.compile else r.module
    r.model = wrap(compiled, r.world, r.device)
    r.stepper.model = r.model


def rbf_features(graph: Graph) -> int:
    """0, or, where the output comes from an rbf layer, the features of its input."""
    out = graph.outputs[0][1]
    for node in graph.nodes:
        if node.output == out and REGISTRY[node.op].distances:
            return int(graph.shape(node.inputs[0])[-1])
    return 0


def _resume(r: Run) -> list[EpochMetrics]:
    """Restore weights, optimizer state and history; sets r.start; returns the history."""
    path = r.config.resume
    saved = checkpoint.load(path, r.graph)
    before = (saved.get("training") or {}).get("optimizer", r.config.optimizer)
    if before != r.config.optimizer:
        raise TrainingError(
            f"checkpoint {path} was trained with --optimizer {before}; "
            f"resume with the same optimizer (not {r.config.optimizer})"
        )
    r.start = int(saved.get("epoch", 0))
    if r.start >= r.config.epochs:
        raise TrainingError(
            f"checkpoint {path} has finished {r.start} epochs already; "
            f"--epochs is the total: ask for more than {r.start}"
        )
    try:
        r.module.load_state_dict(saved["state_dict"])
        r.optimizer.load_state_dict(saved["optimizer"])
        history = [EpochMetrics(**m) for m in saved.get("metrics", [])]
        if r.stepper.scaler is not None and saved.get("scaler"):
            r.stepper.scaler.load_state_dict(saved["scaler"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise TrainingError(f"checkpoint {path} cannot be resumed from: {exc}") from None
    r.saved_world = int((saved.get("training") or {}).get("world_size", 1))
    for group in r.optimizer.param_groups:  # the options given now, not the saved ones
        group.update(lr=r.config.learning_rate, weight_decay=r.config.weight_decay)
        if "momentum" in group:
            group["momentum"] = r.config.momentum
    return history
