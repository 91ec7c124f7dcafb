"""lstm, gru and rnn (netspec/ops/recurrent.py) against torch.nn.LSTM, nn.GRU and nn.RNN,
PyTorch's FlopCounterMode and onnxruntime; and the zoo's lstm_lm.

- figures: parameters and output shapes of every output against PyTorch's modules,
  over configurations (layers, bidirectional, batch_first, bias; hypothesis draws a
  few more); multiply-adds by the issue's rule and FlopCounterMode's count on the meta
  device (2 per multiply-add); the states carry nothing; torchinfo's rule;
- elaboration: alone (in a chain, or one name) the sequence; named, exactly one name
  per output; positioned errors (rank, feature size, nonlinearity, the count of names)
  and W-dropout for dropout with one layer;
- PyTorch: `netspec build` writes source that runs, whose forward calls the recurrence
  once and binds every output of it, with the analysis's parameter count and PyTorch's
  state_dict keys;
- ONNX: onnx.checker and onnxruntime against the PyTorch module within 1e-4, for the
  three ops, 1 and 2 layers, both directions, both batch_first settings, the states
  included;
- lstm_lm: Zaremba et al.'s medium LSTM, 19,780,400 parameters and 464,100,000
  multiply-adds, and its explanation's steps.
"""

from __future__ import annotations

import itertools

import pytest

from netspec.api import check, check_text
from netspec.ops import REGISTRY
from netspec.ops.base import GLOBAL
from tests.conftest import diagnostic

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
MODULES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def spec(stage: str, shape: str = "[N, 5, 6]", names: str = "y") -> str:
    outputs = f"\n    output {names}" if "," in names else ""
    return f"network R {{\n    input x: {shape}\n    {names} = {stage}{outputs}\n}}\n"


def layers_of(text: str):
    (analysis,) = check_text(text)
    return [layer for layer in analysis.layers if layer.op in GATES]


def stage(op, hidden, layers=1, bidirectional=False, batch_first=True, bias=True) -> str:
    args = [str(hidden)]
    args += [f"layers={layers}"] if layers != 1 else []
    args += ["bidirectional=true"] if bidirectional else []
    args += ["batch_first=false"] if not batch_first else []
    args += ["bias=false"] if not bias else []
    return f"{op}({', '.join(args)})"


def names_of(op: str) -> str:
    return "seq, h, c" if op == "lstm" else "seq, h"


def pytorch(op, d, hidden, layers=1, bidirectional=False, batch_first=True, bias=True):
    torch = pytest.importorskip("torch")
    cls = getattr(torch.nn, MODULES[op])
    return cls(d, hidden, num_layers=layers, bidirectional=bidirectional,
               batch_first=batch_first, bias=bias)  # fmt: skip


CONFIGS = [
    (op, layers, bidirectional, batch_first, bias)
    for op in GATES
    for layers, bidirectional, batch_first, bias in [
        (1, False, True, True),
        (2, True, True, True),
        (2, False, False, False),
        (3, True, False, True),
    ]
]


# --- figures against PyTorch ------------------------------------------------------------


@pytest.mark.parametrize(("op", "layers", "bidirectional", "batch_first", "bias"), CONFIGS)
def test_shapes_and_parameters_are_pytorchs(op, layers, bidirectional, batch_first, bias):
    torch = pytest.importorskip("torch")
    shape = "[3, 5, 6]" if batch_first else "[5, 3, 6]"
    text = spec(stage(op, 4, layers, bidirectional, batch_first, bias), shape, names_of(op))
    found = layers_of(text)
    module = pytorch(op, 6, 4, layers, bidirectional, batch_first, bias)
    x = torch.zeros(3, 5, 6) if batch_first else torch.zeros(5, 3, 6)
    seq, state = module(x)
    states = state if isinstance(state, tuple) else (state,)
    assert [layer.output_shape for layer in found] == [tuple(t.shape) for t in (seq, *states)]
    assert found[0].counts.trainable == sum(p.numel() for p in module.parameters())
    assert all(layer.counts.params == 0 and layer.cost == (0, 0) for layer in found[1:])


def test_hypothesis_parameter_counts_are_pytorchs():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=12, deadline=None, derandomize=True)
    @hypothesis.given(
        st.sampled_from(sorted(GATES)), st.integers(1, 9), st.integers(1, 9),
        st.integers(1, 3), st.booleans(), st.booleans(),
    )  # fmt: skip
    def check_one(op, d, hidden, layers, bidirectional, bias):
        (layer,) = layers_of(
            spec(stage(op, hidden, layers, bidirectional, True, bias), f"[N, 4, {d}]")
        )
        module = pytorch(op, d, hidden, layers, bidirectional, True, bias)
        assert layer.counts.trainable == sum(p.numel() for p in module.parameters())
        assert layer.output_shape == ("N", 4, hidden * (2 if bidirectional else 1))

    check_one()


