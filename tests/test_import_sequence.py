"""`netspec import` of embeddings, position tables, tied output layers and recurrent
layers (netspec/frontends/onnx/sequence.py, recurrent.py): a spec exported by netspec,
imported back, checks with the original's figures (parameters, buffers, multiply-adds, every layer's
shape) and the imported spec's export computes the same outputs with the imported
weights (onnxruntime on both; every output, int64 token ids drawn below the vocabulary).

The full-size transformers (gpt2_small, bert_base) run with NETSPEC_SLOW=1.
"""

from __future__ import annotations

import os

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

from netspec.api import check, to_onnx  # noqa: E402
from netspec.frontends.emit import spec_text  # noqa: E402
from netspec.frontends.imported import NotImportable  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402
from netspec.frontends.weights_out import write_weights  # noqa: E402
from netspec.source import Source  # noqa: E402
from tests.import_support import figures  # noqa: E402

SLOW = os.environ.get("NETSPEC_SLOW") == "1"

SPECS = {
    "gru_stacked_bidirectional": """
network G(v=50, w=16) {
    input ids: [N, 7] int64
    x = embedding(v, w) gru(12, layers=2, bidirectional=true) linear(v)
}""",
    "rnn_relu_no_bias": """
network R {
    input x: [N, 5, 8]
    y = rnn(10, nonlinearity="relu", bias=false) linear(3)
}""",
    "rnn_tanh_bidirectional": """
network R2 {
    input x: [N, 5, 8]
    y = rnn(4, bidirectional=true, layers=2)
}""",
    "lstm_sequence_first": """
network L {
    input x: [5, 2, 8]
    y = lstm(6, layers=3, bidirectional=true, batch_first=false)
}""",
    "lstm_after_own_transpose": """
network TR {
    input x: [N, 5, 8]
    y = transpose(0, 1) lstm(6, batch_first=false) linear(3)
}""",
    "lstm_states": """
network S {
    input x: [N, 5, 8]
    seq, h, c = lstm(6, layers=2)
    from h
    y = linear(4)
    output seq, y, c
}""",
    "gru_state": """
network S1 {
    input x: [N, 5, 8]
    seq, h = gru(6, bidirectional=true)
    output h, seq
}""",
    "tied_head": """
network T(vocab=40, width=16) {
    input ids: [N, 6] int64
    words = embedding(vocab, width)
    logits = learned_positions(8) layer_norm linear(vocab, bias=false, tied=words)
}""",
    "tied_head_bias": """
network TB(vocab=40, width=16) {
    input ids: [N, 6] int64
    words = embedding(vocab, width)
    logits = relu linear(vocab, tied=words)
}""",
    "two_embeddings": """
network E2(width=8) {
    input ids: [N, 6] int64
    input types: [N, 6] int64
    from ids
    words = embedding(30, width) learned_positions(10)
    from types
    kinds = embedding(2, width)
    from words
    out = add(kinds) layer_norm
}""",
}


