"""The activations of current networks and stochastic depth (netspec/ops/activation.py),
and gelu's tanh approximation: figures, argument checks, the PyTorch modules, and the
ONNX export at every opset where its operators change (13, the oldest netspec writes,
to 21), against PyTorch on inputs wide enough to reach every piece of each function
(hardswish's flat parts beyond ±3, softplus's threshold, gelu's tails).
"""

from __future__ import annotations

import re

import pytest

from netspec.api import check_text
from netspec.errors import CompileError
from netspec.ops import REGISTRY
from netspec.ops.base import POINTWISE, suggest_op

NEW = ("hardswish", "hardsigmoid", "mish", "softplus", "drop_path")
STAGES = (
    "hardswish",
    "hardsigmoid",
    "mish",
    "softplus",
    "softplus(beta=2.0)",
    "softplus(threshold=1.0)",
    "softplus(beta=0.5, threshold=2.0)",
    'gelu(approximate="tanh")',
    "gelu",
    "drop_path(0.2)",
)


def spec(stage: str, shape: str = "N, 4, 6, 6") -> str:
    return f"network T {{\n    input x: [{shape}]\n    y = {stage}\n}}\n"


def layer(stage: str, shape: str = "N, 4, 6, 6"):
    (analysis,) = check_text(spec(stage, shape))
    return analysis.layers[-1]


# ---- figures -----------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("shape", ["N, 4, 6, 6", "N, 7", "2, 3, 5", "N, 2, 3, 4, 5"])
def test_shape_kept_no_parameters_no_links(stage, shape):
    y = layer(stage, shape)
    dims = tuple(int(d) if d.strip().isdigit() else d.strip() for d in shape.split(","))
    assert y.output_shape == dims
    assert (y.counts.trainable, y.counts.fixed, y.counts.buffers) == (0, 0, 0)
    assert y.connections == 0
    assert REGISTRY[y.op].receptive(y.attrs, (dims,), dims) == POINTWISE


@pytest.mark.parametrize(
    ("stage", "flops"),
    [
        ("hardswish", 1),
        ("hardsigmoid", 1),
        ("mish", 1),
        ("softplus", 1),
        ("softplus(beta=2.0, threshold=1.0)", 1),  # beta and threshold are inside the function
        ('gelu(approximate="tanh")', 1),
        ("gelu", 1),
        ("drop_path(0.3)", 0),  # the identity at inference, as dropout
    ],
)
def test_costs(stage, flops):
    y = layer(stage, "2, 4, 6, 6")  # a concrete batch: 288 elements
    assert (y.cost.macs, y.cost.flops) == (0, flops * 2 * 4 * 6 * 6)


def test_families_and_views():
    assert {REGISTRY[op].family for op in NEW[:4]} == {"activation"}
    assert REGISTRY["drop_path"].family == "other"
    assert REGISTRY["drop_path"].view and not REGISTRY["mish"].view


def test_gelu_defaults_to_the_exact_function():
    assert layer("gelu").attrs["approximate"] == "none"
    assert layer('gelu(approximate="tanh")').attrs["approximate"] == "tanh"


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("drop_path(1.0)", "p must be in [0, 1), got 1.0"),
        ("drop_path(-0.1)", "p must be in [0, 1), got -0.1"),
        ("drop_path", "missing its argument 'p'"),  # no default: each network picks its rate
        ("softplus(beta=0.0)", "beta must be in (0, 1e6]"),
        ("softplus(beta=-1.0)", "beta must be in (0, 1e6]"),
        ('gelu(approximate="erf")', 'approximate must be one of "none", "tanh"'),
    ],
)
def test_arguments_out_of_range_are_errors(stage, message):
    with pytest.raises(CompileError, match=re.escape(message)):
        check_text(spec(stage))


@pytest.mark.parametrize(
    ("written", "meant"),
    [("StochasticDepth", "drop_path"), ("hswish", "hardswish"), ("Hardsigmoid", "hardsigmoid")],
)
def test_other_spellings_are_suggested(written, meant):
    assert suggest_op(written) == f"did you mean '{meant}'?"


def test_drop_path_explains_its_zero():
    op = REGISTRY["drop_path"]
    shape = ("N", 4, 6, 6)
    flops = op.explain({"p": 0.25}, (shape,), shape).flops
    assert flops.value == 0 and "training only" in flops.steps[0].note
    assert "0.75" in flops.steps[0].note


# ---- PyTorch -----------------------------------------------------------------------

torch = pytest.importorskip("torch")
to_torch = pytest.importorskip("netspec.backends.torch.to_torch").to_torch
F = torch.nn.functional

