"""Shape arithmetic folded where sizes are fixed (netspec/frontends/onnx/fold.py): what it
computes, and what it leaves alone: a large tensor is never computed to find out that
it is large, a sequence is not a tensor, and nothing folds where a size is named."""

from __future__ import annotations

import tracemalloc

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

from onnx import TensorProto  # noqa: E402
from onnx import helper as h  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402

from netspec.frontends.onnx import read_model  # noqa: E402


def _model(nodes, stored, batch=1):
    x = h.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4, 6])
    y = h.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = h.make_graph(nodes, "g", [x], [y], [nh.from_array(v, k) for k, v in stored.items()])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])


def test_a_size_read_at_run_time_becomes_a_constant():
    """Reshape(x, Concat(Shape(x)[0:1], [-1])): a flatten once the size is known."""
    nodes = [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("Slice", ["s", "zero", "one"], ["n"]),
        h.make_node("Concat", ["n", "rest"], ["target"], axis=0),
        h.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    stored = {"zero": np.array([0]), "one": np.array([1]), "rest": np.array([-1])}
    [stage] = read_model(_model(nodes, stored), "m").stages
    assert stage.op == "flatten"


def test_nothing_folds_where_the_batch_is_named():
    nodes = [h.make_node("Shape", ["x"], ["s"]), h.make_node("Reshape", ["x", "s"], ["y"])]
    with pytest.raises(ValueError, match="Reshape"):
        read_model(_model(nodes, {}, batch="N"), "m")


def test_a_huge_constant_is_not_computed_to_find_out():
    """ConstantOfShape([20000, 20000]) (1.6 GB) read by nothing the output needs, in a
    model whose sizes fold: left alone, never evaluated."""
    one = nh.from_array(np.array([1.0], np.float32))
    nodes = [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("ConstantOfShape", ["big_shape"], ["big"], value=one),
        h.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        h.make_node("Relu", ["x"], ["y"]),
    ]
    model = _model(nodes, {"big_shape": np.array([20000, 20000])})
    tracemalloc.start()
    try:
        [stage] = read_model(model, "m").stages
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stage.op == "relu" and peak < 100 * 2**20


def test_a_sequence_is_not_folded_into_a_tensor():
    nodes = [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("SequenceConstruct", ["a", "b"], ["seq"]),
        h.make_node("ConcatFromSequence", ["seq"], ["cat"], axis=0),
        h.make_node("Relu", ["x"], ["y"]),
    ]
    stored = {"a": np.ones([2], np.float32), "b": np.ones([3], np.float32)}
    [stage] = read_model(_model(nodes, stored), "m").stages
    assert stage.op == "relu"
