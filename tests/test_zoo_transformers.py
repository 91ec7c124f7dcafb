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
