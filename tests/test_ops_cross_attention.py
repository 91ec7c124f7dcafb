"""attention's memory (cross-attention) and padding (key padding mask) arguments
(netspec/ops/attention.py), against nn.MultiheadAttention, scaled_dot_product_attention,
PyTorch's FlopCounterMode and onnxruntime.

- figures: cross-attention's parameters against nn.MultiheadAttention(kdim=, vdim=),
  its multiply-adds, FLOPs and links by hand (L = 7 queries, S = 5 keys), the
  explanation's values, a symbolic S; a padding mask changes no figure;
- errors: a mask of the wrong shape, a mask that is not bool, a memory of another batch
  or rank, causal=true with a memory, each at its argument;
- PyTorch: CrossAttention against nn.MultiheadAttention with key_padding_mask,
  SelfAttention with padding (and causal) against scaled_dot_product_attention with the
  same mask, the written-out products against the fused kernel (a query that reads no
  key gets zeros, and no NaN reaches the gradients), FlopCounterMode's count;
- ONNX: onnx.checker, strict shape inference and onnxruntime against PyTorch within
  1e-4, cross, padded, causal and padded (left padding: rows that read no key); and a
  causal decoder on token ids whose length is named ([N, L] int64), exported once and
  run at two lengths.
"""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.ops import REGISTRY
from netspec.source import Source
from tests.conftest import diagnostic, explicit_products

ENC, PAD = "    input enc: [N, 5, 12]\n", "    input pad: [N, 5] bool\n"
PAD7 = "    input pad: [N, 7] bool\n"
L, S, D, DM = 7, 5, 16, 12


def net(stage: str, decl: str = ENC, shape: str = "[N, 7, 16]") -> str:
    return f"network A {{\n    input x: {shape}\n{decl}    y = {stage}\n}}\n"


def layer_of(text: str):
    (analysis,) = check_text(text)
    (layer,) = (layer for layer in analysis.layers if layer.op == "attention")
    return layer


# --- figures ---------------------------------------------------------------------------


def test_cross_attention_figures_by_hand():
    layer = layer_of(net("attention(4, memory=enc)"))
    assert layer.output_shape == ("N", L, D)
    assert layer.counts.trainable == 2 * D * D + 2 * DM * D + 4 * D == 960
    projections = L * D * 2 * D + S * DM * 2 * D  # q and out from D; k and v from Dm
    products = 2 * L * S * D  # QKᵀ and AV: heads·L·S·width each
    assert layer.cost.macs == projections + products == 6_624
    assert layer.cost.flops == 2 * 6_624 + (L * 2 * D + S * 2 * D) + 4 * 4 * L * S
    links = 17 * L * 2 * D + 13 * S * 2 * D + 4 * L * S * D + 4 * L * S * S
    assert layer.connections == links == 8_828
    assert layer.description == "attention 4 heads cross"
    assert REGISTRY["attention"].fvcore(layer) == layer.cost.macs


def test_parameters_match_multihead_attention_with_kdim():
    torch = pytest.importorskip("torch")
    mha = torch.nn.MultiheadAttention(D, 4, kdim=DM, vdim=DM, batch_first=True)
    assert sum(p.numel() for p in mha.parameters()) == 960
    text = net("attention(4, memory=enc, kv_heads=2, bias=false)")
    assert layer_of(text).counts.trainable == 2 * D * D + 2 * DM * 8  # Dkv = 16·2/4


def test_the_explanation_counts_the_memory():
    layer = layer_of(net("attention(4, memory=enc, padding=pad)", ENC + PAD))
    explained = REGISTRY["attention"].explain(layer.attrs, layer.input_shapes, layer.output_shape)
    assert explained.params.value.trainable == layer.counts.trainable
    assert explained.macs.value == layer.cost.macs
    assert explained.flops.value == layer.cost.flops
    assert explained.connections.value == layer.connections
    shape = {step.label: step.result for step in explained.shape.steps}
    assert shape["memory"] == "[N, 5, 12]" and shape["padding"] == "[N, 5]"
    macs = {step.label: step.result for step in explained.macs.steps}
    assert macs["QKᵀ and AV"] == f"{2 * L * S * D:,}"


