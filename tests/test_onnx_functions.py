"""`build(..., functions=True)`: block calls as ONNX local functions.

For every zoo spec with blocks and the random specs of tests/spec_strategies.py that
call blocks: onnx.checker's full check, `OnnxModel.check()`, the streamed bytes equal
`proto().SerializeToString()`, strict shape inference gives each top-level call's output
(a node of the main graph) and every layer outside the calls the analysis's shape, and
onnxruntime's outputs equal those of the flat model on the same weights (max |diff| /
max(1, max |flat|) <= 1e-5) at batches 1 and 3. The structure is checked against what
the specs say: ResNet-18's calls and the functions they share, the parameters bound at
the call nodes, the names and doc strings. A network without blocks exports the same
bytes either way. The ~100M-weight networks run with NETSPEC_ONNX_FULL=1 only.
"""

from __future__ import annotations

import os

import pytest

from netspec.api import check, check_text
from netspec.cli.main import main
from netspec.symbolic.plain import plain
from netspec.zoo import zoo_names
from tests.spec_strategies import random_network

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
to_onnx_module = pytest.importorskip("netspec.backends.onnx.to_onnx")
build, tensor_names = to_onnx_module.build, to_onnx_module.tensor_names
from netspec.analysis.scopes import calls_with_layers  # noqa: E402
from netspec.backends.onnx.functions import DOMAIN  # noqa: E402

