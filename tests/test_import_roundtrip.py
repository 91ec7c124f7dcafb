"""`netspec import` round trips: a zoo spec exported to ONNX by netspec, imported back,
checks with the original's figures, and the imported spec's own export computes the
same outputs with the imported weights (onnxruntime on both, max abs difference 1e-4).

The suite runs a sample of the CNN zoo (the figures of every one: NETSPEC_SLOW=1).
"""

from __future__ import annotations

import os

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from netspec.api import check, export_onnx, to_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402

# convnext_tiny: learned tensors (layer scale) as `param` statements
SAMPLE = ["lenet5_d2l", "alexnet", "resnet18", "mobilenet_v2", "googlenet", "convnext_tiny"]
ALL = [
    *SAMPLE,
    "vgg16",
    "vgg16_bn",
    "resnet34",
    "resnet50",
    "resnet101",
    "squeezenet1_1",
    "densenet121",
    "efficientnet_b0",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "shufflenet_v2_x1_0",
    "regnet_y_400mf",
    "unet",
]
DYNAMIC = ("resnet18", "googlenet")
SLOW = os.environ.get("NETSPEC_SLOW") == "1"
NAMES = ALL if SLOW else SAMPLE


# layers that compute nothing at inference: an export leaves them out (Identity at most);
# and learned tensors, which the import declares where they are first used
PASSING = ("dropout", "drop_path", "identity", "param")


def figures(analysis) -> tuple:
    """What the round trip keeps: totals and every computing layer's output shape."""
    t = analysis.totals
    graph = analysis.graph
    shapes = [tuple(graph.output_shape(n)) for n in graph.nodes if n.op not in PASSING]
    return t.params, t.buffers, t.macs, shapes


@pytest.fixture(scope="module", params=NAMES)
def trip(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    model = folder / f"{name}.onnx"
    # a dynamic batch (N) for some, a fixed one for the others: both are what exports write
    export_onnx(name, model, batch=None if name in DYNAMIC else 1, seed=3)
    imported = read_onnx(model)
    text = spec_text(imported)
    weights = folder / f"{name}.safetensors"
    write_weights(imported, text, weights)
    return name, model, text, weights


def test_the_imported_spec_has_the_originals_figures(trip):
    name, _, text, _ = trip
    [original] = check(name)
    [imported] = check(Source(f"{name}_imported.netspec", text))
    p, b, m, shapes = figures(imported)
    po, bo, mo, shapes_o = figures(original)
    assert (p, b, m) == (po, bo, mo)
    # layer by layer, in order; the batch axis is 1 in the export, N in the zoo
    assert [s[1:] for s in shapes] == [s[1:] for s in shapes_o]


def test_the_imported_spec_computes_the_same_outputs(trip):
    name, model, text, weights = trip
    source = Source(f"{name}_imported.netspec", text)
    again = to_onnx(source, weights=str(weights), batch=1)
    first = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    second = ort.InferenceSession(again.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {}
    rng = np.random.default_rng(0)
    for given in first.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in given.shape]
        feed[given.name] = rng.standard_normal(shape).astype(np.float32)
    [x] = feed.values()
    [a] = first.run(None, feed)[:1]
    [b] = second.run(None, {second.get_inputs()[0].name: x})[:1]
    assert a.shape == b.shape
    assert float(np.max(np.abs(a - b))) <= 1e-4 * max(1.0, float(np.max(np.abs(a))))
