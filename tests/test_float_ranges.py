"""Issue 13, defect 5: every float argument of every op has a range, checked at `check`.

Before, `bn(eps=-1)` passed check, build and export (torch refused it in forward, the
ONNX model computed NaN), and `elu(alpha=-1e308)`, `leaky_relu(slope=1e300)` overflowed
in torch. The rendered errors are goldens (tests/errors/float_*.netspec); here: that no
float parameter lacks an interval, that its default lies inside it, that docs/ops.md
lists each, and that out-of-range values are positioned E-value errors.
"""

from __future__ import annotations

import pytest

import netspec
from netspec.errors import CompileError
from netspec.ops import REGISTRY
from netspec.ops.base import Interval
from netspec.source import Source
from tests.conftest import ROOT

FLOATS = [(op.name, p) for op in REGISTRY.values() for p in op.params if p.kind == "float"]


def test_there_are_float_parameters():
    assert {name for name, _ in FLOATS} >= {"bn", "lrn", "elu", "leaky_relu", "dropout"}


@pytest.mark.parametrize(("op", "param"), FLOATS, ids=[f"{o}.{p.name}" for o, p in FLOATS])
def test_every_float_parameter_declares_a_range_holding_its_default(op, param):
    assert isinstance(param.interval, Interval), f"{op}({param.name}=...) declares no interval"
    # a required argument (drop_path's p) has no default to hold; a default of none lets
    # the op pick its own value (rms_norm's eps: PyTorch's machine epsilon)
    held = param.required or param.default is None or param.default in param.interval
    assert held, f"{op}: default {param.default}"
    assert param.interval.low >= -1e6 and param.interval.high <= 1e6  # no float32 overflow


def test_docs_list_every_range():
    text = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    for op, p in FLOATS:
        assert f"| `{op}` | `{p.name}` | {p.interval} |" in text, f"docs/ops.md: {op}.{p.name}"


def test_interval_ends():
    closed, half = Interval(0, 1), Interval(0, 1, open_low=True)
    assert 0 in closed and 1 in closed and 0 not in half and 1 in half
    assert float("nan") not in closed and 1.5 not in closed and "a" not in closed
    assert (str(closed), str(half), str(Interval(0, 1, open_high=True))) == (
        "[0, 1]",
        "(0, 1]",
        "[0, 1)",
    )


@pytest.mark.parametrize(
    ("stage", "written", "message"),
    [
        ("bn(eps=-1)", "-1", "bn: eps must be in (0, 1], got -1"),
        ("elu(alpha=-1e308)", "-1e308", "elu: alpha must be in [-1e6, 1e6]"),
        ("leaky_relu(slope=1e300)", "1e300", "leaky_relu: slope must be in [-1e6, 1e6]"),
        ("bn(momentum=1.5)", "1.5", "bn: momentum must be in [0, 1], got 1.5"),
        ("dropout(p=1)", "1", "dropout: p must be in [0, 1), got 1"),
        ("lrn(k=0)", "0", "lrn: k must be in (0, 1e6], got 0"),
        ("scaled_tanh(s=2e6)", "2e6", "scaled_tanh: s must be in [-1e6, 1e6]"),
    ],
)
def test_out_of_range_is_a_positioned_error_at_check(stage, written, message):
    text = f"network T {{\n    input x: [N, 4, 8, 8]\n    {stage}\n}}\n"
    with pytest.raises(CompileError) as info:
        netspec.check(Source("t.netspec", text))
    (diag,) = info.value.diagnostics
    assert diag.code == "E-value" and message in diag.message
    assert (diag.span.line, diag.span.text()) == (3, written)


def test_defaults_statement_is_checked_too():
    text = "defaults bn(eps=0)\nnetwork T {\n    input x: [N, 4]\n    bn\n}\n"
    with pytest.raises(CompileError) as info:
        netspec.check(Source("t.netspec", text))
    (diag,) = info.value.diagnostics
    assert diag.code == "E-value" and (diag.span.line, diag.span.text()) == (1, "0")


def test_values_inside_stay_accepted():
    text = (
        "network T {\n    input x: [N, 4, 8, 8]\n"
        "    bn(eps=1, momentum=0) elu(alpha=-1e6) leaky_relu(slope=1e6) dropout(p=0)\n"
        "    lrn(alpha=0, beta=0, k=1e6) scaled_tanh(a=-3, s=0)\n}\n"
    )
    (analysis,) = netspec.check(Source("t.netspec", text))
    assert len(analysis.layers) == 6