TOLERANCE = 1e-5
# the ~100M-weight networks, and ResNet-34/101 (ResNet-18/50's blocks, more of them)
HEAVY = ("vgg16", "vgg16_bn", "alexnet_torchvision", "resnet34", "resnet101")
FULL = os.environ.get("NETSPEC_ONNX_FULL")
BLOCKS = [
    n for n in zoo_names() if any(a.graph.calls for a in check(n)) and (n not in HEAVY or FULL)
]
RANDOM = [s for s in range(80) if any(a.graph.calls for a in check_text(random_network(s)))]

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def feeds(graph, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(batch)
    result = {}
    for name, t in graph.inputs:
        shape = [(batch if d == "N" else 3) if isinstance(d, str) else d for d in graph.shape(t)]
        if graph.dtype(t) == "int64":  # token ids: 0 and 1 are in every vocabulary
            result[name] = rng.integers(0, 2, shape).astype(np.int64)
            continue
        result[name] = (rng.random(shape) + 0.1).astype(np.float32)  # a mask covers
    return result


def batches(graph) -> tuple[int, ...]:
    if graph.name == "UNet" and not FULL:
        return (1,)  # 40 GFLOPs a sample: batch 3 takes seconds on two cores
    if not any("N" in graph.shape(t) for _, t in graph.inputs):
        return (0,)
    stats = any(n.op == "bn" and not n.attrs["track_running_stats"] for n in graph.nodes)
    return (2, 3) if stats else (1, 3)


def main_graph_shapes(model) -> dict[str, tuple]:
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    learned = {t.name: tuple(t.dims) for t in model.graph.initializer}  # `param`s
    return learned | {
        vi.name: tuple(
            d.dim_param if d.HasField("dim_param") else d.dim_value or None
            for d in vi.type.tensor_type.shape.dim
        )  # fmt: skip
        for vi in [*model.graph.value_info, *model.graph.output]
    }


def symbolic_even_lrn(graph) -> bool:
    """A known gap of the flat export too (tests/test_to_onnx.py)."""
    return any(
        n.op == "lrn" and n.attrs["size"] % 2 == 0 and isinstance(graph.input_shapes(n)[0][1], str)
        for n in graph.nodes
    )


def agree(graph, opset: int = 21):
    """Check the function model against its oracles; returns it."""
    flat, folded = build(graph, opset=opset), build(graph, opset=opset, functions=True)
    model = folded.proto()
    onnx.checker.check_model(model, full_check=True)
    folded.check()
    data = folded.to_bytes()
    assert data == model.SerializeToString()
    calls = calls_with_layers(graph)  # a call that makes no layer makes no node
    if calls:
        assert 0 < len(model.functions) <= len(calls)
    else:
        assert data == flat.to_bytes()
    graph = plain(graph)  # symbolic sizes as the lowering writes them
    names = tensor_names(graph)
    if not symbolic_even_lrn(graph):
        shapes = main_graph_shapes(model)
        top = [c.output for c in calls.values() if not c.parent]
        loose = [n.output for n in graph.nodes if not n.chain]
        differ = [
            (names[t], shapes.get(names[t]), graph.shape(t))
            for t in top + loose
            if shapes.get(names[t]) != tuple(graph.shape(t))
        ]
        assert not differ, f"shape inference differs from the analysis: {differ[:5]}"
    ours = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    theirs = ort.InferenceSession(flat.to_bytes(), providers=["CPUExecutionProvider"])
    for batch in batches(graph):
        inputs = feeds(graph, batch)
        for a, b in zip(theirs.run(None, inputs), ours.run(None, inputs), strict=True):
            assert a.shape == b.shape
            finite = np.isfinite(a)
            np.testing.assert_array_equal(finite, np.isfinite(b))
            if finite.any():
                scale = max(1.0, float(np.abs(a[finite]).max()))
                assert float(np.abs(a[finite] - b[finite]).max()) / scale <= TOLERANCE
    return model


@pytest.mark.parametrize("name", BLOCKS)
def test_zoo_spec_with_functions(name):
    for analysis in check(name):
        model = agree(analysis.graph)
        calls = calls_with_layers(analysis.graph)
        assert len(model.functions) < len(calls), "calls alike share a function"


@pytest.mark.parametrize("seed", RANDOM)
def test_random_network_with_functions(seed):
    for analysis in check_text(random_network(seed)):
        agree(analysis.graph)


def test_random_specs_cover_blocks():
    """The random seeds call blocks: nested, with tensor arguments, several calls."""
    graphs = [a.graph for s in RANDOM for a in check_text(random_network(s))]
    assert len(graphs) >= 20
    assert any(c.parent for g in graphs for c in g.calls)
    assert any(c.tensor_args for g in graphs for c in g.calls)


@pytest.mark.parametrize("seed", RANDOM[:5])
def test_random_network_with_functions_at_opset_13(seed):
    for analysis in check_text(random_network(seed)):
        agree(analysis.graph, opset=13)


def test_resnet18_shares_its_blocks():
    """layer1's two blocks and every second block alike (`basic`), the first blocks of
    layer2-4 with their stride-2 projection (`basic_2`); layer1 and layer2-4 as stages."""
    (analysis,) = check("resnet18")
    model = build(analysis.graph, functions=True).proto()
    kinds = {f.name: f for f in model.functions}
    assert sorted(kinds) == ["basic", "basic_2", "stage", "stage_2"]
    assert [f.domain for f in model.functions] == [DOMAIN] * 4
    calls = {n.name: n for n in model.graph.node if n.domain == DOMAIN}
    assert list(calls) == ["layer1", "layer2", "layer3", "layer4"]
    assert [calls[c].op_type for c in calls] == ["stage", "stage_2", "stage_2", "stage_2"]
    assert calls["layer1"].doc_string == "resnet18.netspec:40: stage(64, 2, stride=1)"
    assert kinds["basic"].doc_string == "resnet18.netspec:17: block basic(width, stride=1)"
    inner = {n.name: n.op_type for n in kinds["stage_2"].node}
    assert inner == {"basic1": "basic_2", "basic2": "basic"}
    # basic: conv bn relu conv bn add relu; basic_2 adds the projection's conv and bn
    ops = [n.op_type.replace("BatchNormalization", "BN") for n in kinds["basic"].node]
    assert ops == ["Conv", "BN", "Relu", "Conv", "BN", "Add", "Relu"]
    assert len(kinds["basic_2"].node) == 9
    # the weights: inputs of the functions, bound to the state_dict keys at the call
    layer2 = list(calls["layer2"].input)
    assert layer2[0] == "layer1.basic2.relu1" and "layer2.basic1.add1.1.conv1.weight" in layer2
    assert list(kinds["stage_2"].input)[:2] == ["in", "basic1.add1.0.conv1.weight"]
    flat = build(analysis.graph)
    assert [n for n, _ in flat.initializers] == [i.name for i in model.graph.initializer]
    assert len(model.graph.node) == 11  # stem 4, four stages, pool, flatten, linear, ...


CONSTANTS = """
block squash(c) {
    conv(c, 1) relu6
}

block tail(units) {
    flatten linear(units)
}

network T {
    input x: [N, 3, 4, 4]
    a = squash(8)
    b = squash(4)
    c = tail(10)
}
"""


def test_constants_become_constant_nodes():
    """relu6's bounds and flatten's shape are Constant nodes in the functions (Reshape's
    shape inference reads them), not initializers; squash(8) and squash(4) differ only in
    their weights and share one function."""
    (analysis,) = check_text(CONSTANTS)
    model = agree(analysis.graph)
    functions = {f.name: f for f in model.functions}
    assert sorted(functions) == ["squash", "tail"]
    constants = {
        f.name: [(n.output[0], onnx.numpy_helper.to_array(n.attribute[0].t).tolist())
                 for n in f.node if n.op_type == "Constant"]
        for f in model.functions
    }  # fmt: skip
    assert constants == {
        "squash": [("relu6_1/min", 0.0), ("relu6_1/max", 6.0)],
        "tail": [("flatten1/shape", [0, 64])],
    }
    assert [i.name for i in model.graph.initializer] == [
        f"{p}.{w}" for p in ("a.conv1", "b.conv1", "c.linear1") for w in ("weight", "bias")
    ]
    assert [(n.name, n.op_type, list(n.input)) for n in model.graph.node] == [
        ("a", "squash", ["x", "a.conv1.weight", "a.conv1.bias"]),
        ("b", "squash", ["a.relu6_1", "b.conv1.weight", "b.conv1.bias"]),
        ("c", "tail", ["b.relu6_1", "c.linear1.weight", "c.linear1.bias"]),
    ]
    shapes = main_graph_shapes(model)
    assert [shapes[t] for t in ("a.relu6_1", "b.relu6_1", "c")] == [
        ("N", 8, 4, 4), ("N", 4, 4, 4), ("N", 10)
    ]  # fmt: skip


def test_a_network_without_blocks_is_unchanged():
    (analysis,) = check("lenet5")
    assert not analysis.graph.calls
    flat, folded = build(analysis.graph), build(analysis.graph, functions=True)
    assert folded.to_bytes() == flat.to_bytes()


def test_export_functions(tmp_path, capsys):
    target = tmp_path / "mlp.onnx"
    assert main(["export", "mlp", "-o", str(target), "--functions"]) == 0
    assert "1 functions" in capsys.readouterr().err
    model = onnx.load(str(target))
    onnx.checker.check_model(model, full_check=True)
    assert [(n.name, n.op_type) for n in model.graph.node if n.domain == DOMAIN] == [
        ("hidden1", "dense"),
        ("hidden2", "dense"),
    ]
    import netspec

    again = netspec.export_onnx("mlp", tmp_path / "api.onnx", functions=True)
    assert again.read_bytes() == target.read_bytes()
    assert netspec.to_onnx("mlp", functions=True).SerializeToString() == target.read_bytes()
