"""One epoch of a run: the training pass over this process's shard, then evaluation.

Assumes a prepared :class:`Run` (loop.py builds it: module, optimizer, stepper, feeder,
world). Guarantees the order loop.py's docstring describes -- torch's generator seeded
with seed x ORDER_SEED + epoch, then (alone) torch.randperm of the training part, or
(one of several) this process's DistributedSampler shard of the same permutation
(not for text: its windows are drawn from the generator before randperm) --
and figures summed over every process: the held-out means are exact means over every
held-out sample; the training means count the samples the sampler's padding repeats.
After the training pass, every process takes rank 0's buffers (batch norm's running
statistics), so that all evaluate, save and return the same module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from netspec.ir import Graph
from netspec.training.batches import Feeder
from netspec.training.dataset import Dataset
from netspec.training.distributed import World
from netspec.training.errors import TrainingError
from netspec.training.losses import Loss, correct
from netspec.training.options import TrainConfig
from netspec.training.progress import Update
from netspec.training.results import EpochMetrics
from netspec.training.steps import Stepper, groups

EVAL_BATCH = 1024  # held-out samples per forward pass, for parts held in memory
ORDER_SEED = 1_000_003  # epoch e's order comes from seed * ORDER_SEED + e


@dataclass
class Run:
    """A run's state: what loop.py built, and what the epochs change."""

    graph: Graph
    config: TrainConfig
    data: Dataset
    module: torch.nn.Module  # the built module: what is saved and returned
    optimizer: torch.optim.Optimizer
    loss: Loss
    rbf: int  # 0, or the features an rbf output's distances sum over (losses.scores)
    device: torch.device
    world: World
    stepper: Stepper
    feed: Feeder
    start: int = 0  # epochs finished before this run (a resumed checkpoint's)
    saved_world: int = 1  # processes that trained the resumed checkpoint
    model: torch.nn.Module | None = None  # what trains: compiled, in DDP (_wrap)


def one_epoch(r: Run, epoch: int, update: Update) -> EpochMetrics:
    """Train epoch `epoch` and evaluate; the figures of every process together."""
    started = time.perf_counter()
    with _compiling(r):
        loss_sum, hits, samples = r.world.total(list(_train(r, epoch, update)), r.device)
        trained = time.perf_counter() - started
        # each rank's batch-norm running statistics saw its own batches last: evaluate,
        # save and return rank 0's everywhere
        r.world.share_buffers(r.module)
        val_sum, val_hits, held = r.world.total(list(_evaluate(r)), r.device)
    per = r.data.y_val[0].numel() if r.data.sequence else 1  # positions per sample
    classes = r.data.classes is not None
    samples, held = int(samples), int(held)
    return EpochMetrics(
        epoch,
        loss_sum / samples,
        hits / (samples * per) if classes else None,
        val_sum / held,
        val_hits / (held * per) if classes else None,
        int(val_hits) if classes else None,
        held * per,
        samples / trained if trained > 0 else 0.0,
        time.perf_counter() - started,
    )


@contextmanager
def _compiling(r: Run) -> Iterator[None]:
    """A failure of torch.compile (it compiles at the first batch) as a TrainingError."""
    if not r.config.compile:
        yield
        return
    from torch._dynamo.exc import TorchDynamoException

    try:
        yield
    except TorchDynamoException as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise TrainingError(
            f"torch.compile could not compile {r.graph.name}: {type(exc).__name__}: {first}; "
            "train without --compile"
        ) from None


def _order(r: Run, samples: int, epoch: int) -> torch.Tensor:
    """This process's order of epoch `epoch`: alone, a permutation from torch's generator
    (seeded by the caller); one of several, its DistributedSampler shard of a
    permutation seeded the same way on every rank, after which the generator is reseeded
    per rank (so that dropout masks differ between ranks)."""
    if not r.world.several:
        return torch.randperm(samples)
    base = r.config.seed * ORDER_SEED
    order = r.world.order(samples, base, epoch)
    torch.manual_seed(((base + epoch) * 1_009 + r.world.rank) % 2**63)
    return order


def _train(r: Run, epoch: int, update: Update) -> tuple[float, int, int]:
    """One pass over this process's shuffled training samples: the summed loss (over
    samples), the correct count and the samples seen."""
    r.model.train()
    for group in r.optimizer.param_groups:
        group["lr"] = r.config.lr_at(epoch)
    torch.manual_seed(r.config.seed * ORDER_SEED + epoch)
    x, y = r.data.training_part()  # text: this epoch's windows, drawn after the seed
    per = y[0].numel() if r.data.sequence else 1  # positions per sample (the bar's accuracy)
    batches = _order(r, len(x), epoch).split(r.config.batch_size)
    sizes, k = [len(b) for b in batches], r.config.accumulate
    totals = groups(sizes, k)
    total, hits, done = 0.0, 0, 0
    for i, (xb, yb) in enumerate(r.feed(x, y, batches)):
        last = i % k == k - 1 or i == len(batches) - 1
        with r.stepper.batch(last):  # around the forward too: DDP decides there
            with r.stepper.autocast():
                outputs = r.model(xb)
                loss = r.loss(outputs, yb)
            r.stepper.backward(loss, sizes[i] / totals[i], first=i % k == 0, last=last)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(
                f"the loss became {value} in epoch {epoch}; lower the learning rate "
                f"(--lr {r.config.lr_at(epoch)}) or scale the data"
            )
        total, done = total + value * sizes[i], done + sizes[i]
        if r.data.classes is not None:
            hits += correct(outputs.detach(), yb, r.rbf)
        update(done, total / done, hits / (done * per) if r.data.classes is not None else None)
    return total, hits, done


@torch.no_grad()
def _evaluate(r: Run) -> tuple[float, int, int]:
    """The summed loss, the correct count and the samples of this process's shard of
    the held-out part, in eval mode."""
    r.module.eval()
    x, y = r.data.x_val, r.data.y_val
    rows = r.world.shard(len(x))
    size = EVAL_BATCH if isinstance(x, torch.Tensor) else r.config.batch_size
    # a shard can be empty (fewer held-out samples than processes): then no batch at
    # all, since an empty one gives a NaN mean loss, or nothing to collate
    batches = torch.arange(rows.start, rows.stop).split(size) if len(rows) else ()
    total, hits = 0.0, 0
    for xb, yb in r.feed(x, y, batches):
        with r.stepper.autocast():
            outputs = r.module(xb)
            total += r.loss(outputs, yb).item() * len(xb)
        if r.data.classes is not None:
            hits += correct(outputs, yb, r.rbf)
    return total, hits, len(rows)
