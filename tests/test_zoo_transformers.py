"""Issue 16's zoo: ViT-B/16 (attention, a class token, a position embedding) and
BERT-base (token inputs, embeddings, post-norm layers, the pooler), their figures exact
against the issue's references (tests/modern_zoo.py TRANSFORMERS):
parameters, and multiply-adds split as the issue states them (patch convolution, linear
layers, attention products); the built PyTorch module's counts and output.
"""

from __future__ import annotations

import pytest

from netspec.api import check
from tests.modern_zoo import TRANSFORMERS


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
def test_figures_equal_torchvisions(name):
    [a] = check(name)
    assert (a.totals.params, a.totals.buffers, a.totals.macs) == TRANSFORMERS[name]


def test_vit_multiply_adds_split_as_the_issue_states():
    [a] = check("vit_b_16")
    conv = sum(layer.cost.macs for layer in a.layers if layer.op == "conv")
    linear = sum(layer.cost.macs for layer in a.layers if layer.op == "linear")
    attention = [layer for layer in a.layers if layer.op == "attention"]
    products = 12 * 2 * 197 * 197 * 768  # QKᵀ and AV in 12 layers
    projections = sum(layer.cost.macs for layer in attention) - products
    assert conv == 115_605_504
    assert linear + projections == 16_732_895_232
    assert products == 715_327_488 and len(attention) == 12
    shapes = [(s.name, s.output_shape) for s in a.statements]
    assert shapes == [
        ("patches", ("N", 196, 768)),
        ("cls", (1, 1, 768)),
        ("pos", (1, 197, 768)),
        ("tokens", ("N", 197, 768)),
        ("repeat1", ("N", 197, 768)),
        ("head", ("N", 1000)),
    ]


def test_vit_builds_in_pytorch_with_its_counts():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    [a] = check("vit_b_16")
    module = to_torch(a.graph, seed=0).eval()
    assert sum(p.numel() for p in module.parameters()) == 86_567_656
    with torch.no_grad():
        out = module(torch.zeros(2, 3, 224, 224))
    assert tuple(out.shape) == (2, 1000)


def test_bert_builds_in_pytorch_with_its_two_outputs():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    [a] = check("bert_base")
    module = to_torch(a.graph, seed=0).eval()
    assert sum(p.numel() for p in module.parameters()) == 109_482_240
    ids = torch.randint(0, 30522, (2, 128))
    with torch.no_grad():
        sequence, pooled = module(ids, torch.zeros(2, 128, dtype=torch.long))
    assert tuple(sequence.shape) == (2, 128, 768) and tuple(pooled.shape) == (2, 768)


def test_gpt2_multiply_adds_split_as_the_issue_states():
    [a] = check("gpt2_small")
    linear = sum(layer.cost.macs for layer in a.layers if layer.op == "linear")
    attention = [layer for layer in a.layers if layer.op == "attention"]
    products = 12 * 2 * 1024 * 1024 * 768  # QKᵀ and AV, dense, in 12 layers
    projections = sum(layer.cost.macs for layer in attention) - products
    assert linear + projections == 126_496_800_768
    assert products == 19_327_352_832
    head = a.layer("logits.linear")
    assert head.cost.macs == 1024 * 768 * 50_257 and head.counts.params == 0  # tied
    assert head.description == "linear 50257 no bias tied to words"


def test_gpt2_ties_its_head_in_pytorch_and_onnx():
    pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    from netspec import api

    small = dict(vocab=50, width=16, layers=1, heads=2, mlp=32, max_positions=8, context=8)
    module = api.to_torch("gpt2_small", overrides=small, seed=0)
    assert module.logits.linear.weight is module.words.weight
    assert (
        sum(p.numel() for p in module.parameters())
        == api.check("gpt2_small", overrides=small)[0].totals.params
    )
    model = api.to_onnx("gpt2_small", overrides=small, seed=0)
    names = [i.name for i in model.graph.initializer if i.name.endswith(".weight")]
    assert "words.weight" in names and "logits.linear.weight" not in names
    onnx.checker.check_model(model, full_check=True)


