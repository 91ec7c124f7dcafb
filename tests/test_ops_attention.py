"""attention (netspec/ops/attention.py): multi-head self-attention with its projections,
against nn.MultiheadAttention, PyTorch's FlopCounterMode and onnxruntime.

- shapes: the input's shape; positioned errors for heads that do not divide D (the
  divisors as the hint), kv_heads that do not divide heads, and a rank other than 3;
- figures: a ViT-B/16 encoder's attention at [N, 197, 768], 12 heads: 2,362,368
  parameters, 464,781,312 + 59,610,624 multiply-adds, its FLOPs, links, torchinfo's and
  fvcore's figures and the explanation's values; a symbolic L gives formulas of L;
- PyTorch: the parameter count and the outputs of nn.MultiheadAttention (weights
  copied; causal against an upper-triangular mask), grouped-query attention against
  scaled_dot_product_attention on repeated keys and values, dropout in training only,
  and FlopCounterMode's count, 2 x the multiply-adds (the runtime writes the products
  out: the fused scaled_dot_product_attention is not counted on the CPU);
- ONNX: onnx.checker, strict shape inference, and onnxruntime against PyTorch within
  1e-4, causal, grouped and symbolic L included.
"""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.ops import REGISTRY
from netspec.ops.base import GLOBAL
from netspec.source import Source
from tests.conftest import diagnostic, explicit_products

VIT = "network V {\n    input x: [N, 197, 768]\n    y = attention(12)\n}\n"
PROJECTIONS, PRODUCTS = 4 * 197 * 768 * 768, 2 * 197 * 197 * 768


def net(stage: str, shape: str = "[N, 7, 16]") -> str:
    return f"network A {{\n    input x: {shape}\n    y = {stage}\n}}\n"


def layer_of(text: str):
    (analysis,) = check_text(text)
    (layer,) = (layer for layer in analysis.layers if layer.op == "attention")
    return layer


# --- shapes and errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "stage", ["attention(4)", "attention(4, causal=true, kv_heads=2)", "attention(1, bias=false)"]
)
def test_the_output_has_the_input_shape(stage):
    assert layer_of(net(stage)).output_shape == ("N", 7, 16)


def test_heads_that_do_not_divide_d_are_positioned():
    diag = diagnostic(net("attention(5)", "[N, 197, 768]"))
    assert diag.code == "E-value"
    assert diag.message == "attention: heads 5 does not divide the feature size 768"
    assert "1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 768" in " ".join(
        diag.help
    )
    assert (diag.span.line, diag.span.text()) == (3, "5")


def test_kv_heads_must_divide_heads():
    diag = diagnostic(net("attention(4, kv_heads=3)"))
    assert (
        diag.code == "E-value" and diag.message == "attention: kv_heads 3 does not divide heads 4"
    )
    assert "1, 2, 4" in " ".join(diag.help)


@pytest.mark.parametrize("shape", ["[N, 16]", "[N, 4, 7, 16]"])
def test_rank_other_than_three_is_refused(shape):
    diag = diagnostic(net("attention(4)", shape))
    assert diag.code == "E-shape" and "rank 3" in diag.message
    assert diag.span.line == 3


# --- figures ---------------------------------------------------------------------------


def test_vit_b16_layer_figures():
    layer = layer_of(VIT)
    assert layer.counts.trainable == 4 * 768 * 768 + 4 * 768 == 2_362_368
    assert (PROJECTIONS, PRODUCTS) == (464_781_312, 59_610_624)
    assert layer.cost.macs == PROJECTIONS + PRODUCTS == 524_391_936
    scores = 12 * 197 * 197
    assert layer.cost.flops == 2 * layer.cost.macs + 4 * 197 * 768 + 4 * scores
    assert layer.connections == 769 * 4 * 197 * 768 + 2 * PRODUCTS + scores * 197
    assert layer.description == "attention 12 heads"
    op = REGISTRY["attention"]
    assert op.torchinfo(layer) == 2_362_368  # four nn.Linear, batch 1 x parameters
    assert op.fvcore(layer) == PROJECTIONS + PRODUCTS  # linear and matmul handles
    assert op.receptive(layer.attrs, layer.input_shapes, layer.output_shape) == GLOBAL


def test_the_explanation_splits_projections_and_products():
    layer = layer_of(VIT)
    explained = REGISTRY["attention"].explain(layer.attrs, layer.input_shapes, layer.output_shape)
    assert explained.params.value.trainable == 2_362_368
    assert explained.macs.value == 524_391_936
    results = {step.label: step.result for step in explained.macs.steps}
    assert results["projections"] == "464,781,312" and results["QKᵀ and AV"] == "59,610,624"
    assert explained.flops.value == layer.cost.flops
    assert explained.connections.value == layer.connections
    shape = {step.label: step.result for step in explained.shape.steps}
    assert shape["head width"] == "64"


