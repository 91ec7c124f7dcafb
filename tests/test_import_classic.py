"""`netspec import` of the classic CNNs (netspec/frontends/onnx/classic.py, PRelu, a
Slice over several axes, a channel Pad): the zoo's MLP, ResNet-20 (option-A shortcuts)
and LeNet-5 (connection table, subsample, scaled_tanh, rbf) round trip: the imported
spec checks with the zoo spec's figures and its export computes the model's outputs
with the imported weights (onnxruntime on both). Small specs check the variants the zoo
lacks (a padded, strided table conv, scaled_tanh's own factors, a shared slope, a
slope per channel of a map), and what does not match exactly is refused.
"""

from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from onnx import helper, numpy_helper  # noqa: E402

from netspec.api import check, export_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.imported import NotImportable  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from tests.import_support import assert_same_figures, assert_same_outputs, figures  # noqa: E402

ZOO = ["mlp", "resnet20_cifar", "lenet5"]


def _imported(spec, folder, name: str, opset: int = 21, batch: int | None = 1):
    """Export `spec` (a zoo name or a Source), import it back: (model, text, weights)."""
    model = folder / f"{name}.onnx"
    export_onnx(spec, model, batch=batch, seed=3, opset=opset)
    imported = read_onnx(model)
    text = spec_text(imported)
    weights = folder / f"{name}.safetensors"
    write_weights(imported, text, weights)
    return model, text, weights


@pytest.mark.parametrize("name", ZOO)
def test_zoo_round_trip(name, tmp_path):
    model, text, weights = _imported(name, tmp_path, name)
    assert_same_figures(name, text)
    assert_same_outputs(name, model, text, weights)


def test_lenet5_reads_as_the_zoo_spec(tmp_path):
    _, text, _ = _imported("lenet5", tmp_path, "lenet5")
    c3 = "const C3_TABLE = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5]"
    assert c3 in " ".join(text.split())
    for call in ("conv(6, 5) scaled_tanh subsample(2)", "connect=C3_TABLE)", "rbf(10)"):
        assert call in text
    for spelled_out in ("scale(", "avgpool", "tanh ", "param ", "mul", "add"):
        assert spelled_out not in text.replace("scaled_tanh", "")


def test_resnet20_shortcut(tmp_path):
    """Option A: both spatial axes subsampled in one slice, the channels zero-padded."""
    _, text, _ = _imported("resnet20_cifar", tmp_path, "resnet20", batch=None)
    assert "slice([2, 3], step=2) pad(channels=" in text


def _round_trip(spec: str, tmp_path, opset: int = 21) -> str:
    source = Source("small.netspec", spec)
    model, text, weights = _imported(source, tmp_path, "small", opset=opset)
    [original] = check(source)
    [again] = check(Source("small_imported.netspec", text))
    p, b, m, shapes = figures(again)
    po, bo, mo, shapes_o = figures(original)
    assert (p, b, m) == (po, bo, mo)
    assert [s[1:] for s in shapes] == [s[1:] for s in shapes_o]
    assert_same_outputs("small", model, text, weights)
    return text


SMALL = """
network Small {{
    input x: [N, 3, 12, 12]
    y = {body}
}}
"""


@pytest.mark.parametrize("opset", [13, 21])
def test_table_conv_padded_and_strided(tmp_path, opset):
    body = (
        "conv(4, 3, stride=2, padding=1, connect=[[0], [2, 0], [1, 2], [0, 1, 2]]) "
        "scaled_tanh(a=2.0, s=0.5) subsample([2, 3]) flatten rbf(5)"
    )
    text = _round_trip(SMALL.format(body=body), tmp_path, opset)
    # each row as the table gave it (the compact kernels are in that order)
    assert "const Y_TABLE = [[0], [2, 0], [1, 2], [0, 1, 2]]" in text
    assert "connect=Y_TABLE" in text
    assert "scaled_tanh(a=2.0, s=0.5) subsample([2, 3])" in text
    assert "rbf(5)" in text


@pytest.mark.parametrize("shared", [False, True])
def test_prelu_on_a_map(tmp_path, shared):
    prelu = "prelu(shared=true)" if shared else "prelu"
    text = _round_trip(SMALL.format(body=f"conv(8, 3) {prelu} slice(1, start=2, end=6)"), tmp_path)
    assert prelu in text
    assert "slice(1, start=2, end=6)" in text


def _graph(nodes, inits, x_shape, y_shape) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "refused",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def _why(model, tmp_path) -> str:
    path = tmp_path / "refused.onnx"
    onnx.save(model, path)
    with pytest.raises(NotImportable) as caught:
        read_onnx(path)
    return str(caught.value)


def test_prelu_slopes_along_another_axis_are_refused(tmp_path):
    slope = np.full((1, 1, 4), 0.25, np.float32)  # one per column, not per channel
    model = _graph([helper.make_node("PRelu", ["x", "s"], ["y"], name="p")], {"s": slope},
                   [1, 3, 4], [1, 3, 4])  # fmt: skip
    assert "p (PRelu)" in _why(model, tmp_path)


def test_slice_backwards_is_refused(tmp_path):
    bounds = {"b": np.array([-1]), "e": np.array([-100]), "a": np.array([2]), "st": [-1]}
    bounds = {k: np.asarray(v, np.int64) for k, v in bounds.items()}
    node = helper.make_node("Slice", ["x", "b", "e", "a", "st"], ["y"], name="s")
    assert "s (Slice): a step below 1" in _why(_graph([node], bounds, [1, 3, 4], [1, 3, 4]),
                                                 tmp_path)  # fmt: skip


def test_scattered_weight_out_of_row_order_is_refused(tmp_path):
    """Indices that do not list the table row by row: the Conv keeps its refusal."""
    zeros = np.zeros((2, 2, 1, 1), np.float32)
    index = np.array([[1, 0], [0, 1]], np.int64)
    compact = np.ones((2, 1, 1), np.float32)
    nodes = [
        helper.make_node("ScatterND", ["z", "i", "k"], ["w"], name="scatter"),
        helper.make_node("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[1, 1]),
    ]
    model = _graph(nodes, {"z": zeros, "i": index, "k": compact}, [1, 2, 3, 3], [1, 2, 3, 3])
    why = _why(model, tmp_path)
    assert "c (Conv): its weight is computed at run time" in why
    assert "scatter (ScatterND)" in why


def test_rbf_of_a_computed_centre_is_refused(tmp_path):
    """Sub of two computed tensors is no rbf: netspec has no subtraction."""
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Sub", ["u", "x"], ["d"], name="sub"),
        helper.make_node("Mul", ["d", "d"], ["sq"]),
        helper.make_node("ReduceSum", ["sq", "last"], ["y"], keepdims=0, name="sum"),
    ]
    inits = {"ax": np.array([1], np.int64), "last": np.array([-1], np.int64)}
    why = _why(_graph(nodes, inits, [2, 4], [2, 2]), tmp_path)
    assert "sub (Sub)" in why and "sum (ReduceSum)" in why