@pytest.mark.parametrize(
    ("plain", "masked", "decl"),
    [
        ("attention(4)", "attention(4, padding=pad)", PAD7),
        ("attention(4, causal=true)", "attention(4, causal=true, padding=pad)", PAD7),
        ("attention(4, memory=enc)", "attention(4, memory=enc, padding=pad)", ENC + PAD),
    ],
)
def test_a_padding_mask_changes_no_figure(plain, masked, decl):
    a, b = layer_of(net(plain, decl)), layer_of(net(masked, decl))
    assert (a.counts, a.cost, a.connections) == (b.counts, b.cost, b.connections)
    assert b.description.endswith("padded")


def test_a_symbolic_memory_length_gives_formulas_of_it():
    from netspec.symbolic.symint import formula

    (analysis,) = check_text(net("attention(4, memory=enc)", "    input enc: [N, S, 12]\n"))
    assert "S" in str(analysis.totals.macs)
    numeric = layer_of(net("attention(4, memory=enc)"))
    assert formula(analysis.totals.macs).at({"S": 5}) == numeric.cost.macs
    assert formula(analysis.totals.flops).at({"S": 5}) == numeric.cost.flops


# --- errors ----------------------------------------------------------------------------


def test_a_mask_of_the_wrong_shape_is_positioned():
    diag = diagnostic(net("attention(4, memory=enc, padding=pad)", ENC + PAD7))
    assert diag.code == "E-shape"
    assert diag.message == (
        "attention: padding [N, 7] does not fit the keys: the memory is [N, 5, 12], "
        "so the mask is [N, 5]"
    )
    assert (diag.span.line, diag.span.text()) == (5, "pad")


def test_a_mask_that_is_not_bool_is_refused():
    diag = diagnostic(net("attention(4, padding=pad)", "    input pad: [N, 7]\n"))
    assert diag.code == "E-type"
    assert diag.message == "attention: padding must be a bool tensor, got float32"
    assert diag.span.text() == "pad" and "bool" in " ".join(diag.help)


def test_a_bool_stream_or_memory_is_still_refused():
    diag = diagnostic(
        net("attention(4, memory=enc, padding=pad)", ENC.replace("]", "] bool") + PAD)
    )
    assert diag.code == "E-type" and "a mask" in diag.message


@pytest.mark.parametrize("memory", ["[2, 5, 12]", "[N, 5]", "[N, 5, 2, 12]"])
def test_a_memory_of_another_batch_or_rank_is_positioned(memory):
    diag = diagnostic(net("attention(4, memory=enc)", f"    input enc: {memory}\n"))
    assert diag.code == "E-shape"
    assert diag.message == f"attention: memory {memory} does not fit the stream [N, 7, 16]"
    assert diag.span.text() == "enc"


def test_causal_with_a_memory_is_refused_at_causal():
    diag = diagnostic(net("attention(4, causal=true, memory=enc)"))
    assert diag.code == "E-arg" and "causal=true with memory" in diag.message
    assert diag.span.text() == "true"
    assert "drop causal=true" in " ".join(diag.help)


# --- PyTorch ---------------------------------------------------------------------------


def built(text: str):
    from netspec.api import to_torch

    return to_torch(Source("<string>", text), seed=0).eval()


def randn(*shape: int, seed: int = 0):
    torch = pytest.importorskip("torch")
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def mha_from(module, heads: int):
    """nn.MultiheadAttention(kdim=, vdim=) with the weights of netspec's q, k, v, out."""
    torch = pytest.importorskip("torch")
    q, k, v, out = module.q, module.k, module.v, module.out
    mha = torch.nn.MultiheadAttention(
        q.in_features, heads, kdim=k.in_features, vdim=v.in_features, batch_first=True
    ).eval()
    with torch.no_grad():
        mha.q_proj_weight.copy_(q.weight)
        mha.k_proj_weight.copy_(k.weight)
        mha.v_proj_weight.copy_(v.weight)
        mha.in_proj_bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
        mha.out_proj.weight.copy_(out.weight)
        mha.out_proj.bias.copy_(out.bias)
    return mha


def masks():
    torch = pytest.importorskip("torch")
    partly = torch.tensor([[False, False, False, True, True], [False, True, False, False, True]])
    return partly, torch.tensor([[False] * 5, [True] * 5])  # the second: a sample all padding