@pytest.mark.parametrize("op", sorted(GATES))
def test_multiply_adds_are_the_issues_rule_and_torchs_count(op):
    torch = pytest.importorskip("torch")
    flop_counter = pytest.importorskip("torch.utils.flop_counter")
    (layer,) = layers_of(spec(f"{op}(8, layers=2, bidirectional=true)", "[3, 7, 5]"))
    g = GATES[op]
    assert layer.cost.macs == 3 * 7 * 2 * (g * (5 * 8 + 8 * 8) + g * (16 * 8 + 8 * 8))
    with torch.device("meta"):  # PyTorch's own recurrence, written out in matmuls
        module = pytorch(op, 5, 8, 2, True)
        x = torch.empty(3, 7, 5)
    counter = flop_counter.FlopCounterMode(display=False)
    with counter:
        module(x)
    assert counter.get_total_flops() == 2 * layer.cost.macs


def test_flops_state_the_gate_arithmetic():
    (layer,) = layers_of(spec("lstm(4)", "[1, 5, 6]"))
    units = 5 * 4  # steps x hidden units
    assert layer.cost.flops == 2 * layer.cost.macs + units * (4 * 3 + 9)
    (layer,) = layers_of(spec("gru(4, bias=false)", "[1, 5, 6]"))
    assert layer.cost.flops == 2 * layer.cost.macs + units * (3 + 8)
    (layer,) = layers_of(spec('rnn(4, nonlinearity="relu")', "[1, 5, 6]"))
    assert layer.cost.flops == 2 * layer.cost.macs + units * (3 + 1)


def test_torchinfo_counts_steps_times_parameters_and_fvcore_nothing():
    (layer,) = layers_of(spec("lstm(4)", "[2, 5, 6]"))
    op = REGISTRY["lstm"]
    assert op.torchinfo(layer) == 2 * 5 * 192  # prod(output_size[:2]) x parameters
    assert op.fvcore(layer) == 0  # aten::lstm has no fvcore handle
    assert op.receptive(layer.attrs, layer.input_shapes, layer.output_shape) == GLOBAL


# --- elaboration --------------------------------------------------------------------------


def test_alone_it_gives_the_sequence():
    text = "network R {\n    input x: [N, 5, 6]\n    lstm(4, bidirectional=true) linear(3)\n}\n"
    (analysis,) = check_text(text)
    assert [layer.op for layer in analysis.layers] == ["lstm", "linear"]
    assert analysis.layers[0].output_shape == ("N", 5, 8)


def test_named_it_takes_one_name_per_output():
    seq, h, c = layers_of(spec("lstm(4, layers=2)", names="seq, h, c"))
    assert (seq.output_shape, h.output_shape, c.output_shape) == (
        ("N", 5, 4),
        (2, "N", 4),
        (2, "N", 4),
    )
    assert [layer.description for layer in (seq, h, c)] == [
        "lstm 4 x2",
        "lstm 4 x2 h",
        "lstm 4 x2 c",
    ]
    diag = diagnostic(spec("lstm(4)", names="seq, h"))
    assert diag.code == "E-arg"
    assert diag.message == "lstm(4) makes 3 outputs, and 2 names are given"


@pytest.mark.parametrize(
    ("stage", "shape", "code", "text"),
    [
        ("lstm(4)", "[N, 5, 6, 2]", "E-shape", "lstm(4)"),
        ('rnn(4, nonlinearity="sigmoid")', "[N, 5, 6]", "E-value", '"sigmoid"'),
        ("gru(0)", "[N, 5, 6]", "E-value", "0"),
        ("gru(4, dropout=1.0)", "[N, 5, 6]", "E-value", "1.0"),
    ],
)
def test_errors_are_positioned(stage, shape, code, text):
    diag = diagnostic(spec(stage, shape))
    assert diag.code == code
    assert diag.span.text() == text


def test_dropout_with_one_layer_is_a_warning():
    (analysis,) = check_text(spec("gru(4, dropout=0.3)"))
    assert [w.code for w in analysis.warnings] == ["W-dropout"]
    (analysis,) = check_text(spec("gru(4, layers=2, dropout=0.3)"))
    assert not analysis.warnings


# --- PyTorch --------------------------------------------------------------------------------