def test_grouped_query_attention_has_narrower_keys_and_values():
    layer = layer_of(net("attention(8, causal=true, kv_heads=2, bias=false)", "[N, 16, 64]"))
    d, kv = 64, 16  # Dkv = 64 x 2 / 8
    assert layer.counts.trainable == 2 * d * d + 2 * d * kv
    assert layer.cost.macs == 16 * d * (2 * d + 2 * kv) + 2 * 16 * 16 * d
    assert layer.description == "attention 8 heads causal kv 2 no bias"


def test_a_symbolic_length_gives_formulas_of_it():
    from netspec.symbolic.symint import formula

    (analysis,) = check_text(net("attention(4)", "[N, L, 64]"))
    assert "L^2" in str(analysis.totals.macs)
    numeric = layer_of(net("attention(4)", "[N, 50, 64]"))
    assert formula(analysis.totals.macs).at({"L": 50}) == numeric.cost.macs
    assert formula(analysis.totals.flops).at({"L": 50}) == numeric.cost.flops


# --- PyTorch ---------------------------------------------------------------------------


def built(text: str):
    from netspec.api import to_torch

    return to_torch(Source("<string>", text), seed=0).eval()


def mha_from(module, heads: int, bias: bool):
    """nn.MultiheadAttention with the weights of netspec's q, k, v and out."""
    torch = pytest.importorskip("torch")
    q, k, v, out = module.q, module.k, module.v, module.out
    mha = torch.nn.MultiheadAttention(q.in_features, heads, bias=bias, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([q.weight, k.weight, v.weight]))
        mha.out_proj.weight.copy_(out.weight)
        if bias:
            mha.in_proj_bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
            mha.out_proj.bias.copy_(out.bias)
    return mha


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_pytorch_equals_multihead_attention(bias, causal):
    torch = pytest.importorskip("torch")
    text = net(f"attention(4, bias={str(bias).lower()}, causal={str(causal).lower()})")
    model = built(text)
    keys = {"y.q.weight", "y.k.weight", "y.v.weight", "y.out.weight"}
    keys |= {"y.q.bias", "y.k.bias", "y.v.bias", "y.out.bias"} if bias else set()
    assert set(model.state_dict()) == keys
    mha = mha_from(model.y, 4, bias)
    count = sum(p.numel() for p in model.parameters())
    assert count == sum(p.numel() for p in mha.parameters()) == layer_of(text).counts.trainable
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(0))
    mask = torch.triu(torch.ones(7, 7, dtype=torch.bool), 1) if causal else None
    with torch.no_grad():
        theirs, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
        ours = model(x)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_grouped_query_attention_repeats_each_key_value_head_over_its_group():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    model = built(net("attention(4, kv_heads=2, causal=true)"))
    a = model.y
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        q = a.q(x).unflatten(-1, (4, 4)).transpose(1, 2)
        k, v = (
            m(x).unflatten(-1, (2, 4)).transpose(1, 2).repeat_interleave(2, 1) for m in (a.k, a.v)
        )
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        expected = a.out(y.transpose(1, 2).flatten(2))
        assert torch.allclose(model(x), expected, atol=1e-6)


def test_flop_counter_counts_what_netspec_counts():
    """FlopCounterMode counts the projections (addmm) and the two products (bmm), 2 per
    multiply-add, once the products are written out: the fused
    scaled_dot_product_attention the module runs by default is not counted on the CPU
    (checked here too)."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    model = explicit_products(built(VIT))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 197, 768))
    flops = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    assert flops == {"aten.addmm": 2 * PROJECTIONS, "aten.bmm": 2 * PRODUCTS}
    assert counter.get_total_flops() == 2 * layer_of(VIT).cost.macs
    q = torch.zeros(1, 12, 197, 64)
    with FlopCounterMode(display=False) as fused:
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert fused.get_total_flops() in (0, 2 * PRODUCTS)  # 0 on the CPU with torch 2.13


def test_dropout_acts_while_training_only():
    torch = pytest.importorskip("torch")
    model = built(net("attention(4, dropout=0.5)"))
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
        model.train()
        torch.manual_seed(0)
        assert not torch.allclose(model(x), model.eval()(x))


# --- ONNX ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "shape"),
    [
        ("attention(4)", "[N, 7, 16]"),
        ("attention(4, causal=true)", "[N, 7, 16]"),
        ("attention(4, kv_heads=2, bias=false)", "[N, 7, 16]"),
        ("attention(2, causal=true, kv_heads=1)", "[N, 1, 8]"),
        ("attention(4, causal=true)", "[N, L, 16]"),
    ],
)
def test_onnx_equals_pytorch(stage, shape):
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    from netspec.api import to_onnx

    text = net(stage, shape)
    module = built(text)
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = to_onnx(Source("<string>", text), weights=weights)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert "unk__" not in str(inferred.graph.value_info)  # every size known, L too
    assert {"MatMul", "Softmax"} <= {node.op_type for node in model.graph.node}
    length = 5 if "L" in shape else int(shape.split(", ")[1])
    x = np.random.default_rng(0).standard_normal((2, length, int(shape[-3:-1]))).astype("float32")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"x": x})
    with torch.no_grad():
        ours = module(torch.from_numpy(x)).numpy()
    assert np.abs(theirs - ours).max() <= 1e-4