def test_cross_attention_equals_multihead_attention_with_key_padding():
    torch = pytest.importorskip("torch")
    text = net("attention(4, memory=enc, padding=pad)", ENC + PAD)
    model = built(text)
    assert type(model.y).__name__ == "CrossAttention"
    keys = {f"y.{m}.{p}" for m in ("q", "k", "v", "out") for p in ("weight", "bias")}
    assert set(model.state_dict()) == keys
    mha = mha_from(model.y, 4)
    x, enc = randn(2, L, D), randn(2, S, DM, seed=1)
    pad, _ = masks()
    with torch.no_grad():
        theirs, _ = mha(x, enc, enc, key_padding_mask=pad, need_weights=False)
        assert torch.allclose(model(x, enc, pad), theirs, atol=1e-5)
        theirs, _ = mha(x, enc, enc, need_weights=False)
        assert torch.allclose(built(net("attention(4, memory=enc)"))(x, enc), theirs, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_with_padding_equals_sdpa_with_the_mask(causal):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    model = built(net(f"attention(4, padding=pad, causal={str(causal).lower()})", PAD7))
    a, x = model.y, randn(2, L, D)
    pad = torch.tensor([[True, True, False, False, False, False, True], [False] * 6 + [True]])
    seen = ~pad[:, None, None, :]  # [N, 1, 1, S]: true where a key is read
    if causal:
        seen = seen & torch.ones(L, L, dtype=torch.bool).tril()
    with torch.no_grad():
        q, k, v = (m(x).unflatten(-1, (4, 4)).transpose(1, 2) for m in (a.q, a.k, a.v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=seen)
        expected = a.out(y.transpose(1, 2).flatten(2))
        assert torch.allclose(model(x, pad), expected, atol=1e-6)


def test_a_query_that_reads_no_key_gets_zeros_written_out_or_fused():
    torch = pytest.importorskip("torch")
    text = net("attention(4, memory=enc, padding=pad)", ENC + PAD)
    model = built(text)
    x, enc = randn(2, L, D), randn(2, S, DM, seed=1)
    _, padded = masks()
    with torch.no_grad():
        fused = model(x, enc, padded)
        assert torch.allclose(fused[1], model.y.out.bias.expand(L, D))  # context 0: the bias
    written = explicit_products(built(text))
    x.requires_grad_(True)
    out = written(x, enc, padded)
    assert torch.allclose(out, fused, atol=1e-6)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in written.parameters())


def test_flop_counter_counts_what_netspec_counts_for_cross_attention():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    text = net("attention(4, memory=enc, padding=pad)", ENC + PAD)
    model = explicit_products(built(text))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, L, D), torch.zeros(1, S, DM), torch.zeros(1, S, dtype=torch.bool))
    assert counter.get_total_flops() == 2 * layer_of(text).cost.macs


def test_the_source_passes_the_memory_and_the_mask():
    from netspec.api import torch_source

    source = torch_source(
        Source("<string>", net("attention(4, memory=enc, padding=pad)", ENC + PAD))
    )
    assert "self.y = CrossAttention(16, 12, 4)" in source
    assert "self.y(x, enc, pad)" in source
    source = torch_source(Source("<string>", net("attention(4, padding=pad)", PAD7)))
    assert "self.y = SelfAttention(16, 4)" in source and "self.y(x, pad)" in source


# --- ONNX ------------------------------------------------------------------------------


def onnx_and_torch(text: str):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from netspec.api import to_onnx

    module = built(text)
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = to_onnx(Source("<string>", text), weights=weights)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return module, model, inferred


def agree(module, model, feeds: dict) -> None:
    torch = pytest.importorskip("torch")
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, feeds)
    with torch.no_grad():
        ours = module(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    assert not np.isnan(theirs).any()
    assert np.abs(theirs - ours).max() <= 1e-4


@pytest.mark.parametrize(
    ("stage", "decl"),
    [
        ("attention(4, memory=enc)", ENC),
        ("attention(4, memory=enc, padding=pad, kv_heads=2)", ENC + PAD),
        ("attention(4, memory=enc, padding=pad, bias=false)", ENC + PAD),
        ("attention(4, padding=pad)", PAD7),
        ("attention(4, padding=pad, causal=true, kv_heads=1)", PAD7),
    ],
)
def test_onnx_equals_pytorch(stage, decl):
    import numpy as np

    module, model, inferred = onnx_and_torch(net(stage, decl))
    assert "unk__" not in str(inferred.graph.value_info)  # every size known
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((2, L, D)).astype("float32")}
    if "enc" in decl:
        feeds["enc"] = rng.standard_normal((2, S, DM)).astype("float32")
        pad = np.array([[0, 0, 0, 1, 1], [1, 1, 1, 1, 1]], bool)  # the second all padding
    else:  # left padding: with causal=true, the first two queries of sample 0 read no key
        pad = np.array([[1, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1]], bool)
    if "pad" in decl:
        feeds["pad"] = pad
    agree(module, model, feeds)