def _feeds(model) -> dict:
    """Inputs for `model`: float32 normals, and token ids below the smallest table that
    looks them up."""
    rng = np.random.default_rng(0)
    stored = {t.name: list(t.dims) for t in model.graph.initializer}
    feeds = {}
    for given in model.graph.input:
        tensor = given.type.tensor_type
        shape = [d.dim_value or 1 for d in tensor.shape.dim]
        if tensor.elem_type == onnx.TensorProto.INT64:
            rows = [
                stored[n.input[0]][0]
                for n in model.graph.node
                if n.op_type == "Gather" and n.input[1] == given.name and n.input[0] in stored
            ]
            feeds[given.name] = rng.integers(0, min(rows, default=2), shape).astype(np.int64)
        else:
            feeds[given.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def _same_outputs(model, text: str, weights) -> None:
    """The imported spec's export, with the imported weights, computes each output of
    `model` (within 1e-4 of its largest value, or 1e-4 where that is below 1)."""
    again = to_onnx(Source("imported.netspec", text), weights=str(weights), batch=1)
    first = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    second = ort.InferenceSession(again.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = _feeds(model)
    names = [i.name for i in second.get_inputs()]
    expected = first.run(None, feeds)
    got = second.run(None, dict(zip(names, feeds.values(), strict=True)))
    assert len(expected) == len(got)
    for a, b in zip(expected, got, strict=True):
        assert a.shape == b.shape
        assert float(np.max(np.abs(a - b))) <= 1e-4 * max(1.0, float(np.max(np.abs(a))))


def _batch_one(shapes) -> list:
    return [tuple(1 if d == "N" else d for d in s) for s in shapes]


def _round_trip(spec, tmp_path, overrides=None) -> str:
    """Export `spec` (a zoo name or a Source), import it, write its weights, check both
    sides; the imported text."""
    model = to_onnx(spec, overrides=overrides, batch=1, seed=3)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    imported = read_onnx(path)
    text = spec_text(imported)
    weights = tmp_path / "model.safetensors"
    write_weights(imported, text, weights)
    [original] = check(spec, overrides=overrides)
    [again] = check(Source("imported.netspec", text))
    (p, b, m, shapes), (po, bo, mo, shapes_o) = figures(again), figures(original)
    assert (p, b, m) == (po, bo, mo)
    assert _batch_one(shapes) == _batch_one(shapes_o)
    _same_outputs(model, text, weights)
    return text


def test_lstm_lm_small(tmp_path):
    text = _round_trip("lstm_lm", tmp_path, {"width": 32, "vocab": 50})
    assert "input tokens: [1, 35] int64" in text
    assert "embedding(50, 32) lstm(32, layers=2) linear(50)" in text


def test_lstm_lm(tmp_path):
    text = _round_trip("lstm_lm", tmp_path)
    assert "lstm(650, layers=2)" in text


@pytest.mark.parametrize("name", sorted(SPECS))
def test_small_specs(name, tmp_path):
    text = _round_trip(Source(f"{name}.netspec", SPECS[name]), tmp_path)
    if name.startswith("tied"):
        assert "tied=words" in text and "words = embedding(40, 16)" in text
    if name == "lstm_states":
        assert "seq, h, c = lstm(6, layers=2)" in text
    if name == "gru_state":
        assert "seq, h = gru(6, bidirectional=true)" in text


def test_gpt_tiny(tmp_path):
    text = _round_trip("gpt_tiny", tmp_path)
    assert "input ids: [1, 64] int64" in text and "embedding(256, 64)" in text


def test_gru_reset_before_product_is_refused(tmp_path):
    """ONNX's default GRU (linear_before_reset=0) is not PyTorch's: refused, by name."""
    model = to_onnx(Source("g.netspec", SPECS["gru_state"]), batch=1)
    [gru] = [n for n in model.graph.node if n.op_type == "GRU"]
    for a in gru.attribute:
        if a.name == "linear_before_reset":
            a.i = 0
    path = tmp_path / "g.onnx"
    onnx.save(model, path)
    with pytest.raises(NotImportable) as caught:
        read_onnx(path)
    assert "linear_before_reset=0" in str(caught.value)
    assert f"{gru.name} (GRU)" in str(caught.value)


DIFFERING = """
network D {
    input x: [5, 2, 8]
    y = lstm(6, batch_first=false) lstm(4, layers=2, bidirectional=true, batch_first=false)
}"""


@pytest.mark.parametrize("joined", [False, True])
def test_consecutive_recurrent_layers_that_differ_are_two_calls(joined, tmp_path):
    """A unidirectional LSTM feeding a bidirectional stack of another hidden size: two
    calls, each a stack of its equal layers, whether netspec's Identity names the first
    call's sequence or the second reads the first's Reshape directly (`joined`: as an
    exporter without names writes it, the layers chained as one stack's would be)."""
    model = to_onnx(Source("d.netspec", DIFFERING), batch=1, seed=3)
    if joined:
        [named] = [n for n in model.graph.node if n.op_type == "Identity" and n.name == "y.lstm1"]
        for node in model.graph.node:
            node.input[:] = [named.input[0] if t == named.output[0] else t for t in node.input]
        model.graph.node.remove(named)
    path = tmp_path / "d.onnx"
    onnx.save(model, path)
    imported = read_onnx(path)
    text = spec_text(imported)
    assert (
        "y = lstm(6, batch_first=false) lstm(4, layers=2, bidirectional=true, batch_first=false)"
        in text
    )
    weights = tmp_path / "d.safetensors"
    write_weights(imported, text, weights)
    [original] = check(Source("d.netspec", DIFFERING))
    [again] = check(Source("imported.netspec", text))
    assert figures(again) == figures(original)
    _same_outputs(model, text, weights)


@pytest.mark.skipif(not SLOW, reason="full-size transformers: NETSPEC_SLOW=1")
def test_gpt2_small(tmp_path):
    text = _round_trip("gpt2_small", tmp_path)
    assert "words = embedding(50257, 768)" in text
    assert "linear(50257, bias=false, tied=words)" in text


@pytest.mark.skipif(not SLOW, reason="full-size transformers: NETSPEC_SLOW=1")
def test_bert_base_embeddings(tmp_path):
    """BERT's embeddings (words, positions, token types) import, whatever the rest does."""
    path = tmp_path / "bert.onnx"
    onnx.save(to_onnx("bert_base", batch=1), path)
    try:
        stages = read_onnx(path).stages
    except NotImportable as refused:
        problems = [p for p in refused.problems if p.op_type in ("Gather", "Slice")]
        assert not problems, problems
        return
    ops = [s.op for s in stages]
    assert ops.count("embedding") == 2 and "learned_positions" in ops