def test_gpt2_onnx_agrees_with_pytorch_causal_and_tied():
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    from netspec import api

    small = dict(vocab=50, width=16, layers=2, heads=2, mlp=32, max_positions=8, context=8)
    module = api.to_torch("gpt2_small", overrides=small, seed=0).eval()
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = api.to_onnx("gpt2_small", overrides=small, weights=weights)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ids = torch.randint(0, 50, (3, 8))
    with torch.no_grad():
        expected = module(ids).numpy()
    [got] = session.run(None, {"ids": ids.numpy()})
    assert abs(got - expected).max() <= 1e-4


def test_three_tools_on_vit_as_docs_costs_md_explains():
    """docs/costs.md §1.8: on the CPU flop_counter sees the built ViT's projections but not
    the fused attention products (ViT-B/16: 16.85 G halved), and all of it once they are
    written out (on the meta device the fused call decomposes, and is counted); the
    torchinfo rules give 202 M on netspec's module, where q, k and v are nn.Linear. Two
    layers here, to keep it quick: the figures are per layer."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from netspec import api
    from netspec.analysis.conventions import costs
    from tests.conftest import explicit_products

    [a] = api.check("vit_b_16", overrides={"layers": 2})
    products = 2 * 2 * 197 * 197 * 768
    model = api.to_torch("vit_b_16", overrides={"layers": 2}, seed=0).eval()
    image = torch.zeros(1, 3, 224, 224)
    with torch.no_grad(), FlopCounterMode(display=False) as fused:
        model(image)
    with torch.no_grad(), FlopCounterMode(display=False) as written:
        explicit_products(model)(image)
    assert fused.get_total_flops() == 2 * (a.totals.macs - products)
    assert written.get_total_flops() == 2 * a.totals.macs
    [full] = api.check("vit_b_16")
    assert full.totals.macs - 12 * products // 2 == 16_848_500_736
    assert costs(full, "torchinfo").total == 201_581_032


def test_gpt2_exports_once_for_every_length():
    """--input-shape ids=[N, L]: the learned positions' first L rows, the causal mask
    from the runtime length; one ONNX model, two lengths, PyTorch's outputs."""
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    from netspec import api

    small = dict(vocab=50, width=16, layers=2, heads=2, mlp=32, max_positions=12)
    shapes = {"ids": ("N", "L")}
    [a] = api.check("gpt2_small", overrides=small, input_shapes=shapes)
    assert a.graph.sizes is not None and a.layers[-1].output_shape[1].hint <= 12
    module = api.to_torch("gpt2_small", overrides=small, input_shapes=shapes, seed=0).eval()
    weights = {k: v.numpy() for k, v in module.state_dict().items()}
    model = api.to_onnx("gpt2_small", overrides=small, input_shapes=shapes, weights=weights)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for length in (5, 12):
        ids = torch.randint(0, 50, (2, length))
        with torch.no_grad():
            expected = module(ids).numpy()
        [got] = session.run(None, {"ids": ids.numpy()})
        assert got.shape == (2, length, 50) and abs(got - expected).max() <= 1e-4


def test_bert_takes_every_length_up_to_its_table():
    """The pooler's slice(1, 0, 1) must not pin a named length (it once did: `0 % L`)."""
    onnx = pytest.importorskip("onnx")
    from netspec import api

    small = dict(vocab=50, width=16, layers=1, heads=2, mlp=32, max_positions=20)
    shapes = {"ids": ("N", "L"), "types": ("N", "L")}
    [a] = api.check("bert_base", overrides=small, input_shapes=shapes)
    assert a.graph.sizes.accepted.count() == 20  # L = 1 .. 20
    model = api.to_onnx("bert_base", overrides=small, input_shapes=shapes)
    dims = [
        [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
        for i in model.graph.input
    ]
    assert dims == [["N", "L"], ["N", "L"]]
    onnx.checker.check_model(model)
