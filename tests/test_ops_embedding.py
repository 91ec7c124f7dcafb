"""Token inputs and `embedding` (issue 16, item 1): `input ids: [N, L] int64`, the lookup's
figures, the errors of a dtype given to an op that computes, and the built PyTorch
module and ONNX model against nn.Embedding and onnxruntime.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from netspec.api import check_text, to_onnx
from netspec.cli.main import main
from netspec.report.schema import Report
from netspec.source import Source
from tests.conftest import diagnostic

LM = """network LM {
    input ids: [N, 35] int64
    embedding(10000, 650)
    linear(10000)
}
"""


def test_figures_of_zarembas_embedding():
    [a] = check_text(LM)
    emb = a.layers[0]
    assert emb.output_shape == ("N", 35, 650)
    assert emb.counts.trainable == 10_000 * 650
    assert (emb.cost.macs, emb.cost.flops, emb.connections) == (0, 0, 35 * 650)
    assert a.graph.dtype(a.graph.inputs[0][1]) == "int64"


def test_an_op_that_computes_refuses_token_ids():
    d = diagnostic("network B {\n    input ids: [N, 8] int64\n    relu\n}\n")
    assert d.code == "E-type" and "relu computes with float32 tensors" in d.message
    assert "token ids" in d.message and "embedding(vocab, width)" in d.help[0]
    assert (d.span.line, d.span.text()) == (3, "relu")


def test_an_unknown_dtype_is_named():
    d = diagnostic("network B {\n    input ids: [N, 8] int32\n    embedding(4, 2)\n}\n")
    assert d.code == "E-type" and "unknown dtype 'int32'" in d.message
    assert (d.span.line, d.span.text()) == (2, "int32") and "int64" in d.help[0]


def test_a_padding_index_outside_the_vocabulary():
    d = diagnostic(
        "network B {\n    input ids: [N, 8] int64\n    embedding(4, 2, padding_index=4)\n}\n"
    )
    assert d.code == "E-value" and "padding_index 4 is no id of a vocabulary of 4" in d.message


def test_pytorch_module_is_nn_embedding():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    text = "network E {\n    input ids: [N, 6] int64\n    embedding(50, 8, padding_index=0)\n}\n"
    [a] = check_text(text)
    model = to_torch(a.graph, seed=0).eval()
    assert sum(p.numel() for p in model.parameters()) == a.totals.trainable_params == 400
    ids = torch.tensor([[0, 1, 2, 49, 7, 0]])
    weight = model.state_dict()["embedding1.weight"]
    assert torch.equal(model(ids), weight[ids])
    assert torch.count_nonzero(weight[0]) == 0  # the padding row starts at zero


def test_onnx_gathers_what_pytorch_looks_up():
    pytest.importorskip("onnxruntime")
    import onnx
    import onnxruntime as ort
    import torch

    from netspec.backends.torch.to_torch import to_torch

    [a] = check_text(LM)
    model = to_torch(a.graph, seed=0).eval()
    weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    proto = to_onnx(Source("lm.netspec", LM), weights=weights)
    onnx.checker.check_model(proto, full_check=True)
    onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    ids = np.random.default_rng(0).integers(0, 10_000, (2, 35)).astype(np.int64)
    session = ort.InferenceSession(proto.SerializeToString())
    (ours,) = session.run(None, {"ids": ids})
    with torch.no_grad():
        theirs = model(torch.from_numpy(ids)).numpy()
    assert np.abs(ours - theirs).max() < 1e-4


def test_json_names_each_input_dtype(capsys, tmp_path):
    spec = tmp_path / "lm.netspec"
    spec.write_text(LM)
    assert main(["check", str(spec), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    Report.model_validate(doc)
    assert doc["networks"][0]["input_dtypes"] == {"ids": "int64"}
    assert doc["networks"][0]["inputs"] == {"ids": ["N", 35]}  # shapes stay shapes


def test_token_ids_take_eight_bytes_whatever_the_float_dtype():
    [a] = check_text(LM)
    assert a.memory().input_bytes == 35 * 8  # int64, per sample
    assert a.memory("float16").input_bytes == 35 * 8
    assert a.memory().peak_activation_bytes >= 35 * 8 + 35 * 650 * 4
