"""Issue 13 item 21: `netspec predict` applies the preprocessing a model was trained with.

`netspec train` records the loader's scale (digits: 1/16), `--fit` and the
standardisation's mean and std in the checkpoint; `netspec export --weights` copies them
into the ONNX metadata; `netspec predict` applies them to raw arrays and images (with a
note on stderr), so a digit saved straight from scikit-learn is classified as the trained
torch module classifies it. Before, predict fed the raw 8x8 grey levels to a 32x32 model
and refused them ("the input has shape [8, 8]; the model takes [N, 1, 32, 32]").
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")

from sklearn.datasets import load_digits  # noqa: E402

from netspec import train  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.training.fit import fit_samples  # noqa: E402
from netspec.training.preprocess import Preprocessing, ShapeError, as_batch  # noqa: E402

KEYS = {f"netspec.preprocess.{k}" for k in ("scale", "fit", "mean", "std")}
SHAPE = ["N", 1, 32, 32]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """LeNet-5 after one epoch on the digits, its checkpoint and its ONNX export."""
    folder = tmp_path_factory.mktemp("predict")
    result = train("lenet5", "digits", epochs=1, quiet=True, checkpoint=folder / "L.pt")
    model = folder / "L.onnx"
    assert main(["export", "lenet5", "--weights", str(result.checkpoint), "-o", str(model)]) == 0
    return result, model, folder


def torch_classes(result, raw: np.ndarray) -> list[int]:
    """What the trained module predicts on raw digits, preprocessed as in training."""
    saved = torch.load(result.checkpoint, weights_only=True)["preprocessing"]
    x = torch.from_numpy((raw * saved["scale"]).astype(np.float32))
    x, _ = fit_samples(x, (1, 1, 32, 32), saved["fit"], "the input")
    x = (x - saved["mean"]) / saved["std"]
    with torch.no_grad():
        return result.module.eval()(x).argmin(dim=1).tolist()  # rbf: nearest centre


def predicted(capsys, *argv) -> tuple[list[int], str]:
    assert main(["predict", *map(str, argv), "--top", "1"]) == 0
    out = capsys.readouterr()
    return [int(line.split("class ")[1].split()[0]) for line in out.out.splitlines()], out.err


def test_the_checkpoint_and_the_onnx_metadata_carry_the_preprocessing(trained):
    result, model, _ = trained
    saved = torch.load(result.checkpoint, weights_only=True)["preprocessing"]
    assert saved["scale"] == 1 / 16 and saved["fit"] == "resize"
    assert 0 < saved["mean"] < 1 and 0 < saved["std"] < 1
    props = {p.key: p.value for p in onnx.load(model).metadata_props}
    assert set(props) >= KEYS and props["netspec.preprocess.fit"] == "resize"
    assert float(props["netspec.preprocess.mean"]) == saved["mean"]  # exact round trip
    assert props["netspec.score_divisor"] == "84"


def test_predict_on_a_raw_digit_matches_the_torch_module(trained, tmp_path, capsys):
    result, model, _ = trained
    images = load_digits().images  # grey levels 0..16, as netspec train reads them
    np.save(tmp_path / "one.npy", images[7])
    np.save(tmp_path / "five.npy", images[100:105])
    classes, err = predicted(capsys, model, tmp_path / "one.npy")
    assert classes == torch_classes(result, images[7:8])
    assert "netspec predict: note: applied the preprocessing the model was trained with" in err
    assert "x * 0.0625" in err and "--fit resize (one sample, [8, 8] -> [1, 1, 32, 32])" in err
    classes, err = predicted(capsys, model, tmp_path / "five.npy")
    assert classes == torch_classes(result, images[100:105]) and "a batch of 5" in err
    # a spec with --weights exports in memory: the same metadata, the same answer
    classes, _ = predicted(capsys, "lenet5", tmp_path / "five.npy", "--weights", result.checkpoint)
    assert classes == torch_classes(result, images[100:105])


def test_an_image_is_fitted_and_standardised(trained, tmp_path, capsys):
    from PIL import Image

    result, model, _ = trained
    digit = load_digits().images[3]
    Image.fromarray((digit * 255 / 16).round().astype(np.uint8)).save(tmp_path / "d.png")
    classes, err = predicted(capsys, model, tmp_path / "d.png")
    pixels = np.asarray(Image.open(tmp_path / "d.png"), dtype=np.float32) / 255 * 16
    assert classes == torch_classes(result, pixels[None])
    assert "x * 0.0625" not in err and "--fit resize" in err  # images are [0, 1] already


def test_a_shape_no_rule_adapts_names_both_shapes(trained, tmp_path, capsys):
    _, model, _ = trained
    np.save(tmp_path / "bad.npy", np.zeros((2, 3, 8, 8), np.float32))
    assert main(["predict", str(model), str(tmp_path / "bad.npy")]) == 1
    err = capsys.readouterr().err
    assert "the input has shape [2, 3, 8, 8]; the model takes [N, 1, 32, 32]" in err


@pytest.mark.parametrize("fit", ["resize", "resize:20", "pad", "resize:5"])
@pytest.mark.parametrize("shape", [(8, 8), (3, 8, 8), (3, 1, 8, 8), (1, 8, 8), (7, 9)])
def test_the_numpy_fit_is_the_torch_fit(fit, shape):
    x = np.random.default_rng(0).uniform(0, 1, shape).astype(np.float32)
    batch, how = as_batch(x, SHAPE, fit)
    samples = x[None] if len(shape) == 2 or shape[0] == 1 and len(shape) == 3 else x
    expected, _ = fit_samples(torch.from_numpy(samples), (1, 1, 32, 32), fit, "the input")
    assert np.allclose(batch, expected.numpy(), atol=1e-6) and how.startswith(f"--fit {fit}")


def test_the_batch_rule():
    one = np.zeros((1, 32, 32), np.float32)
    assert as_batch(one, SHAPE, None)[0].shape == (1, 1, 32, 32)  # rank R - 1: one sample
    assert as_batch(np.zeros((4, 1, 32, 32)), SHAPE, None)[1] == ""  # rank R: a batch
    assert as_batch(np.zeros((2, 3, 4)), ["N", 24], "pad")[0].shape == (1, 24)
    assert as_batch(np.zeros((5, 4, 6)), ["N", 24], "pad")[0].shape == (5, 24)
    with pytest.raises(ShapeError, match=r"shape \[8, 8\]; the model takes \[N, 1, 32, 32\]"):
        as_batch(np.zeros((8, 8)), SHAPE, None)  # no fit: nothing adapts it
    with pytest.raises(ShapeError, match=r"shape \[2, 2, 2, 8, 8\]"):
        as_batch(np.zeros((2, 2, 2, 8, 8)), SHAPE, "resize")
    with pytest.raises(ShapeError, match=r"shape \[40, 40\]"):
        as_batch(np.zeros((40, 40)), SHAPE, "pad")  # larger than the input


def test_metadata_that_is_absent_or_damaged_gives_no_preprocessing():
    assert Preprocessing.from_metadata({"netspec.network": "A"}) is None
    assert Preprocessing.from_metadata({"netspec.preprocess.mean": "x"}) is None
    assert Preprocessing.from_metadata({"netspec.preprocess.fit": "stretch"}) is None
    pre = Preprocessing.from_metadata({"netspec.preprocess.fit": "pad"})
    assert pre == Preprocessing(1.0, "pad", None, None)
    assert (
        pre.describe(True, "")
        == "the preprocessing the model was trained with changes nothing here"
    )
