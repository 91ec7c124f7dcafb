"""The training loop: build a Graph's module, fit the data, train, evaluate, checkpoint.

Assumes an elaborated Graph (the caller picked the network: ``netspec.train`` does it
with ``one_network``) and imports torch at import time, so only ``netspec.training``'s
:func:`~netspec.training.train_graph` imports it, after ``require_torch``. Guarantees the
order and seeding below, and a checkpoint after every finished epoch where one is asked.

Each epoch shuffles the training part (for text: draws fresh windows, text.py), steps
the optimizer once per batch, then
evaluates the held-out part (model.eval(), torch.no_grad()) and saves the checkpoint.
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
last bits). A resumed run restores the weights, the optimizer state (momentum buffers,
Adam moments) and the history, then applies the learning rate, momentum and weight
decay given now: `--epochs` is the total, so resuming a 5-epoch checkpoint with
``--epochs 8`` trains epochs 6 to 8.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from netspec.ir import Graph
from netspec.ops import REGISTRY
from netspec.training import checkpoint
from netspec.training.data import Dataset, prepare
from netspec.training.errors import TrainingError
from netspec.training.losses import Loss, correct, loss_function
from netspec.training.options import TrainConfig
from netspec.training.payload import checkpoint_path, payload
from netspec.training.progress import Reporter
from netspec.training.results import EpochMetrics, TrainResult, did_not_learn

EVAL_BATCH = 1024


@dataclass
class _Run:
    graph: Graph
    config: TrainConfig
    data: Dataset
    module: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss: Loss
    rbf: int  # 0, or the features an rbf output's distances sum over (losses.scores)
    device: torch.device
    start: int = 0  # epochs finished before this run (a resumed checkpoint's)


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
    checkpoint records as the spec (default: the name of the graph's source)."""
    config = replace(config or TrainConfig(), **options)
    config.validate()
    spec = graph.span.source.name if spec is None else spec
    device = pick_device(config.device)
    r = _setup(graph, config, prepare(data, graph, config), device)
    history = _resume(r) if config.resume else []
    reporter = Reporter(config.quiet, console)
    notes = (*r.data.notes, *_describe(r, history))
    for line in notes:
        reporter.note(line)
    target = checkpoint_path(config, graph)
    started = time.perf_counter()
    for epoch in range(r.start + 1, config.epochs + 1):
        with reporter.epoch(epoch, config.epochs, len(r.data.x_train)) as update:
            metrics = _epoch(r, epoch, update)
        history.append(metrics)
        reporter.epoch_line(metrics, config.epochs)
        if target is not None:
            checkpoint.save(target, payload(r, spec, data, epoch, history))
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


def _setup(graph: Graph, config: TrainConfig, data: Dataset, device: torch.device) -> _Run:
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
    return _Run(graph, config, data, module, optimizer, loss, rbf, device)


def rbf_features(graph: Graph) -> int:
    """0, or, where the output comes from an rbf layer, the features of its input."""
    out = graph.outputs[0][1]
    for node in graph.nodes:
        if node.output == out and REGISTRY[node.op].distances:
            return int(graph.shape(node.inputs[0])[-1])
    return 0


def _resume(r: _Run) -> list[EpochMetrics]:
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
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise TrainingError(f"checkpoint {path} cannot be resumed from: {exc}") from None
    for group in r.optimizer.param_groups:  # the options given now, not the saved ones
        group.update(lr=r.config.learning_rate, weight_decay=r.config.weight_decay)
        if "momentum" in group:
            group["momentum"] = r.config.momentum
    return history


def _epoch(r: _Run, epoch: int, update) -> EpochMetrics:
    started = time.perf_counter()
    train_loss, train_hits = _train(r, epoch, update)
    trained = time.perf_counter() - started
    val_loss, val_hits = _evaluate(r)
    per = r.data.y_val[0].numel() if r.data.sequence else 1  # positions per sample
    samples, held = len(r.data.x_train), len(r.data.x_val)
    classes = r.data.classes is not None
    return EpochMetrics(
        epoch,
        train_loss,
        train_hits / (samples * per) if classes else None,
        val_loss,
        val_hits / (held * per) if classes else None,
        val_hits if classes else None,
        held * per,
        samples / trained if trained > 0 else 0.0,
        time.perf_counter() - started,
    )


def _train(r: _Run, epoch: int, update) -> tuple[float, int]:
    """One pass over the shuffled training part; the mean loss and the correct count."""
    r.module.train()
    for group in r.optimizer.param_groups:
        group["lr"] = r.config.lr_at(epoch)
    torch.manual_seed(r.config.seed * 1_000_003 + epoch)
    x, y = r.data.training_part()  # text: this epoch's windows, drawn after the seed
    per = y[0].numel() if r.data.sequence else 1  # positions per sample (the bar's accuracy)
    total, hits, done = 0.0, 0, 0
    for batch in torch.randperm(len(x)).split(r.config.batch_size):
        xb, yb = x[batch].to(r.device), y[batch].to(r.device)
        outputs = r.module(xb)
        loss = r.loss(outputs, yb)
        r.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        r.optimizer.step()
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(
                f"the loss became {value} in epoch {epoch}; lower the learning rate "
                f"(--lr {r.config.lr_at(epoch)}) or scale the data"
            )
        total, done = total + value * len(batch), done + len(batch)
        if r.data.classes is not None:
            hits += correct(outputs.detach(), yb, r.rbf)
        update(done, total / done, hits / (done * per) if r.data.classes is not None else None)
    return total / done, hits


@torch.no_grad()
def _evaluate(r: _Run) -> tuple[float, int]:
    """The mean loss and correct count on the held-out part, in eval mode."""
    r.module.eval()
    total, hits = 0.0, 0
    batches = zip(r.data.x_val.split(EVAL_BATCH), r.data.y_val.split(EVAL_BATCH), strict=True)
    for xb, yb in batches:
        xb, yb = xb.to(r.device), yb.to(r.device)
        outputs = r.module(xb)
        total += r.loss(outputs, yb).item() * len(xb)
        if r.data.classes is not None:
            hits += correct(outputs, yb, r.rbf)
    return total / len(r.data.x_val), hits


def _describe(r: _Run, history: list[EpochMetrics]) -> list[str]:
    c = r.config
    params = sum(p.numel() for p in r.module.parameters() if p.requires_grad)
    scores = f" (scores = -rbf outputs / {r.rbf})" if r.rbf and c.loss != "mse" else ""
    momentum = f" momentum {c.momentum}" if c.optimizer == "sgd" else ""
    lines = [
        f"network: {r.graph.name}, {params:,} trainable parameters, on {r.device}",
        f"loss {c.loss}{scores}; {c.optimizer} lr {c.learning_rate} ({c.schedule}){momentum} "
        f"weight decay {c.weight_decay}; batch {c.batch_size}; seed {c.seed}",
    ]
    if r.start:
        lines.append(f"resumed from {c.resume} after epoch {r.start}")
    return lines
