"""`netspec train` under torchrun: two gloo processes on the CPU, LeNet-5 on the digits.

Two runs of two processes, one thread each: one through ``torch.multiprocessing`` calling
``netspec.train`` with torchrun's environment set by hand (so that every rank's weights
and figures come back to the test), one through ``python -m torch.distributed.run -m
netspec train`` as a user types it. They are compared with a single process trained
with twice the per-process batch: DistributedSampler's permutation of epoch e is the one
a single process draws (both seeded with seed x 1,000,003 + e), and rank r takes every
second sample of it, so the two ranks' batches of b together are the single run's batch
of 2b. DDP averages the two ranks' mean gradients, which is the mean over the 2b, so the
runs differ by the order of floating-point additions alone: the weights after one epoch
(45 Adam steps) must agree to 1e-4 and the losses to 1e-6 relative (measured: 4e-6 and
2e-8).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
mp = pytest.importorskip("torch.multiprocessing")

import netspec  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.training import TrainingError  # noqa: E402
from netspec.training.distributed import World  # noqa: E402

BATCH = 16  # per process; the single-process run takes 2 x BATCH
OPTIONS = {"epochs": 1, "quiet": True, "seed": 0, "device": "cpu"}
ALONE = {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NORMED = """network Normed {
    input image: [N, 1, 32, 32]
    features = conv(4, 3, padding=1) bn relu maxpool(4)
    scores = flatten linear(10)
}
"""


def two_ports() -> tuple[int, int]:
    with socket.socket() as a, socket.socket() as b:  # both open: two different ports
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return a.getsockname()[1], b.getsockname()[1]


def rank_main(rank: int, size: int, ports: tuple[int, int], folder: str) -> None:
    """One process of a two-process run (torch.multiprocessing.spawn calls it)."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(size),
        LOCAL_RANK=str(rank),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(ports[0]),
    )
    torch.set_num_threads(1)
    from netspec.training import checkpoint

    saves = Path(folder) / f"saves-{rank}.txt"
    original = checkpoint.save

    def save(path, payload):  # records which rank wrote a checkpoint
        with saves.open("a") as log:
            log.write(f"{path}\n")
        return original(path, payload)

    checkpoint.save = save
    result = netspec.train(
        "lenet5", "digits", **OPTIONS, batch_size=BATCH, checkpoint=Path(folder) / "L.pt"
    )
    history = [vars(m) for m in result.history]
    torch.save(
        {"state": result.module.state_dict(), "history": history}, Path(folder) / f"{rank}.pt"
    )
    checkpoint.save = original
    # a second process group on another port: rank 0's first store may still listen
    # on the first when rank 1 joins again
    os.environ["MASTER_PORT"] = str(ports[1])
    normed = netspec.train(
        Path(folder) / "bn.netspec", "digits", **OPTIONS, batch_size=BATCH, accumulate=2,
        checkpoint=Path(folder) / "BN.pt",
    )  # fmt: skip
    torch.save(normed.module.state_dict(), Path(folder) / f"bn-{rank}.pt")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ddp")
    (folder / "bn.netspec").write_text(NORMED)
    with pytest.MonkeyPatch.context() as patch:  # one thread per process, from the start
        patch.setenv("OMP_NUM_THREADS", "1")
        mp.spawn(rank_main, args=(2, two_ports(), str(folder)), nprocs=2, join=True)
    return folder