REFERENCE = {
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "mish": F.mish,
    "softplus": F.softplus,
    "softplus(beta=2.0)": lambda x: F.softplus(x, beta=2.0),
    "softplus(threshold=1.0)": lambda x: F.softplus(x, threshold=1.0),
    "softplus(beta=0.5, threshold=2.0)": lambda x: F.softplus(x, beta=0.5, threshold=2.0),
    'gelu(approximate="tanh")': lambda x: F.gelu(x, approximate="tanh"),
    "gelu": F.gelu,
    "drop_path(0.2)": lambda x: x,
}


def wide(*shape: int):
    """Standard normal inputs times 5: past ±3, past softplus thresholds."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0)) * 5


@pytest.mark.parametrize("stage", STAGES)
def test_torch_module_computes_the_function(stage):
    (analysis,) = check_text(spec(stage))
    module = to_torch(analysis.graph, seed=0).eval()
    x = wide(3, 4, 6, 6)
    with torch.no_grad():
        assert torch.allclose(module(x), REFERENCE[stage](x), atol=1e-6, rtol=0)


def test_drop_path_drops_whole_samples_while_training():
    (analysis,) = check_text(spec("drop_path(0.5)"))
    module = to_torch(analysis.graph, seed=0)
    x = torch.rand(400, 4, 6, 6) + 1.0  # no zeros of its own
    assert module.eval()(x) is x  # inference: its input, untouched
    torch.manual_seed(0)
    y = module.train()(x)
    kept = (y != 0).flatten(1)
    assert (kept.all(1) | ~kept.any(1)).all(), "a sample is dropped whole or kept whole"
    survivors = kept.all(1)
    assert torch.allclose(y[survivors], x[survivors] * 2)  # scaled by 1 / (1 - p)
    assert 150 < int(survivors.sum()) < 250  # about half of 400 survive


def test_drop_path_source_is_standalone():
    from netspec.backends.torch.source import torch_source

    (analysis,) = check_text(spec("drop_path(0.1)"))
    text = torch_source(analysis.graph)
    assert "class DropPath(nn.Module)" in text and "DropPath(0.1)" in text


# ---- ONNX --------------------------------------------------------------------------

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")
to_onnx_module = pytest.importorskip("netspec.backends.onnx.to_onnx")

EVERY = "concat { " + " | ".join(STAGES) + " }"  # every new op and form, from one input
NEWER = {"HardSwish": 14, "Mish": 18, "Gelu": 20}  # ONNX operators newer than opset 13


@pytest.mark.parametrize("opset", [13, 14, 17, 18, 20, 21])
def test_onnx_matches_pytorch_at_every_opset(opset):
    from tests.test_to_onnx import assert_shapes, state

    (analysis,) = check_text(spec(EVERY))
    module = to_torch(analysis.graph, seed=0).eval()
    model = to_onnx_module.build(analysis.graph, state(module), opset=opset).proto()
    onnx.checker.check_model(model, full_check=True)
    assert_shapes(analysis.graph, model)  # strict shape inference equals the analysis
    used = {node.op_type for node in model.graph.node}
    assert {op for op, since in NEWER.items() if since <= opset} <= used
    assert not {op for op, since in NEWER.items() if since > opset} & used
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = wide(3, 4, 6, 6)
    with torch.no_grad():
        expected = module(x).numpy()
    (got,) = session.run(None, {"x": x.numpy()})
    assert np.abs(got - expected).max() <= 1e-4


def test_exact_gelu_exports_as_before():
    """approximate="none" is Gelu's default attribute: the node is written without it."""
    (analysis,) = check_text(spec('concat { gelu | gelu(approximate="tanh") }'))
    model = to_onnx_module.to_onnx(analysis.graph, opset=21)
    gelus = [n for n in model.graph.node if n.op_type == "Gelu"]
    assert [[(a.name, a.s) for a in n.attribute] for n in gelus] == [[], [("approximate", b"tanh")]]


@pytest.mark.parametrize(
    ("stage", "nodes"),
    [
        ("softplus", ["Softplus"]),  # above 20, log(1 + e^x) is x in float32
        ("softplus(beta=2.0)", ["Mul", "Softplus", "Div"]),
        ("softplus(threshold=1.0)", ["Softplus", "Greater", "Where"]),
    ],
)
def test_softplus_writes_out_what_onnx_lacks(stage, nodes):
    (analysis,) = check_text(spec(stage))
    model = to_onnx_module.to_onnx(analysis.graph, opset=13)
    assert [n.op_type for n in model.graph.node] == nodes
