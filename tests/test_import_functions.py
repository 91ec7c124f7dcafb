"""`netspec import` of models exported with `--functions`: every block call is one node of
an ONNX model-local function (docs/onnx.md §7). The import inlines the functions (the
weights bound at the calls), so the spec checks with the original's figures and its own
export computes the same outputs; and it writes one block per function, named after it,
each call node a call: the original spec's block names come back (`basic_2`, the
exporter's second variant of `basic`, stays a block of its own where its body differs),
and its calls, those inside a merge's branch too (MobileNetV2's `add {
linear_bottleneck(t, c, stride) | }`). With NETSPEC_SLOW=1, every zoo spec round trips
so (about 70 s).
"""

from __future__ import annotations

import os
import re

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from netspec.analysis.scopes import calls_with_layers  # noqa: E402
from netspec.api import check, export_onnx, to_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.onnx.functions import inline  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from netspec.zoo import zoo_names  # noqa: E402
from tests.import_support import assert_same_figures, assert_same_outputs  # noqa: E402

SLOW = os.environ.get("NETSPEC_SLOW") == "1"
# MobileNetV2: its calls inside a shortcut's branch; ConvNeXt: its layer scale (`param
# gamma`) declared in its block, each call its own; GoogLeNet: calls side by side
SAMPLE = ("resnet18", "googlenet", "mobilenet_v2", "convnext_tiny")


def _round_trip(name: str, folder):
    """Export zoo spec `name` with --functions, import it, write its weights."""
    model = folder / f"{name}.onnx"
    export_onnx(name, model, batch=1, seed=3, functions=True)
    imported = read_onnx(model)
    text = spec_text(imported)
    weights = folder / f"{name}.safetensors"
    write_weights(imported, text, weights)
    return name, model, text, weights


@pytest.fixture(scope="module", params=SAMPLE)
def trip(request, tmp_path_factory):
    return _round_trip(request.param, tmp_path_factory.mktemp(request.param))


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
    _assert_blocks_are_the_functions(name, text)


def _assert_blocks_are_the_functions(name: str, text: str) -> None:
    """The original's blocks by name (a variant `basic_2` as `basic`), each called, and
    as many elaborated calls that make layers as the original has: each call node a call."""
    [original] = check(name)
    [imported] = check(Source(f"{name}_imported.netspec", text))
    ours, theirs = calls_with_layers(imported.graph), calls_with_layers(original.graph)
    blocks = set(re.findall(r"^block (\w+)\(", text, flags=re.M))
    assert {re.sub(r"_\d+$", "", b) for b in blocks} == {c.block for c in theirs.values()}
    assert len(ours) == len(theirs)
    assert {c.block for c in ours.values()} == blocks


def test_calls_inside_a_shortcut_are_calls(trip):
    name, _, text, _ = trip
    if name == "mobilenet_v2":  # the shortcut's branch holds the call, as the spec writes it
        assert re.search(r"add \{ linear_bottleneck_2\(out, 1, out2\) \| \}", text)


def test_consecutive_equal_calls_in_a_branch_are_a_repeat(tmp_path):
    spec = """
block unit(c) {
    conv(c, 3, padding=1) bn relu
}
block pair(c) {
    add { unit(c) unit(c) | conv(c, 1) }
}
network B {
    input x: [N, 4, 8, 8]
    y = pair(4) pair(8) global_avgpool flatten linear(3)
}"""
    model = tmp_path / "b.onnx"
    export_onnx(Source("b.netspec", spec), model, batch=1, seed=3, functions=True)
    imported = read_onnx(model)
    text = spec_text(imported)
    assert (
        "add {\n        repeat 2 {\n            unit(out)\n        }\n      | conv(out, 1)\n"
        in text
    )
    [original] = check(Source("b.netspec", spec))
    [again] = check(Source("imported.netspec", text))
    assert len(calls_with_layers(again.graph)) == len(calls_with_layers(original.graph)) == 6
    assert again.totals == original.totals
    weights = tmp_path / "b.safetensors"
    write_weights(imported, text, weights)
    run = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 4, 8, 8)).astype(np.float32)
    back = to_onnx(Source("imported.netspec", text), weights=str(weights), batch=1)
    run2 = ort.InferenceSession(back.SerializeToString(), providers=["CPUExecutionProvider"])
    [a], [b] = run.run(None, {run.get_inputs()[0].name: x}), run2.run(None, {"x": x})
    assert np.allclose(a, b, atol=1e-5)


@pytest.mark.skipif(not SLOW, reason="every zoo spec (about 70 s): NETSPEC_SLOW=1")
@pytest.mark.parametrize("name", zoo_names())
def test_every_zoo_spec_round_trips_with_its_blocks(name, tmp_path):
    name, model, text, weights = _round_trip(name, tmp_path)
    assert_same_figures(name, text)
    assert_same_outputs(name, model, text, weights)
    _assert_blocks_are_the_functions(name, text)


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