@pytest.fixture(scope="module")
def alone():
    """One process with twice the per-process batch: the run the two ranks make."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return netspec.train("lenet5", "digits", **OPTIONS, batch_size=2 * BATCH)
    finally:
        torch.set_num_threads(threads)


def test_ranks_end_with_the_same_weights_and_figures(two_ranks):
    zero, one = (torch.load(two_ranks / f"{r}.pt", weights_only=True) for r in (0, 1))
    assert zero["state"].keys() == one["state"].keys()
    for name, weight in zero["state"].items():
        assert torch.equal(weight, one["state"][name]), name
    same = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_correct")
    for key in same:  # reduced over both ranks: the figures of every sample
        assert zero["history"][0][key] == one["history"][0][key], key
    assert zero["history"][0]["val_samples"] == 359


def test_batch_norm_statistics_are_rank_zeros_everywhere(two_ranks):
    """Each rank's running statistics see its own batches; after every epoch rank 0's
    are given to all, so that the held-out figures, the checkpoint and every returned
    module agree. The run accumulates two batches per step (no_sync in two processes)."""
    zero, one = (torch.load(two_ranks / f"bn-{r}.pt", weights_only=True) for r in (0, 1))
    assert any("running_mean" in name for name in zero)
    for name, value in zero.items():  # weights and buffers
        assert torch.equal(value, one[name]), name
    saved = torch.load(two_ranks / "BN.pt", weights_only=True)["state_dict"]
    for name, value in saved.items():
        assert torch.equal(value, zero[name]), name


def test_two_processes_match_one_with_twice_the_batch(two_ranks, alone):
    ranks = torch.load(two_ranks / "0.pt", weights_only=True)
    single = alone.module.state_dict()
    for name, weight in ranks["state"].items():
        assert torch.allclose(weight, single[name], atol=1e-4, rtol=0), name
    ddp, one = ranks["history"][0], alone.history[0]
    for key in ("train_loss", "val_loss"):
        assert ddp[key] == pytest.approx(getattr(one, key), rel=1e-6), key
    assert ddp["val_correct"] == one.val_correct


def test_only_rank_zero_writes_the_checkpoint(two_ranks):
    assert (two_ranks / "saves-0.txt").read_text().splitlines() == [str(two_ranks / "L.pt")]
    assert not (two_ranks / "saves-1.txt").exists()
    saved = torch.load(two_ranks / "L.pt", weights_only=True)
    assert saved["training"]["world_size"] == 2 and saved["training"]["batch_size"] == BATCH
    zero = torch.load(two_ranks / "0.pt", weights_only=True)["state"]
    for name, weight in saved["state_dict"].items():  # the unwrapped module's names
        assert torch.equal(weight, zero[name]), name


def torchrun(folder: Path, *args: str, script: str = "-m netspec") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node=2", *script.split(), *args]
    env = {**os.environ, **ALONE}
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_torchrun_then_resume_on_one_process(tmp_path, two_ranks, capsys):
    """What a user types; its checkpoint holds the spawned ranks' weights exactly."""
    done = torchrun(
        tmp_path, "train", "lenet5", "--data", "digits", "--epochs", "1",
        "--batch-size", str(BATCH), "--device", "cpu",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 1/1 ") == 1  # rank 0 alone prints
    assert "2 processes (gloo; rank 0 prints and saves)" in done.stdout
    assert "16 per process, 32 samples per step in all" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LeNet5.pt"]
    saved = torch.load(tmp_path / "LeNet5.pt", weights_only=True)
    zero = torch.load(two_ranks / "0.pt", weights_only=True)["state"]
    for name, weight in saved["state_dict"].items():
        assert torch.equal(weight, zero[name]), name

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = main(
            ["train", "lenet5", "--data", "digits", "--epochs", "2", "--device", "cpu",
             "--resume", str(tmp_path / "LeNet5.pt"), "--checkpoint", str(tmp_path / "b.pt")]
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert code == 0
    assert "resumed from" in out and "after epoch 1 (trained by 2 processes)" in out
    assert "epoch 2/2 " in out and "epoch 1/1" not in out
    resumed = torch.load(tmp_path / "b.pt", weights_only=True)
    assert resumed["epoch"] == 2 and resumed["training"]["world_size"] == 1
    assert resumed["metrics"][0] == saved["metrics"][0]


FAILING = """
import os
import sys

from netspec.cli.main import main
from netspec.training import TrainingError, loop


def refuse(*args, **kwargs):
    raise TrainingError("no data for this rank")


if os.environ["RANK"] == "1":  # rank 1 alone fails, after joining the process group
    loop.prepare = refuse
raise SystemExit(main(sys.argv[1:]))
"""


def test_an_error_on_another_rank_ends_the_run(tmp_path):
    """Rank 0 waits for rank 1 in DDP's first broadcast; torchrun ends it when rank 1
    exits, and rank 1's message says which rank failed."""
    (tmp_path / "failing.py").write_text(FAILING)
    done = torchrun(
        tmp_path, "train", "lenet5", "--epochs", "1", "--device", "cpu",
        script=str(tmp_path / "failing.py"),
    )  # fmt: skip
    assert done.returncode != 0
    assert "netspec: error: rank 1: no data for this rank" in done.stderr, done.stderr


GLOO = (
    "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection "
    "closed by peer [127.0.0.1]:16821. This is typically caused by a remote worker crashing."
)


def test_a_collective_broken_by_another_process_is_a_training_error(monkeypatch):
    """Started by hand (no torchrun to stop them), the other processes see gloo's
    connection close at their next collective: one line, not a traceback. Other
    errors pass unchanged. (The process group itself is faked here.)"""
    from netspec.training import distributed

    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: None)
    monkeypatch.setattr(distributed.dist, "destroy_process_group", lambda: None)
    cpu = torch.device("cpu")
    with pytest.raises(TrainingError) as caught, distributed.session(World(0, 2, 0), cpu):
        raise RuntimeError(GLOO)
    assert str(caught.value) == (
        "another of the 2 processes failed; see its message above "
        "(here: Connection closed by peer [127.0.0.1]:16821)"
    )
    with (
        pytest.raises(RuntimeError, match="shapes cannot be multiplied"),
        distributed.session(World(0, 2, 0), cpu),
    ):
        raise RuntimeError("shapes cannot be multiplied")


def test_the_environment_read_as_torchrun_writes_it():
    assert World.from_env({}) == World() and not World().several
    assert World.from_env({"WORLD_SIZE": "1", "RANK": "0"}) == World()
    env = {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "MASTER_ADDR": "h"}
    assert World.from_env({**env, "MASTER_PORT": "29500"}) == World(3, 4, 1)
    with pytest.raises(TrainingError, match="MASTER_PORT is not: start several"):
        World.from_env(env)
    with pytest.raises(TrainingError, match="RANK=5 is not below WORLD_SIZE=4"):
        World.from_env({**env, "MASTER_PORT": "1", "RANK": "5"})
    with pytest.raises(TrainingError, match="WORLD_SIZE='two'"):
        World.from_env({"WORLD_SIZE": "two"})


def test_shards_cover_every_sample():
    worlds = [World(r, 3, r) for r in range(3)]
    held = [list(w.shard(10)) for w in worlds]
    assert sum(held, []) == list(range(10))  # the held-out part: no sample twice
    orders = [w.order(10, seed=7, epoch=2).tolist() for w in worlds]
    assert [len(o) for o in orders] == [4, 4, 4]  # padded: every rank takes as many steps
    assert set(sum(orders, [])) == set(range(10))
    assert orders != [w.order(10, seed=7, epoch=3).tolist() for w in worlds]  # reshuffled
    torch.manual_seed(7 + 2)
    assert sum(zip(*orders, strict=True), ())[:10] == tuple(torch.randperm(10).tolist())
