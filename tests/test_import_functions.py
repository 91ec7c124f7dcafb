"""`netspec import` of models exported with `--functions`: every block call is one node of
an ONNX model-local function (docs/onnx.md §7). The import inlines the functions (the
weights bound at the calls), so the spec checks with the original's figures and its own
export computes the same outputs; and it writes one block per function, named after it,
each call node a call: the original spec's block names come back (`basic_2`, the
exporter's second variant of `basic`, stays a block of its own where its body differs),
and its calls, but those inside a merge's branch (MobileNetV2's shortcut), which stay
written out.
"""

from __future__ import annotations

import re

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from netspec.analysis.scopes import calls_with_layers  # noqa: E402
from netspec.api import check, export_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.onnx.functions import inline  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from tests.import_support import assert_same_figures, assert_same_outputs  # noqa: E402

# the original's calls that the import leaves written out (inside a merge's branch); ConvNeXt:
# its layer scale (`param gamma`) declared in its block, each call its own
BRANCHED = {"resnet18": 0, "googlenet": 0, "mobilenet_v2": 10, "convnext_tiny": 0}


@pytest.fixture(scope="module", params=sorted(BRANCHED))
def trip(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    model = folder / f"{name}.onnx"
    export_onnx(name, model, batch=1, seed=3, functions=True)
    imported = read_onnx(model)
    text = spec_text(imported)
    weights = folder / f"{name}.safetensors"
    write_weights(imported, text, weights)
    return name, model, text, weights


def test_the_export_has_functions_and_the_import_inlines_them(trip):
    name, model, _, _ = trip
    loaded = onnx.load(str(model))
    assert loaded.functions
    flat, scopes = inline(loaded)
    assert not flat.functions and all(n.domain == "" for n in flat.graph.node)
    [original] = check(name)
    # the flat model's names come back: one node per computing layer, named by its path
    paths = {n.path for n in original.graph.nodes}
    assert {n.name for n in flat.graph.node if n.op_type not in ("Constant",)} & paths
    assert set(scopes) <= {t for n in flat.graph.node for t in n.output}


def test_the_imported_spec_has_the_originals_figures(trip):
    name, _, text, _ = trip
    assert_same_figures(name, text)


def test_the_imported_spec_computes_the_same_outputs(trip):
    assert_same_outputs(*trip)


def test_the_blocks_are_the_functions(trip):
    name, _, text, _ = trip
    [original] = check(name)
    [imported] = check(Source(f"{name}_imported.netspec", text))
    ours, theirs = calls_with_layers(imported.graph), calls_with_layers(original.graph)
    blocks = set(re.findall(r"^block (\w+)\(", text, flags=re.M))
    assert {re.sub(r"_\d+$", "", b) for b in blocks} == {c.block for c in theirs.values()}
    # each call node a call: the elaborated calls that make layers are the original's
    assert len(ours) == len(theirs) - BRANCHED[name]
    assert {c.block for c in ours.values()} == blocks


def test_consecutive_equal_calls_are_a_repeat(trip):
    name, _, text, _ = trip
    if name == "resnet18":  # layer1: stage's two equal basic calls
        assert re.search(r"block stage\(\) \{\n    repeat 2 \{\n        basic\(64\)", text)


def test_a_model_without_functions_is_left_as_it_is():
    model = onnx.helper.make_model(onnx.helper.make_graph([], "g", [], []))
    assert inline(model) == (model, {})


def test_calls_sharing_a_name_get_tensors_of_their_own():
    h = onnx.helper
    body = [h.make_node("Relu", ["in"], ["r"], name="r"), h.make_node("Exp", ["r"], ["out"])]
    f = h.make_function("d", "f", ["in"], ["out"], body, [h.make_opsetid("", 21)])
    calls = [h.make_node("f", ["x"], ["y"], domain="d"), h.make_node("f", ["y"], ["z"], domain="d")]
    vi = h.make_tensor_value_info
    graph = h.make_graph(calls, "g", [vi("x", 1, [2])], [vi("z", 1, [2])])
    model = h.make_model(
        graph, functions=[f], opset_imports=[h.make_opsetid("", 21), h.make_opsetid("d", 1)]
    )
    flat, scopes = inline(model)
    made = [t for n in flat.graph.node for t in n.output]
    assert len(made) == len(set(made)) == 4 and made[-1] == "z"
    assert [s[0][0] for s in scopes.values()] == ["f"] * 4
    assert len({s[0][1] for s in scopes.values()}) == 2
    x = np.arange(2, dtype=np.float32) - 0.5
    run = ort.InferenceSession(flat.SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.allclose(run.run(None, {"x": x})[0], np.exp(np.exp(np.maximum(x, 0))))