DECODER = """network Decoder(vocab=50, width=32) {
    input ids: [N, L] int64
    input pad: [N, L] bool
    from ids
    tokens = embedding(vocab, width)
    add {
        layer_norm attention(4, causal=true, padding=pad)
      |
    }
    logits = layer_norm linear(vocab)
}
"""


def test_a_causal_decoder_exports_once_and_runs_at_two_lengths():
    """The length is named, so it is a dim_param: the causal mask is built from the
    input's own length at run time, the padding mask is an input."""
    import numpy as np

    module, model, _ = onnx_and_torch(DECODER)
    dims = [
        [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
        for i in model.graph.input
    ]
    assert dims == [["N", "L"], ["N", "L"]]
    assert not any(init.name.endswith("later") for init in model.graph.initializer)
    rng = np.random.default_rng(0)
    for length in (5, 11):
        ids = rng.integers(0, 50, (2, length)).astype(np.int64)
        pad = np.zeros((2, length), bool)
        pad[1, -2:] = True  # the second sample ends with two padding tokens
        agree(module, model, {"ids": ids, "pad": pad})


TRANSFORMER_DECODER = """block decoder_layer(heads, memory, pad) {
    let width = in.shape[2]
    add {
        layer_norm attention(heads, causal=true)
      |
    }
    add {
        layer_norm attention(heads, memory=memory, padding=pad)
      |
    }
    add {
        layer_norm linear(4 * width) gelu linear(width)
      |
    }
}

network TD(width=32) {
    input x: [N, 9, width]
    input enc: [N, 6, 24]
    input pad: [N, 6] bool
    from x
    repeat 2 {
        decoder_layer(4, enc, pad)
    }
}
"""


@pytest.mark.parametrize("functions", [False, True])
def test_a_transformer_decoder_block_passes_memory_and_mask(functions):
    """Self-attention, then cross-attention to the encoder's output through a block's
    tensor arguments; ONNX with each block call a local function or inlined."""
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    from netspec.api import to_onnx

    source = Source("<string>", TRANSFORMER_DECODER)
    module = built(TRANSFORMER_DECODER)
    crosses = [m for m in module.modules() if type(m).__name__ == "CrossAttention"]
    assert len(crosses) == 2 and crosses[0].k.in_features == 24
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = to_onnx(source, weights=weights, functions=functions)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    rng = np.random.default_rng(0)
    feeds = {
        "x": rng.standard_normal((2, 9, 32)).astype("float32"),
        "enc": rng.standard_normal((2, 6, 24)).astype("float32"),
        "pad": np.array([[0, 0, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1]], bool),
    }
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, feeds)
    with torch.no_grad():
        ours = module(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    assert np.abs(theirs - ours).max() <= 1e-4


@pytest.mark.parametrize("opset", [13, 18])
def test_a_named_length_with_causal_and_padding_masks_runs_at_two_lengths(opset):
    """One model, L a dim_param: the causal mask from the input's length, the padding
    mask an input; strict shape inference keeps L (no unknown dims)."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    import numpy as np

    from netspec.api import to_onnx

    text = net(
        "attention(4, padding=pad, causal=true)", "    input pad: [N, L] bool\n", "[N, L, 16]"
    )
    module = built(text)
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = to_onnx(Source("<string>", text), weights=weights, opset=opset)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert "unk__" not in str(inferred.graph.value_info)
    for length in (4, 9):
        rng = np.random.default_rng(length)
        pad = np.zeros((2, length), bool)
        pad[0, :2] = True  # left padding: the first two queries of sample 0 read no key
        x = rng.standard_normal((2, length, 16)).astype("float32")
        agree(module, model, {"x": x, "pad": pad})
