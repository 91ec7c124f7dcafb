"""`netspec train`, netspec.train and netspec.training: data fitting, losses, checkpoints,
resume, errors, and training an elaborated Graph directly.

Most tests train a tiny spec (an 8x8 single-channel input, one convolution, a linear
layer with three classes) on a synthetic .npz task that a few steps learn: each class
lights a different third of the image. They run in a fraction of a second each; one
test trains LeNet-5 on scikit-learn's digits for one epoch end to end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from netspec import train  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.training import TrainingError, train_graph  # noqa: E402
from netspec.training import checkpoint as ckpt  # noqa: E402
from netspec.training.data import split  # noqa: E402
from netspec.training.fit import fit_samples  # noqa: E402
from netspec.training.loop import pick_device  # noqa: E402
from netspec.training.losses import correct, hinge, loss_function, mse_one_hot  # noqa: E402

TINY = """network Tiny(classes=3) {
    input image: [N, 1, 8, 8]
    features = conv(4, 3, padding=1) relu
    scores = flatten linear(classes)
}
"""
FAST = {"epochs": 2, "batch_size": 16, "optimizer": "adam", "lr": 0.01, "quiet": True}


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.netspec"
    path.write_text(TINY)
    return path


def thirds(samples: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class k lights rows 3k..3k+1 of an 8x8 image, under uniform noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(samples) % 3
    x = rng.uniform(0, 0.3, (samples, 8, 8)).astype(np.float32)
    for k in range(3):
        x[y == k, 3 * k : 3 * k + 2, :] += 1.0
    return x, y


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "thirds.npz"
    x, y = thirds()
    np.savez(path, x=x, y=y)
    return path


def figures(history) -> list[tuple]:
    """An epoch's figures without its timings."""
    return [(m.epoch, m.train_loss, m.train_accuracy, m.val_loss, m.val_accuracy) for m in history]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["train", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


# ---- training ------------------------------------------------------------------------


def test_learns_an_easy_task(spec, data):
    result = train(spec, data, **FAST)
    first, last = result.history
    assert last.train_loss < first.train_loss
    assert last.val_accuracy > 0.9  # chance is 1/3
    assert (last.val_samples, last.val_correct) == (30, round(30 * last.val_accuracy))
    assert result.network == "Tiny" and result.checkpoint is None


def test_same_seed_same_result(spec, data):
    a, b = (train(spec, data, **FAST, seed=3) for _ in range(2))
    assert figures(a.history) == figures(b.history)
    for (name, x), (_, y) in zip(
        a.module.state_dict().items(), b.module.state_dict().items(), strict=True
    ):
        assert torch.equal(x, y), name
    c = train(spec, data, **FAST, seed=4)
    assert figures(c.history) != figures(a.history)


def test_sgd_hinge_and_mse_losses_train(spec, data):
    for loss in ("hinge", "mse"):
        result = train(spec, data, **{**FAST, "optimizer": "sgd", "lr": 0.05}, loss=loss)
        assert result.history[-1].train_loss < result.history[0].train_loss, loss


def test_regression_targets_with_mse(tmp_path):
    spec = tmp_path / "reg.netspec"
    spec.write_text("network Reg {\n    input x: [N, 4]\n    y = linear(1)\n}\n")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0])).astype(np.float32)
    np.savez(tmp_path / "reg.npz", x=x, y=y)
    result = train(spec, tmp_path / "reg.npz", **{**FAST, "epochs": 3}, loss="mse")
    assert result.history[-1].val_accuracy is None
    assert result.history[-1].val_loss < result.history[0].val_loss
    with pytest.raises(TrainingError, match="needs integer class labels"):
        train(spec, tmp_path / "reg.npz", **FAST)


def test_a_graph_trains_as_its_spec_does(spec, data, tmp_path):
    """netspec.training takes the elaborated Graph; netspec.train only picks it."""
    from netspec.api import one_network

    graph = one_network(spec).graph
    by_spec = train(spec, data, **FAST)
    by_graph = train_graph(graph, data, **FAST, checkpoint=tmp_path / "g.pt")
    assert figures(by_graph.history) == figures(by_spec.history)
    assert by_graph.architecture_hash == by_spec.architecture_hash
    saved = torch.load(by_graph.checkpoint, weights_only=True)
    assert saved["spec"] == str(spec)  # the graph's source, as netspec.train records it
    named = train_graph(graph, data, **FAST, spec="tiny", checkpoint=tmp_path / "n.pt")
    assert torch.load(named.checkpoint, weights_only=True)["spec"] == "tiny"
    with pytest.raises(TypeError, match="use netspec.train"):
        train_graph(spec, data, **FAST)


# ---- checkpoints and resume --------------------------------------------------------