def test_build_writes_one_call_that_binds_every_output(tmp_path):
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.source import torch_source
    from netspec.backends.torch.to_torch import to_torch

    text = (
        "network R {\n    input x: [N, 5, 6]\n    seq, h, c = lstm(4, layers=2)\n"
        "    from h\n    hh = transpose(0, 1) flatten linear(3)\n    output seq, hh, c\n}\n"
    )
    (analysis,) = check_text(text)
    source = torch_source(analysis.graph)
    forward = source[source.index("def forward") :]
    assert forward.count("self.seq(") == 1
    assert "= self.seq(x, states=True)" in forward
    assert "self.h " not in source and "self.c " not in source  # no modules of their own
    namespace: dict = {}
    exec(compile(source, str(tmp_path / "r.py"), "exec"), namespace)
    model = to_torch(analysis.graph, seed=0).eval()
    assert sum(p.numel() for p in model.parameters()) == analysis.totals.params
    assert "seq.weight_hh_l1" in model.state_dict()
    seq, hh, c = model(torch.zeros(3, 5, 6))
    assert (tuple(seq.shape), tuple(hh.shape), tuple(c.shape)) == ((3, 5, 4), (3, 3), (2, 3, 4))


def test_the_states_are_pytorchs():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    (analysis,) = check_text(spec("gru(4, layers=2, bidirectional=true)", names="seq, h"))
    model = to_torch(analysis.graph, seed=0).eval()
    reference = pytorch("gru", 6, 4, 2, True)
    reference.load_state_dict({k.removeprefix("seq."): v for k, v in model.state_dict().items()})
    x = torch.randn(3, 5, 6)
    with torch.no_grad():
        ours, theirs = model(x), reference(x)
    assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])


# --- ONNX --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "layers", "bidirectional", "batch_first", "bias"),
    [c for c in itertools.product(sorted(GATES), (1, 2), (False, True), (True, False), (True,))]
    + [("lstm", 2, True, True, False), ("gru", 1, False, False, False)],
)
def test_onnx_matches_pytorch(op, layers, bidirectional, batch_first, bias):
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    np = pytest.importorskip("numpy")
    from netspec.backends.onnx.to_onnx import to_onnx
    from netspec.backends.torch.to_torch import to_torch

    shape = "[N, 5, 6]" if batch_first else "[5, N, 6]"
    extra = ', nonlinearity="relu"' if op == "rnn" and layers == 2 else ""
    text = spec(stage(op, 4, layers, bidirectional, batch_first, bias)[:-1] + extra + ")",
                shape, names_of(op))  # fmt: skip
    (analysis,) = check_text(text)
    model = to_torch(analysis.graph, seed=0).eval()
    x = torch.randn(3, 5, 6) if batch_first else torch.randn(5, 3, 6)
    with torch.no_grad():
        expected = model(x)
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    proto = to_onnx(analysis.graph, weights, opset=13)
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(proto.SerializeToString())
    got = session.run(None, {"x": x.numpy()})
    for ours, theirs in zip(expected, got, strict=True):
        assert ours.shape == theirs.shape
        assert float(np.abs(ours.numpy() - theirs).max()) <= 1e-4


# --- the zoo's lstm_lm -----------------------------------------------------------------------


def test_lstm_lm_is_zaremba_et_als_medium_model():
    (analysis,) = check("lstm_lm")
    assert analysis.totals.trainable_params == 19_780_400
    lstm = analysis.statement("lstm")
    assert lstm.counts.params == 2 * (4 * (650 * 650 + 650 * 650) + 2 * 4 * 650) == 6_770_400
    gates = 2 * 35 * 4 * (650 * 650 + 650 * 650)
    assert gates == 236_600_000 and 35 * 650 * 10_000 == 227_500_000
    assert analysis.totals.macs == gates + 227_500_000 == 464_100_000


def test_lstm_lm_explanation_walks_the_layers():
    (analysis,) = check("lstm_lm")
    (layer,) = (layer for layer in analysis.layers if layer.op == "lstm")
    explained = REGISTRY["lstm"].explain(layer.attrs, layer.input_shapes, layer.output_shape)
    params = {step.label: step.result for step in explained.params.steps}
    assert params["layer 0, per direction"] == "3,385,200"
    macs = [step.result for step in explained.macs.steps]
    assert macs == ["118,300,000", "118,300,000", "236,600,000"]
    assert explained.flops.value == layer.cost.flops
    assert explained.connections.value == layer.connections
    assert explained.window.value == GLOBAL


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_the_lowering_oracle_holds_with_the_states_bound(device):
    """Layer by layer: shapes (the states from the sequence's module), parameters and
    FlopCounterMode's FLOPs (oneDNN's fused LSTM on the CPU, matmuls on meta)."""
    from tests.test_lowering_oracle import agree

    text = (
        "network R {\n    input x: [N, 5, 6]\n"
        "    seq, h, c = lstm(4, layers=2, bidirectional=true)\n"
        "    from c\n    cc = transpose(0, 1) flatten linear(3)\n    output seq, h, cc\n}\n"
    )
    (analysis,) = check_text(text)
    agree(analysis, device)


def test_a_huge_layer_count_is_refused_before_anything_is_listed():
    from tests.conftest import diagnostic

    d = diagnostic("network R {\n    input x: [N, 5, 4]\n    lstm(4, layers=1000000000)\n}\n")
    assert d.code == "E-limit" and "1,000,000,000 layers" in d.message
