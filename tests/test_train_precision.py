"""How a step is computed: --precision, --accumulate, --clip-norm and --compile.

The tiny spec and its three-class task are test_training.py's. Accumulation is checked
against a batch as large as the group, on a network without batch statistics and with
plain SGD, where the two are the same computation up to floating-point rounding;
clipping by the size of one SGD step (without momentum, the step is lr x the clipped
gradient). The one compiled run is LeNet-5's (about 17 s on this 2-core CPU, most of it
compiling), compared with the same run uncompiled.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from netspec import train  # noqa: E402
from netspec.api import one_network  # noqa: E402
from netspec.training import TrainingError  # noqa: E402
from netspec.training.loop import build_module  # noqa: E402
from netspec.training.steps import groups  # noqa: E402
from tests import test_training as basics  # noqa: E402
from tests.test_training import FAST, run_cli  # noqa: E402

SGD = {**FAST, "epochs": 1, "optimizer": "sgd", "momentum": 0.0, "lr": 0.1}
spec, data = basics.spec, basics.data  # the tiny spec and its task, as fixtures


def trained(result) -> torch.Tensor:
    """Every trainable weight, flattened into one vector."""
    return torch.cat(
        [p.detach().reshape(-1) for p in result.module.parameters() if p.requires_grad]
    )


def test_bf16_on_the_cpu_trains(spec, data, tmp_path):
    result = train(spec, data, **FAST, precision="bf16", checkpoint=tmp_path / "b.pt")
    first, last = result.history
    assert last.train_loss < first.train_loss and last.val_accuracy > 0.9
    assert "steps: precision bf16 (autocast)" in result.notes
    assert next(result.module.parameters()).dtype == torch.float32  # weights stay fp32
    saved = torch.load(tmp_path / "b.pt", weights_only=True)
    assert saved["training"]["precision"] == "bf16" and saved["scaler"] is None
    fp32 = train(spec, data, **FAST)
    assert trained(result).sub(trained(fp32)).abs().max() > 0  # autocast did something


def test_fp16_on_the_cpu_is_refused_before_training(spec, data, tmp_path, capsys):
    target = tmp_path / "never.pt"
    code, out, err = run_cli(
        capsys, spec, "--data", data, "--precision", "fp16", "--device", "cpu",
        "--checkpoint", target,
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "--precision fp16 needs CUDA" in err and "use --precision bf16 or fp32" in err
    assert not target.exists()


def test_accumulating_two_batches_is_one_batch_twice_as_large(spec, data, tmp_path):
    """120 training samples: batches of 16 in groups of two (32, 32, 32, 24) are the
    batches of 32; each batch's loss is weighted by its share of the group."""
    assert groups([16] * 7 + [8], 2) == [32] * 6 + [24] * 2
    two = train(spec, data, **{**SGD, "batch_size": 16}, accumulate=2, checkpoint=tmp_path / "a")
    one = train(spec, data, **{**SGD, "batch_size": 32})
    assert torch.allclose(trained(two), trained(one), atol=1e-6, rtol=0)
    assert two.history[0].train_loss == pytest.approx(one.history[0].train_loss, rel=1e-6)
    each = train(spec, data, **{**SGD, "batch_size": 16})  # 8 steps, not 4
    assert trained(each).sub(trained(one)).abs().max() > 1e-3
    assert "gradients of 2 batches accumulated per optimizer step (32 samples)" in "\n".join(
        two.notes
    )
    saved = torch.load(tmp_path / "a", weights_only=True)["training"]
    assert (saved["accumulate"], saved["clip_norm"], saved["compile"]) == (2, None, False)


def test_clip_norm_bounds_the_step(spec, data):
    """One SGD step over the whole training part: the weights move by lr x the clipped
    gradient, so by at most lr x X."""
    graph = one_network(spec).graph
    start = torch.cat(
        [p.detach().reshape(-1) for p in build_module(graph, 0).parameters() if p.requires_grad]
    )
    whole = {**SGD, "batch_size": 1000}
    free = trained(train(spec, data, **whole)).sub(start).norm()
    clip = float(free / whole["lr"]) / 10  # a tenth of this step's gradient norm
    clipped = trained(train(spec, data, **whole, clip_norm=clip)).sub(start).norm()
    assert float(clipped) == pytest.approx(whole["lr"] * clip, rel=1e-4)
    assert float(free) > 9 * float(clipped)


def test_step_options_are_checked(spec, data, capsys):
    for options, message in [
        ({"precision": "fp8"}, "precision must be one of fp32, bf16, fp16"),
        ({"accumulate": 0}, "accumulate must be a whole number >= 1"),
        ({"clip_norm": 0.0}, "clip_norm must be a number > 0"),
        ({"clip_norm": float("nan")}, "clip_norm must be a number > 0"),
        ({"workers": -1}, "workers must be a whole number >= 0"),
        ({"compile": "yes"}, "compile must be True or False"),
    ]:
        with pytest.raises(TrainingError, match=message):
            train(spec, data, **FAST, **options)
    for args in (["--accumulate", "0"], ["--clip-norm", "-1"], ["--precision", "fp8"]):
        with pytest.raises(SystemExit) as exit_:
            run_cli(capsys, spec, "--data", data, *args)
        assert exit_.value.code == 2


def test_compile_trains_lenet5_as_eager_does():
    """torch.compile on LeNet-5 (one batch of the digits, one epoch): the same step as
    the module run eagerly, up to the compiler's reordering of float operations."""
    pytest.importorskip("sklearn")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    options = {"epochs": 1, "quiet": True, "val_fraction": 0.5, "batch_size": 1000}
    options |= {"optimizer": "sgd", "lr": 0.05, "device": "cpu"}
    try:
        compiled = train("lenet5", "digits", **options, compile=True)
        eager = train("lenet5", "digits", **options)
    finally:
        torch.set_num_threads(threads)
    assert "steps: compiled (torch.compile)" in compiled.notes
    assert torch.allclose(trained(compiled), trained(eager), atol=1e-5, rtol=0)
    assert compiled.history[0].val_loss == pytest.approx(eager.history[0].val_loss, rel=1e-5)
    assert [k for k in compiled.module.state_dict() if "_orig_mod" in k] == []


def test_accumulation_under_ddp_all_reduces_once_per_step(spec, data):
    """DDP decides in the forward pass whether the backward all-reduces, so no_sync
    must cover both: 8 batches in groups of 2 are 4 all-reduces (a comm hook counts
    them), not 8. A process group of one (gloo, in this process) is enough for DDP."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from netspec.training.data import prepare
    from netspec.training.distributed import World
    from netspec.training.epoch import _train
    from netspec.training.loop import _setup
    from netspec.training.options import TrainConfig

    graph = one_network(spec).graph
    config = TrainConfig(**{**SGD, "batch_size": 16}, accumulate=2, device="cpu")
    r = _setup(graph, config, prepare(data, graph, config), torch.device("cpu"), World())
    calls = []

    def counted(state, bucket):
        calls.append(bucket.index())
        done = torch.futures.Future()
        done.set_result(bucket.buffer())  # one process: the sum is its own gradient
        return done

    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        r.model = r.stepper.model = DistributedDataParallel(r.module)
        r.model.register_comm_hook(None, counted)
        _, _, samples = _train(r, 1, lambda *figures: None)
    finally:
        dist.destroy_process_group()
    assert samples == 120 and len(calls) == 4