def test_checkpoint_round_trip(spec, data, tmp_path):
    path = tmp_path / "out" / "{network}.pt"
    result = train(spec, data, **FAST, checkpoint=path)
    assert result.checkpoint == tmp_path / "out" / "Tiny.pt"
    saved = torch.load(result.checkpoint, weights_only=True)
    assert saved["format"] == "netspec-checkpoint-v1"
    assert saved["epoch"] == 2 and len(saved["metrics"]) == 2
    assert saved["network"] == "Tiny" and saved["spec"] == str(spec)
    assert saved["training"]["optimizer"] == "adam"
    from netspec.api import one_network, to_torch

    graph = one_network(spec).graph
    assert saved["architecture_hash"] == ckpt.architecture_hash(graph)
    fresh = to_torch(spec, seed=99)
    ckpt.load_weights(fresh, result.checkpoint, graph)
    x = torch.rand(5, 1, 8, 8)
    result.module.eval()
    assert torch.equal(fresh(x), result.module(x))
    assert [p.name for p in result.checkpoint.parent.iterdir()] == ["Tiny.pt"]  # no temp file


def test_an_unwritable_checkpoint_path_is_refused_before_training(spec, data, tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    for target, message in [
        (tmp_path / "afile" / "sub" / "x.pt", f"{tmp_path / 'afile'} is a file, not a folder"),
        (tmp_path, "is a folder; give a file in it"),
    ]:
        code, out, err = run_cli(capsys, spec, "--data", data, "--checkpoint", target)
        assert code == 1 and out == "" and message in err and "Traceback" not in err
    with pytest.raises(TrainingError, match="afile is a file"):  # at save time too
        ckpt.save(tmp_path / "afile" / "x.pt", {"epoch": 1})


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "a.pt"
    ckpt.save(path, {"epoch": 1})

    def broken(obj, stream):
        stream.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(TrainingError, match=f"cannot write checkpoint {path}: disk full"):
        ckpt.save(path, {"epoch": 2})
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]


def test_resume_continues_where_it_stopped(spec, data, tmp_path):
    cosine = {**FAST, "schedule": "cosine"}  # the rate is a function of the epoch alone
    whole = train(spec, data, **{**cosine, "epochs": 3})
    first = train(spec, data, **{**cosine, "epochs": 1}, checkpoint=tmp_path / "a.pt")
    rest = train(spec, data, **{**cosine, "epochs": 3}, resume=first.checkpoint)
    assert [m.epoch for m in rest.history] == [1, 2, 3]
    assert figures(rest.history) == figures(
        whole.history
    )  # per-epoch reseeding: resuming changes nothing
    saved = torch.load(first.checkpoint, weights_only=True)
    ckpt.save(first.checkpoint, {**saved, "metrics": [], "epoch": 2})  # as a script might
    later = train(spec, data, **{**FAST, "epochs": 3}, resume=first.checkpoint)
    assert [m.epoch for m in later.history] == [3]
    with pytest.raises(TrainingError, match="finished 2 epochs already"):
        train(spec, data, **{**FAST, "epochs": 2}, resume=first.checkpoint)
    ckpt.save(first.checkpoint, saved)
    with pytest.raises(TrainingError, match="finished 1 epochs already"):
        train(spec, data, **{**FAST, "epochs": 1}, resume=first.checkpoint)
    with pytest.raises(TrainingError, match="--optimizer adam"):
        train(spec, data, **{**FAST, "optimizer": "sgd"}, resume=first.checkpoint)


def test_refuses_a_checkpoint_of_another_architecture(spec, data, tmp_path, capsys):
    saved = train(spec, data, **{**FAST, "epochs": 1}, checkpoint=tmp_path / "a.pt")
    wider = tmp_path / "wider.netspec"
    wider.write_text(TINY.replace("conv(4,", "conv(8,").replace("Tiny", "Wide"))
    code, out, err = run_cli(capsys, wider, "--data", data, "--resume", saved.checkpoint)
    assert code == 1 and "Traceback" not in err
    assert f"checkpoint {saved.checkpoint} was saved from network Tiny" in err
    from netspec.api import one_network

    for graph in (one_network(spec).graph, one_network(wider).graph):
        assert ckpt.architecture_hash(graph)[:12] in err
    assert "not from this network Wide" in err and "train without --resume" in err


def test_a_file_that_is_not_a_checkpoint(spec, tmp_path):
    from netspec.api import one_network

    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(TrainingError, match="is not a netspec checkpoint"):
        ckpt.load(junk, one_network(spec).graph)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(TrainingError, match="no format 'netspec-checkpoint-v1'"):
        ckpt.load(tmp_path / "plain.pt", one_network(spec).graph)
    with pytest.raises(TrainingError, match="no checkpoint"):
        ckpt.load(tmp_path / "missing.pt", one_network(spec).graph)


