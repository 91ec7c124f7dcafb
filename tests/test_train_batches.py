"""Lazy parts (map-style datasets, as image folders give) train exactly as tensors do.

An image folder's samples are a ``torch.utils.data.Dataset`` decoded one sample at a
time, fetched through a DataLoader with worker processes (netspec.training.batches);
in-memory tensors are indexed directly. Here the tiny task of test_training.py is given
both ways, and the two runs must train to the last bit alike: the same order, the same
batches, the same weights and training figures -- with the samples fetched in this
process and by two worker processes. The held-out part of a lazy part is evaluated in
batches of --batch-size (images are large), not of 1024, so its mean loss is summed in
another order: equal to 1e-6.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from netspec import train  # noqa: E402
from netspec.api import one_network  # noqa: E402
from netspec.training import loop  # noqa: E402
from netspec.training.batches import default_workers  # noqa: E402
from netspec.training.data import prepare  # noqa: E402
from netspec.training.distributed import World  # noqa: E402
from netspec.training.epoch import _evaluate  # noqa: E402
from netspec.training.options import TrainConfig  # noqa: E402
from tests.test_training import TINY, figures, thirds  # noqa: E402

ONE = {"epochs": 1, "batch_size": 16, "lr": 0.01, "quiet": True}


class Lazy(torch.utils.data.Dataset):
    """A tensor's samples, one at a time (as a folder of images gives them)."""

    def __init__(self, x: torch.Tensor) -> None:
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.x[index].clone()


@pytest.fixture
def task(tmp_path: Path) -> tuple[Path, Path]:
    spec, data = tmp_path / "tiny.netspec", tmp_path / "thirds.npz"
    spec.write_text(TINY)
    x, y = thirds()
    np.savez(data, x=x, y=y)
    return spec, data


def test_a_lazy_part_trains_as_its_tensor_does(task, monkeypatch):
    spec, data = task
    eager = train(spec, data, **ONE)
    prepare = loop.prepare

    def lazy(*args, **kwargs):
        made = prepare(*args, **kwargs)
        return replace(made, x_train=Lazy(made.x_train), x_val=Lazy(made.x_val))

    monkeypatch.setattr(loop, "prepare", lazy)
    for workers in (0, 2):
        result = train(spec, data, **ONE, workers=workers)
        [lazily], [eagerly] = figures(result.history), figures(eager.history)
        assert lazily[:3] == eagerly[:3] and lazily[4] == eagerly[4], workers
        assert lazily[3] == pytest.approx(eagerly[3], rel=1e-6)
        assert result.history[-1].val_correct == eager.history[-1].val_correct
        for (name, a), b in zip(
            result.module.state_dict().items(), eager.module.state_dict().values(), strict=True
        ):
            assert torch.equal(a, b), (workers, name)


def test_workers_by_default():
    assert default_workers(torch.zeros(3)) == 0  # tensors: fetched in this process
    assert 1 <= default_workers(Lazy(torch.zeros(3))) <= 4


def test_an_empty_held_out_shard_is_no_batch(task):
    """One held-out sample and two processes: rank 0's shard is empty. It evaluates no
    batch (an empty one gave a NaN mean loss, or an IndexError collating a lazy part),
    and the sums over both ranks are rank 1's."""
    spec, data = task
    graph = one_network(spec).graph
    config = TrainConfig(**ONE, device="cpu")
    made = prepare(data, graph, config)
    one = replace(made, x_val=made.x_val[:1], y_val=made.y_val[:1])
    for part in (one, replace(one, x_val=Lazy(one.x_val))):
        figures = []
        for rank in (0, 1):  # no process group is joined: _evaluate runs no collective
            r = loop._setup(graph, config, part, torch.device("cpu"), World(rank, 2, rank))
            figures.append(_evaluate(r))
        assert figures[0] == (0.0, 0, 0)
        total, hits, samples = figures[1]
        assert samples == 1 and hits in (0, 1) and 0 < total < float("inf")
