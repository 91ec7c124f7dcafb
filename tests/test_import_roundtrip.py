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

from netspec.api import export_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from tests.import_support import assert_same_figures, assert_same_outputs  # noqa: E402

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
    assert_same_figures(name, text)


def test_the_imported_spec_computes_the_same_outputs(trip):
    assert_same_outputs(*trip)
