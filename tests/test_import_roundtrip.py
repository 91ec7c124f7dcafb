"""`netspec import` round trips: a zoo spec exported to ONNX by netspec, imported back,
checks with the original's figures, and the imported spec's own export computes the
same outputs with the imported weights (onnxruntime on both, max abs difference 1e-4).

The suite runs a sample of the zoo: CNNs, a transformer, a recurrent net (every zoo
spec: NETSPEC_SLOW=1).
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
from netspec.zoo import zoo_names  # noqa: E402
from tests.import_support import assert_same_figures, assert_same_outputs  # noqa: E402

# convnext_tiny: learned tensors (layer scale) as `param` statements; lenet5: a table
# conv, rbf; gpt_tiny: attention, embedding; lstm_lm: a stacked LSTM
SAMPLE = ["lenet5", "lenet5_d2l", "alexnet", "resnet18", "mobilenet_v2", "googlenet"]
SAMPLE += ["convnext_tiny", "gpt_tiny", "lstm_lm"]
ALL = zoo_names()  # every one: NETSPEC_SLOW=1 (BERT-Base and GPT-2 take a minute)
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


def test_the_sample_is_of_the_zoo():
    assert set(SAMPLE) <= set(ALL) and len(ALL) >= 30
