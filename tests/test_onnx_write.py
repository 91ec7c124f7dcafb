"""The streamed ONNX writer (netspec/backends/onnx/write.py) against protobuf itself.

Its bytes must be exactly `ModelProto.SerializeToString()`'s for the same model (the zoo
and random networks also compare them in tests/test_to_onnx.py); its structure check
must refuse what onnx.checker refuses; and the file is written whole or not at all.
"""

from __future__ import annotations

import pytest

from netspec.api import one_network
from netspec.files import write_whole

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
onnx_write = pytest.importorskip("netspec.backends.onnx.write")
build = pytest.importorskip("netspec.backends.onnx.to_onnx").build
from onnx import helper, numpy_helper  # noqa: E402


def tiny(initializers, params=frozenset()):
    """A model `y = x + c` whose initializers are the given (name, array) pairs."""
    node = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    graph = helper.make_graph(
        [node], "tiny",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])],
        doc_string="after the initializers",
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    helper.set_model_props(model, {"k": "v"})
    return onnx_write.OnnxModel(model, initializers, frozenset(params))


@pytest.mark.parametrize(
    "array",
    [
        np.arange(2, dtype=np.float32),
        np.full((), 3.5, np.float32),  # a scalar: no dims
        np.zeros((0, 4), np.float32),  # empty: raw_data present, zero length
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.arange(2, dtype=">f4"),  # big-endian input is written little-endian
        np.arange(12, dtype=np.float32).reshape(3, 4).T,  # not contiguous
        np.arange(200_000, dtype=np.float32),  # lengths past one varint byte
    ],
)
def test_bytes_are_protobufs(array):
    extra = ("c", np.arange(2, dtype=np.float32))
    model = tiny([extra, ("t", array)])
    native = np.asarray(array, dtype=array.dtype.newbyteorder("="), order="C")
    expected = tiny([extra, ("t", native)]).proto().SerializeToString()
    assert model.to_bytes() == expected
    loaded = onnx.load_from_string(model.to_bytes())
    np.testing.assert_array_equal(numpy_helper.to_array(loaded.graph.initializer[1]), array)


@pytest.mark.parametrize("name", ["lenet5", "googlenet", "unet"])
def test_zoo_bytes_are_protobufs(name):
    model = build(one_network(name).graph, seed=1)
    assert model.to_bytes() == model.proto().SerializeToString()


def test_check_refuses_a_wrong_parameter_shape():
    model = build(one_network("lenet5").graph)
    model.check()
    arrays = [
        (k, np.zeros((7, 1, 5, 5), np.float32) if k == "C1.conv.weight" else a)
        for k, a in model.initializers
    ]
    broken = onnx_write.OnnxModel(model.skeleton, arrays, model.params)
    with pytest.raises(Exception, match="ShapeInferenceError"):
        broken.check()


def test_check_refuses_a_dangling_input():
    model = build(one_network("lenet5").graph)
    skeleton = onnx.ModelProto()
    skeleton.CopyFrom(model.skeleton)
    skeleton.graph.node[0].input[0] = "nowhere"
    with pytest.raises(onnx.checker.ValidationError, match="nowhere"):
        onnx_write.OnnxModel(skeleton, model.initializers, model.params).check()


def test_check_keeps_shape_constants(tmp_path):
    """Constants that shape inference reads (a Reshape's shape) stay initializers: with
    them as plain inputs, strict inference would not know the flattened shape."""
    model = build(one_network("alexnet").graph)
    model.check()
    constants = [k for k, _ in model.initializers if k not in model.params]
    assert constants and all("/" in k for k in constants)


def test_chunks_are_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")

    def failing():
        yield b"new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_whole(target, failing())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    write_whole(target, iter([b"a", memoryview(b"bc")]))
    assert target.read_bytes() == b"abc"
