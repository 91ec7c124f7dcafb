"""scale, causal_mask and sinusoidal (netspec/ops/sequence.py): a hand-written causal
attention (linear, reshape, transpose, matmul, scale, causal_mask, softmax) has the
`attention` op's figures and, with its weights, its outputs; the fixed position table is
Vaswani et al.'s; onnxruntime agrees with PyTorch, at two sequence lengths of one
exported model."""

from __future__ import annotations

import math

import pytest

from netspec.api import check_text
from netspec.source import Source
from tests.conftest import diagnostic

HAND = """
network Hand(width=64, heads=4, length=16) {
    input x: [N, length, width]
    q = linear(width) reshape([N, length, heads, 16]) transpose(1, 2)
    from x
    k = linear(width) reshape([N, length, heads, 16]) permute([0, 2, 3, 1])
    from x
    v = linear(width) reshape([N, length, heads, 16]) transpose(1, 2)
    from q
    weights = matmul(k) scale(0.25) causal_mask softmax(dim=-1)
    y = matmul(v) transpose(1, 2) reshape([N, length, width]) linear(width)
}
"""
OP = """
network Op(width=64, heads=4, length=16) {
    input x: [N, length, width]
    attention(heads, causal=true)
}
"""


def test_a_hand_written_attention_has_the_op_s_figures():
    [hand], [op] = check_text(HAND), check_text(OP)
    for figure in ("params", "macs", "flops"):
        assert getattr(hand.totals, figure) == getattr(op.totals, figure), figure
    assert op.totals.macs == 16 * 64 * 4 * 64 + 2 * 16 * 16 * 64


def test_a_hand_written_attention_computes_what_the_op_does():
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch

    hand = to_torch(Source("hand.netspec", HAND), seed=0).eval()
    op = to_torch(Source("op.netspec", OP), seed=1).eval()
    attention = op.attention1
    pairs = ((hand.q.linear, attention.q), (hand.k.linear, attention.k))
    pairs += ((hand.v.linear, attention.v), (hand.y.linear, attention.out))
    for mine, theirs in pairs:
        mine.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 16, 64)
    with torch.no_grad():
        torch.testing.assert_close(hand(x), op(x), atol=1e-5, rtol=1e-5)


def test_the_table_is_vaswani_s():
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch

    spec = "network P { input x: [N, 10, 8]\n    sinusoidal(12) }"
    [a] = check_text(spec)
    assert (a.totals.params, a.totals.buffers, a.totals.flops) == (0, 12 * 8, 10 * 8)
    model = to_torch(Source("p.netspec", spec))
    table = model.sinusoidal1.table
    for p, i in ((0, 0), (3, 1), (11, 2), (7, 3)):
        angle = p / 10000 ** (2 * i / 8)
        assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
        assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    x = torch.zeros(2, 10, 8)
    torch.testing.assert_close(model(x), table[:10].expand(2, 10, 8))


def test_onnx_agrees_with_pytorch_at_two_lengths():
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    from netspec.api import to_onnx, to_torch

    spec = """
network S {
    input x: [N, L, 8]
    sinusoidal(32) unsqueeze(1) matmul { | transpose(-1, -2) }
        scale(0.5) causal_mask softmax(dim=-1)
}
"""
    source = Source("s.netspec", spec)
    module = to_torch(source).eval()
    model = to_onnx(source)  # L is named: a dim_param
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for length in (5, 11):
        x = torch.randn(2, length, 8)
        with torch.no_grad():
            expected = module(x).numpy()
        [got] = session.run(None, {"x": x.numpy()})
        assert got.shape == (2, 1, length, length)
        assert abs(got - expected).max() <= 1e-5
        assert (got[0, 0][torch.ones(length, length).triu(1).bool().numpy()] == 0).all()


@pytest.mark.parametrize(
    ("stage", "code", "needle", "caret"),
    [
        ("sinusoidal(8)", "E-shape", "16 positions and the table 8", "8"),
        (
            "reshape([N, 16, 5, 2]) flatten(2) linear(7) sinusoidal(32)",
            "E-shape",
            "even",
            "sinusoidal(32)",
        ),
        ("flatten(1) sinusoidal(32)", "E-shape", "", "sinusoidal"),
    ],
)
def test_errors_are_positioned(stage, code, needle, caret):
    d = diagnostic(f"network E {{\n    input x: [N, 16, 10]\n    {stage}\n}}\n")
    assert d.code == code and needle in d.message
    assert caret in d.span.text()
