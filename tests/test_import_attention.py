"""`netspec import` of attention: the subgraph netspec's exporter writes for `attention`
(every variant: causal, grouped key/value heads, no bias, cross-attention on a memory)
and the ones torch's exporters write for scaled_dot_product_attention (TorchScript, and
dynamo's) come back as one `attention` with the original's figures and outputs; one
that differs (another scale) comes back written out in primitives, computing the same.
"""

from __future__ import annotations

import warnings

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from netspec.api import check, export_onnx, to_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.onnx import read_model, read_onnx  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from tests.import_support import assert_same_outputs  # noqa: E402

VARIANTS = """
network Variants(width=32) {
    input x: [N, 10, width]
    input enc: [N, 7, 16]
    from x
    a = add { layer_norm attention(4) | }
    b = add { layer_norm attention(8, kv_heads=2, causal=true) | }
    c = add { layer_norm attention(4, bias=false) | }
    d = attention(2, memory=enc) linear(5)
}
"""

PATCHES = """
network Patches(width=32, heads=4) {
    input image: [N, 3, 32, 32]
    patches = conv(width, 8, stride=8) reshape([N, width, 16]) transpose(1, 2)  -> [N, 16, width]
    param cls: [1, 1, width] = 0
    param pos: [1, 17, width] = 0.02
    from cls
    tokens = concat(patches, dim=1) add(pos)
    x = add { layer_norm attention(heads) | }
    y = add { layer_norm attention(heads, causal=true) | }
    head = layer_norm slice(1, 0, 1) squeeze(1) linear(10)
}
"""


def _figures(source: Source) -> tuple:
    [a] = check(source)
    return a.totals.params, a.totals.buffers, a.totals.macs


def _round_trip(tmp_path, text: str, model) -> str:
    """Import `model` (a path), write its weights; the imported spec's text, checked to
    compute what the model computes."""
    imported = read_onnx(model)
    spec = spec_text(imported)
    weights = tmp_path / "imported.safetensors"
    write_weights(imported, spec, weights)
    assert_same_outputs("imported", model, spec, weights)
    return spec


@pytest.mark.parametrize("batch", [1, None])
def test_every_variant_of_netspecs_attention_comes_back(tmp_path, batch):
    original = Source("variants.netspec", VARIANTS)
    model = tmp_path / "variants.onnx"
    export_onnx(original, model, batch=batch, seed=2)
    spec = _round_trip(tmp_path, VARIANTS, model)
    assert spec.count("attention(") == 4
    for call in ("kv_heads=2", "causal=true", "bias=false", "memory=enc"):
        assert call in spec
    assert _figures(Source("imported.netspec", spec)) == _figures(original)


def test_gpt_tiny_and_vit_come_back_as_their_blocks(tmp_path):
    for name in ("gpt_tiny", "vit_b_16"):
        model = tmp_path / f"{name}.onnx"
        export_onnx(name, model, batch=None, seed=3)
        spec = _round_trip(tmp_path, name, model)
        assert "repeat" in spec and "attention(" in spec
        assert _figures(Source("imported.netspec", spec)) == _figures(name)


def _torch_export(tmp_path, text: str, **options):
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch

    module = to_torch(Source("patches.netspec", text), seed=1).eval()
    path = tmp_path / "torch.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, 32, 32),), path, **options)
    return path


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_torchs_scaled_dot_product_attention_comes_back(tmp_path, dynamo):
    if dynamo:
        pytest.importorskip("onnxscript")
    model = _torch_export(tmp_path, PATCHES, dynamo=dynamo)
    spec = _round_trip(tmp_path, PATCHES, model)
    assert spec.count("attention(") == 2 and "causal=true" in spec
    assert "softmax" not in spec and "matmul" not in spec
    assert _figures(Source("imported.netspec", spec)) == _figures(Source("p.netspec", PATCHES))


def test_an_attention_netspec_cannot_say_comes_back_written_out(tmp_path):
    """The scores scaled by 1/width instead of 1/sqrt(width): not netspec's attention,
    so not one; its operators are imported one by one and compute the same."""
    model = to_onnx(Source("variants.netspec", VARIANTS), batch=1, seed=2)
    [scale] = [n for n in model.graph.node if n.op_type == "Mul" and "attention1/" in n.name][:1]
    constant = next(t for t in model.graph.initializer if t.name == scale.input[1])
    constant.CopyFrom(onnx.numpy_helper.from_array(np.array(1 / 8, np.float32), constant.name))
    path = tmp_path / "rescaled.onnx"
    onnx.save(model, path)
    spec = _round_trip(tmp_path, VARIANTS, path)
    assert spec.count("attention(") == 3
    assert "softmax" in spec and "matmul" in spec


def test_a_model_in_memory_imports_as_a_file_does():
    model = to_onnx("gpt_tiny", batch=1, seed=1)
    assert spec_text(read_model(model, "memory")).count("attention(") == 1


def _rewritten(tmp_path, text: str, change) -> str:
    """netspec's export of `text`, changed by `change(model)`, imported back: the spec,
    checked to compute what the changed model computes."""
    model = to_onnx(Source("t.netspec", text), batch=1, seed=2)
    change(model)
    path = tmp_path / "changed.onnx"
    onnx.save(model, path)
    return _round_trip(tmp_path, text, path)


def test_a_softmax_over_the_queries_is_not_attention(tmp_path):
    """Grouped scores are [N, kv, group, L, S]: a softmax over axis 3 mixes the queries."""

    def over_queries(model):
        [softmax] = [n for n in model.graph.node if n.op_type == "Softmax"]
        softmax.attribute[0].CopyFrom(onnx.helper.make_attribute("axis", 3))

    text = "network G {\n    input x: [N, 10, 32]\n    a = attention(8, kv_heads=2)\n}\n"
    spec = _rewritten(tmp_path, text, over_queries)
    assert "attention(" not in spec and "softmax(dim=3)" in spec


def test_heads_narrower_or_wider_than_the_stream_are_not_netspecs_attention(tmp_path):
    """q, k and v of 64 features on a stream of 32 (the out projection 64 -> 32): the
    runtime's attention has Linear(D, D) projections, so it comes back written out."""
    torch = pytest.importorskip("torch")

    class Wide(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v = (torch.nn.Linear(32, 64) for _ in range(3))
            self.out = torch.nn.Linear(64, 32)

        def forward(self, x):
            def split(y):
                return y.unflatten(-1, (4, 16)).transpose(1, 2)

            y = torch.nn.functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x))
            )
            return self.out(y.transpose(1, 2).flatten(2))

    path = tmp_path / "wide.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Wide().eval(), (torch.zeros(1, 10, 32),), path, dynamo=False)
    spec = _round_trip(tmp_path, "", path)
    assert "attention(" not in spec and "softmax" in spec
