"""Training as one of several processes: torchrun's environment, the process group, DDP.

``torchrun --nproc_per_node=K -m netspec train SPEC ...`` starts K copies of the command;
torchrun tells each its place through the environment (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT). :func:`World.from_env` reads it; a process without it, or
with WORLD_SIZE=1, is a single process and the loop runs as it always did.

Where there are several: :func:`session` joins the process group (NCCL for CUDA, one card
per process, cuda:LOCAL_RANK; gloo for the CPU) and leaves it at the end, also after an
error; :func:`wrap` puts the module in DistributedDataParallel (gradients averaged
during backward); :meth:`World.order` is this process's shard of an epoch's shuffled
order (DistributedSampler: one permutation per epoch, the same on every rank, the last
shard padded by repeating samples, so that every rank takes as many steps);
:meth:`World.shard` is a contiguous, unpadded slice of the held-out part; and
:meth:`World.total` sums figures over the ranks (the held-out means are then exact means
over every sample; the training means count the padding's repeated samples too), and
:meth:`World.share_buffers` gives every rank rank 0's buffers after an epoch.

Assumes torch. Guarantees that a single process never touches torch.distributed, that
a misconfigured environment is a TrainingError, not a hang, and that a collective
operation broken by another process's failure is a TrainingError, not a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from netspec.training.errors import TrainingError

_NEEDED = ("MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class World:
    """This process's place among the processes of a run (rank 0 of 1 when alone)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def several(self) -> bool:
        return self.size > 1

    @property
    def leader(self) -> bool:
        """Rank 0: the process that prints and writes the checkpoint."""
        return self.rank == 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> World:
        """The world torchrun describes in `env` (default os.environ); alone without it."""
        env = os.environ if env is None else env
        size = _whole(env, "WORLD_SIZE", "1")
        if size <= 1:
            return cls()
        missing = [name for name in ("RANK", *_NEEDED) if not env.get(name)]
        if missing:
            raise TrainingError(
                f"WORLD_SIZE={size} is set but {', '.join(missing)} is not: start several "
                "processes with torchrun (torchrun --nproc_per_node=K -m netspec train ...), "
                "or unset WORLD_SIZE to train in one"
            )
        rank = _whole(env, "RANK", "0")
        local = _whole(env, "LOCAL_RANK", str(rank))
        if rank >= size:
            raise TrainingError(f"RANK={rank} is not below WORLD_SIZE={size}")
        return cls(rank, size, local)

    def device(self, chosen: torch.device) -> torch.device:
        """The device this process trains on: cuda:LOCAL_RANK for CUDA when several."""
        if not self.several or chosen.type != "cuda":
            return chosen
        if chosen.index is not None:
            raise TrainingError(
                f"--device {chosen} names one card, but {self.size} processes train: use "
                "--device cuda (each process takes cuda:LOCAL_RANK)"
            )
        if self.local_rank >= torch.cuda.device_count():
            raise TrainingError(
                f"LOCAL_RANK={self.local_rank}, but only {torch.cuda.device_count()} CUDA "
                "devices are visible: start at most that many processes per node "
                "(--nproc_per_node)"
            )
        return torch.device("cuda", self.local_rank)

    def order(self, samples: int, seed: int, epoch: int) -> torch.Tensor:
        """This rank's indices for `epoch`: a shard of a permutation seeded with seed +
        epoch, the same on every rank; shards are padded to equal lengths."""
        sampler = DistributedSampler(
            range(samples), self.size, self.rank, shuffle=True, seed=seed, drop_last=False
        )
        sampler.set_epoch(epoch)
        return torch.tensor(list(sampler), dtype=torch.long)

    def shard(self, samples: int) -> range:
        """This rank's contiguous slice of `samples` (the held-out part; no padding)."""
        return range(samples * self.rank // self.size, samples * (self.rank + 1) // self.size)

    def shard_size(self, samples: int) -> int:
        """Samples per rank in an epoch's training order (padding included)."""
        return -(-samples // self.size)

    def total(self, values: list[float], device: torch.device) -> list[float]:
        """`values` summed over every rank (as they are where alone)."""
        if not self.several:
            return values
        summed = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(summed)
        return summed.tolist()

    def share_buffers(self, module: torch.nn.Module) -> None:
        """Give every rank rank 0's buffers (batch norm's running statistics): DDP
        broadcasts them before each training forward, so after an epoch's last one each
        rank holds the statistics of its own last batch."""
        if not self.several:
            return
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)

    def barrier(self) -> None:
        if self.several:
            dist.barrier()


def _whole(env: Mapping[str, str], name: str, default: str) -> int:
    text = env.get(name) or default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise TrainingError(f"{name}={text!r} in the environment is not a whole number >= 0")
    return value


def backend(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


@contextmanager
def session(world: World, device: torch.device) -> Iterator[None]:
    """Join the process group for the run's duration (nothing when alone)."""
    if not world.several:
        yield
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)  # NCCL's collectives run on this card
    try:
        dist.init_process_group(backend(device), rank=world.rank, world_size=world.size)
    except (RuntimeError, ValueError) as exc:
        raise TrainingError(
            f"cannot join the {world.size} training processes ({backend(device)}): {exc}"
        ) from None
    try:
        yield
    except RuntimeError as exc:
        if not _collective_failed(exc):
            raise
        # the process that failed has printed its message; this one only saw the
        # connection close (gloo fails at once, NCCL at its timeout): no traceback
        raise TrainingError(
            f"another of the {world.size} processes failed; see its message above "
            f"(here: {_first_line(exc)})"
        ) from None
    finally:
        dist.destroy_process_group()


def _collective_failed(exc: RuntimeError) -> bool:
    """Whether `exc` is a collective operation that failed because another process
    left (gloo raises a plain RuntimeError naming its transport)."""
    text = str(exc)
    return isinstance(exc, dist.DistError) or any(
        mark in text for mark in ("gloo/transport", "Connection closed by peer")
    )


def _first_line(exc: RuntimeError) -> str:
    """The error's first line, without gloo's source location and advice."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)
    return line.partition(". This is typically")[0][:200]


def wrap(module: torch.nn.Module, world: World, device: torch.device) -> torch.nn.Module:
    """`module` in DistributedDataParallel where several processes train, else itself.

    DDP broadcasts rank 0's weights and buffers at construction, so every rank starts
    from the same state whatever it loaded.
    """
    if not world.several:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)