# ---- fitting data to the input -----------------------------------------------------


def test_pad_centres_and_resize_scales():
    x = torch.ones(2, 4, 4)
    padded, notes = fit_samples(x, ("N", 1, 8, 8), "pad", "the input")
    assert padded.shape == (2, 1, 8, 8) and padded.sum() == 2 * 16
    assert torch.equal(padded[0, 0, 2:6, 2:6], torch.ones(4, 4))
    assert notes == [
        "added a channel axis: [4, 4] -> [1, 4, 4]",
        "zero-padded (centred) [4, 4] to [8, 8]",
    ]
    resized, _ = fit_samples(x, ("N", 1, 8, 8), "resize", "the input")
    assert torch.allclose(resized, torch.ones(2, 1, 8, 8))
    both, notes = fit_samples(x, ("N", 1, 9, 9), "resize:6", "the input")
    assert both.shape == (2, 1, 9, 9) and torch.allclose(both[0, 0, 1:7, 1:7], torch.ones(6, 6))
    assert both[0, 0, 0].abs().sum() == 0 and both[0, 0, 8].abs().sum() == 0


def test_flatten_and_symbolic_axes():
    flat, notes = fit_samples(torch.zeros(3, 8, 8), ("N", 64), "pad", "the input")
    assert flat.shape == (3, 64) and notes == ["flattened [8, 8] to [64]"]
    same, notes = fit_samples(torch.zeros(3, 1, 5, 7), ("N", 1, "H", "W"), "none", "the input")
    assert same.shape == (3, 1, 5, 7) and notes == []


@pytest.mark.parametrize(
    ("shape", "target", "fit", "message"),
    [
        ((2, 3, 8, 8), ("N", 1, 8, 8), "pad", "the channels differ (3 vs 1)"),
        ((2, 1, 16, 16), ("N", 1, 8, 8), "pad", "use --fit resize to shrink them"),
        ((2, 1, 4, 4), ("N", 1, 8, 8), "none", "use --fit pad or --fit resize"),
        ((2, 8, 8), ("N", 60), "pad", "samples must have 60 elements"),
        ((2, 8, 8, 8, 8), ("N", 1, 8, 8), "pad", "give the data as [samples"),
    ],
)
def test_shapes_that_cannot_fit(shape, target, fit, message):
    with pytest.raises(TrainingError, match="do not fit the input") as caught:
        fit_samples(torch.zeros(shape), target, fit, "the input")
    assert message in str(caught.value)


def test_shape_mismatch_from_the_command_line(spec, tmp_path, capsys):
    np.savez(tmp_path / "rgb.npz", x=np.zeros((20, 3, 8, 8)), y=np.arange(20) % 3)
    code, out, err = run_cli(capsys, spec, "--data", tmp_path / "rgb.npz")
    assert code == 1 and "Traceback" not in err
    assert "data samples of shape [3, 8, 8] do not fit the input image [N, 1, 8, 8]" in err


def test_stratified_seeded_split():
    labels = np.repeat(np.arange(4), 25)
    train_a, val_a = split(labels, 100, 0.2, seed=1)
    train_b, val_b = split(labels, 100, 0.2, seed=1)
    assert np.array_equal(val_a, val_b) and len(val_a) == 20 and len(train_a) == 80
    assert np.bincount(labels[val_a]).tolist() == [5, 5, 5, 5]
    assert not np.array_equal(split(labels, 100, 0.2, seed=2)[1], val_a)


# ---- bad input ------------------------------------------------------------------------


def test_bad_data_files(spec, tmp_path, capsys):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    np.savez(tmp_path / "nox.npz", inputs=np.zeros((4, 8, 8)), y=np.zeros(4, int))
    np.savez(tmp_path / "labels.npz", x=np.zeros((20, 8, 8)), y=np.arange(20) % 5)
    np.save(tmp_path / "one.npy", np.zeros(3))
    for path, message in [
        (tmp_path / "missing.npz", "no data file"),
        (text, "is not a .npz archive (not a zip of .npy arrays)"),
        (tmp_path / "one.npy", "is not a .npz archive (it holds a single array (.npy))"),
        (tmp_path / "nox.npz", "has no array x (arrays: inputs, y)"),
        (tmp_path / "labels.npz", "labels range from 0 to 4, but the output scores [N, 3]"),
    ]:
        code, out, err = run_cli(capsys, spec, "--data", path, "--quiet")
        assert code == 1, path
        assert message in err and "Traceback" not in err, err
    assert "--set classes=5" in err  # Tiny has a classes parameter


