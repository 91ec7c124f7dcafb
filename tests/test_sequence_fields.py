"""Receptive fields along a sequence (netspec/analysis/sequence_fields.py): attention and
recurrence see every position (causal: every earlier one), 1-d convolutions their
window, and PyTorch's gradients say the same (an output position depends on exactly the
input positions its field names)."""

from __future__ import annotations

import pytest

from netspec.api import check, check_text
from netspec.source import Source

SPEC = """
network S(causal=true) {
    input ids: [N, 32] int64
    x = embedding(100, 16) transpose(1, 2)
    c = conv(16, 3, padding=1) conv(16, 3, dilation=2, padding=2) transpose(1, 2)
    y = attention(4, causal=causal)
    z = lstm(8, bidirectional=true)
    seq, h = gru(8)
    token = slice(1, 0, 1) squeeze(1) linear(3)
}
"""


def _fields(text: str = SPEC, field_input: str = "ids") -> dict:
    [a] = check_text(text)
    assert a.field_input == field_input
    return {
        layer.path: (
            None
            if layer.receptive_field is None
            else (
                *(int(v[0]) for v in (layer.receptive_field.size, layer.receptive_field.stride)),
                int(layer.receptive_field.padding[0]),
                layer.receptive_field.whole,
            )
        )
        for layer in a.layers
    }


def test_each_layer_says_what_it_sees():
    f = _fields()
    assert f["x.embedding"] == (1, 1, 0, False)
    assert f["c.conv1"] == (3, 1, 1, False)  # a 1-d convolution along the sequence
    assert f["c.conv2"] == (7, 1, 3, False)  # dilated: 3 more on each side
    assert f["y"] == (35, 1, 31, False)  # causal: t - 31 .. t + 3 (the convs' reach)
    assert f["z"] == (63, 1, 31, True)  # bidirectional: all of it from every position
    assert f["seq"] == f["h"] == f["token.linear"] == (63, 1, 31, True)


def test_zoo_sequences():
    for name, field in (("gpt2_small", (1024, 1023, False)), ("bert_base", (255, 127, True))):
        [a] = check(name)
        last = a.layers[-1].receptive_field
        assert (last.size[0], last.padding[0], last.whole) == field, name
    [lm] = check("lstm_lm")
    assert lm.layer("lstm").receptive_field.size == (35,)  # position t sees 0 .. t


def test_a_hand_written_attention_is_left_unknown():
    text = """
network H {
    input ids: [N, 8] int64
    q = embedding(10, 4)
    scores = matmul { | transpose(-1, -2) } softmax(dim=-1)
}
"""
    assert _fields(text)["scores.matmul"] is None


@pytest.mark.parametrize("causal", ["true", "false"])
def test_gradients_reach_exactly_the_field(causal):
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch

    text = SPEC.replace("causal=true", f"causal={causal}")
    model = to_torch(Source("s.netspec", text), seed=0).eval()
    grads = {}

    def keep(module, inputs, out):
        out.retain_grad()
        grads["embedded"] = out

    seen = {}
    model.x.embedding.register_forward_hook(keep)
    model.y.register_forward_hook(lambda m, i, o: seen.setdefault("y", o))  # attention's
    model(torch.randint(0, 100, (1, 32)))
    seen["y"][0, 10].sum().backward()  # position 10 of the attention's output
    reached = grads["embedded"].grad[0].abs().sum(-1).nonzero().flatten().tolist()
    f = _fields(text)["y"]
    first = max(0, 10 - f[2])
    last = min(31, 10 - f[2] + f[0] - 1)
    assert reached == list(range(first, last + 1))


CROSS = """
network X {
    input tgt: [N, 6] int64
    input src: [N, 9] int64
    from src
    enc = embedding(40, 16) attention(4)
    from tgt
    dec = embedding(40, 16) attention(2, causal=true) attention(4, memory=enc)
}
"""


def test_cross_attention_keeps_each_query_s_field():
    # queries are per position: the decoder's causal field stands (the memory is another
    # input's); PyTorch's gradients of position 0 reach tgt position 0 only
    assert _fields(CROSS, "tgt")["dec.attention2"] == (6, 1, 5, False)


def test_the_sequence_read_as_features_is_seen_whole():
    text = """
network W {
    input ids: [N, 16] int64
    x = embedding(30, 8) transpose(1, 2)
    y = attention(2)
    z = linear(16) layer_norm
}
"""
    f = _fields(text)
    assert f["y"] == (31, 1, 15, True)  # attention mixes its features: all 16 positions
    assert f["z.linear"] == f["z.layer_norm"] == (31, 1, 15, True)  # never past the sequence


def test_a_float_sequence_with_a_named_length():
    text = "network F {\n    input x: [N, L, 16]\n    y = attention(2, causal=true)\n}\n"
    [a] = check_text(text)
    assert a.field_input == "x"
    field = a.layer("y").receptive_field
    assert field.padding[0] == field.size[0] - 1  # causal: all before, none after
