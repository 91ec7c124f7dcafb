"""`netspec predict`: an ONNX model run by onnxruntime on array and image inputs."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import netspec  # noqa: E402
from netspec.cli.main import main  # noqa: E402


def linear_model(path, weight, input_shape, negate=False):
    """x [N, ...] -> Flatten -> MatMul(weight): a classifier written with onnx.helper."""
    nodes = [
        helper.make_node("Flatten", ["x"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", weight.shape[1]])],
        [numpy_helper.from_array(weight.astype(np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    if negate:
        helper.set_model_props(model, {"netspec.scores": "negated"})
    onnx.save(model, path)
    return path


def test_top_classes_of_each_sample(tmp_path, capsys):
    weight = np.eye(4, 3)  # scores = the first three features
    model = linear_model(tmp_path / "m.onnx", weight, ["N", 4])
    np.save(tmp_path / "x.npy", np.array([[0, 5, 0, 0], [9, 0, 1, 0]], dtype=np.float32))
    (tmp_path / "labels.txt").write_text("cat\ndog\nbird\n")
    assert (
        main(
            [
                "predict",
                str(model),
                str(tmp_path / "x.npy"),
                "--labels",
                str(tmp_path / "labels.txt"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sample 0: dog 98.7%")
    assert out[1] == "sample 1: cat 100.0%, bird 0.0%, dog 0.0%"


def test_rbf_distances_are_negated(tmp_path, capsys):
    model = linear_model(tmp_path / "m.onnx", np.eye(2), ["N", 2], negate=True)
    np.savez(tmp_path / "x.npz", x=np.array([3.0, 0.0], dtype=np.float32))  # one sample
    assert main(["predict", str(model), str(tmp_path / "x.npz"), "--top", "1"]) == 0
    assert capsys.readouterr().out.startswith("sample 0: class 1 ")  # the smaller distance


def test_image_input_is_grey_resized_and_scaled(tmp_path, capsys):
    image = pytest.importorskip("PIL.Image")
    weight = np.zeros((64, 2))
    weight[:, 1] = 1.0  # class 1 scores the total brightness
    model = linear_model(tmp_path / "m.onnx", weight, ["N", 1, 8, 8])
    image.new("RGB", (32, 32), (255, 255, 255)).save(tmp_path / "white.png")
    assert main(["predict", str(model), str(tmp_path / "white.png")]) == 0
    assert capsys.readouterr().out.startswith("sample 0: class 1 100.0%")


@pytest.mark.parametrize(
    ("input_name", "content", "message"),
    [
        ("x.npy", None, "the input has shape [2, 5]; the model takes [N, 4]"),
        ("x.txt", b"1 2", "give an .npy or .npz array, or an image file"),
        ("missing.npy", "skip", "no input file"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, input_name, content, message):
    model = linear_model(tmp_path / "m.onnx", np.eye(4, 3), ["N", 4])
    if content is None:
        np.save(tmp_path / input_name, np.zeros((2, 5), dtype=np.float32))
    elif content != "skip":
        (tmp_path / input_name).write_bytes(content)
    assert main(["predict", str(model), str(tmp_path / input_name)]) == 1
    assert message in capsys.readouterr().err


def test_a_file_that_is_not_a_model(tmp_path, capsys):
    (tmp_path / "m.onnx").write_bytes(b"nonsense")
    np.save(tmp_path / "x.npy", np.zeros(4, dtype=np.float32))
    assert main(["predict", str(tmp_path / "m.onnx"), str(tmp_path / "x.npy")]) == 1
    assert "is not a model onnxruntime can run" in capsys.readouterr().err


def lenet5_weights(path):
    """LeNet-5's parameters as an .npz, taken from a seeded export."""
    model = netspec.to_onnx("lenet5", seed=3)
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    np.savez(path, **{k: v for k, v in arrays.items() if "/" not in k})
    return path


def test_a_spec_with_weights_predicts_as_its_export(tmp_path, capsys):
    weights = lenet5_weights(tmp_path / "w.npz")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((2, 1, 32, 32), np.float32))
    exported = tmp_path / "l5.onnx"
    assert main(["export", "lenet5", "--weights", str(weights), "-o", str(exported)]) == 0
    capsys.readouterr()
    assert main(["predict", str(exported), str(tmp_path / "x.npy")]) == 0
    from_file = capsys.readouterr().out
    assert main(["predict", "lenet5", str(tmp_path / "x.npy"), "--weights", str(weights)]) == 0
    assert capsys.readouterr().out == from_file and from_file.count("sample") == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "lenet5", "x.npy"], "give a model, or a spec with --weights"),
        (["predict", "m.onnx", "x.npy", "--weights", "w.npz"], "--weights goes with a spec"),
        (["predict", "nosuch", "x.npy", "--weights", "w.npz"], "nosuch"),
    ],
)
def test_spec_and_weights_misuse(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