def test_cuda_without_cuda(spec, data, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(TrainingError, match="use --device cpu or --device auto"):
        pick_device("cuda")
    assert pick_device("auto") == torch.device("cpu")
    code, out, err = run_cli(capsys, spec, "--data", data, "--device", "cuda")
    assert code == 1 and "asks for CUDA, but torch.cuda.is_available() is False" in err


def test_missing_torch_and_sklearn_name_the_extra(spec, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(TrainingError, match=r"pip install 'netspec\[digits\]'"):
        train(spec, "digits", **FAST)
    monkeypatch.setitem(sys.modules, "torch", None)
    code, out, err = run_cli(capsys, spec)
    assert code == 1 and "pip install 'netspec[torch]'" in err


def test_spec_errors_and_misuse(tmp_path, data, capsys):
    bad = tmp_path / "bad.netspec"
    bad.write_text("network A {\n    input x: [N, 1, 8, 8]\n    conv(4, 3, strid=2)\n}\n")
    code, out, err = run_cli(capsys, bad, "--data", data)
    assert code == 1 and "error[E-arg]" in err and "bad.netspec:3:16" in err
    with pytest.raises(SystemExit) as exited:
        main(["train", str(bad), "--fit", "stretch"])
    assert exited.value.code == 2
    assert "expects pad, resize, resize:S" in capsys.readouterr().err


def test_command_line_output(spec, data, tmp_path, capsys):
    target = tmp_path / "tiny.pt"
    code, out, err = run_cli(
        capsys,
        spec,
        "--data",
        data,
        "--epochs",
        "2",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "16",
        "--checkpoint",
        target,
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"data: {data}, 150 samples of shape [8, 8], used as stored")
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert lines[-1].startswith("Tiny: held-out accuracy ") and str(target) in lines[-1]
    assert target.is_file()


def test_cosine_schedule():
    from netspec.training.options import TrainConfig

    cosine = TrainConfig(lr=0.1, epochs=4, schedule="cosine")
    assert [round(cosine.lr_at(e), 6) for e in (1, 2, 3, 4)] == [0.1, 0.085355, 0.05, 0.014645]
    assert TrainConfig(lr=0.1, epochs=4).lr_at(3) == 0.1
    assert TrainConfig(optimizer="adam").lr_at(1) == 0.003


# ---- losses -------------------------------------------------------------------------


def test_hinge_matches_the_cs231n_example():
    # CS231n's three images: cat 2.9, car 0, frog 12.9 -> mean 5.27
    scores = torch.tensor([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    labels = torch.tensor([0, 1, 2])
    assert hinge(scores, labels).item() == pytest.approx((2.9 + 0 + 12.9) / 3)


def test_mse_and_rbf_scores():
    scores = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    labels = torch.tensor([0, 1])
    assert mse_one_hot(scores, labels).item() == pytest.approx((0 + 0 + 0.25 + 0.25) / 4)
    distances = torch.tensor([[0.1, 4.0, 9.0], [5.0, 1.0, 0.2]])
    labels = torch.tensor([0, 1])
    assert correct(distances, labels, rbf=True) == 1  # the nearest centre wins
    ce = loss_function("cross_entropy", rbf=True, classification=True)
    expected = torch.nn.functional.cross_entropy(-distances, labels)
    assert ce(distances, labels).item() == pytest.approx(expected.item())
    lecun = loss_function("mse", rbf=True, classification=True)
    assert lecun(distances, labels).item() == pytest.approx((0.1 + 1.0) / 2)


# ---- LeNet-5 on the digits ----------------------------------------------------------


def test_lenet5_on_digits_runs_end_to_end():
    """One short epoch (a tenth of the digits for training), the whole pipeline."""
    pytest.importorskip("sklearn")
    result = train("lenet5", "digits", epochs=1, fit="resize:20", val_fraction=0.9, quiet=True)
    [epoch] = result.history
    assert result.network == "LeNet5" and 1600 < epoch.val_samples < 1640
    notes = "\n".join(result.notes)
    assert "resized (bilinear) to [20, 20]" in notes
    assert "zero-padded (centred) [20, 20] to [32, 32]" in notes
    assert "standardized with the training part's mean" in notes
    assert "scores = -rbf outputs" in notes


def test_standardize_uses_the_training_part(spec, data):
    from netspec.api import one_network
    from netspec.training.data import prepare
    from netspec.training.options import TrainConfig

    graph = one_network(spec).graph
    scaled = prepare(data, graph, TrainConfig(standardize=True))
    assert abs(float(scaled.x_train.mean())) < 1e-5
    assert float(scaled.x_train.std()) == pytest.approx(1, abs=1e-4)
    raw = prepare(data, graph, TrainConfig())  # .npz data: off unless asked
    assert raw.standardized is None and not any("standardized" in n for n in raw.notes)
    mean, std = scaled.standardized
    assert torch.allclose(scaled.x_val, (raw.x_val - mean) / std)
