"""The torchinfo and fvcore conventions against the tools themselves.

tests/data/conventions.json holds what torchinfo 1.8.0 ("Mult-Adds") and fvcore 0.1.5
(FlopCountAnalysis, eval mode) reported for single PyTorch modules and for torchvision
0.28's models, measured by tools/measure_conventions.py (its header says how to run
it). netspec must reproduce every figure from the spec alone.
"""

from __future__ import annotations

import json

import pytest

from netspec.analysis.conventions import CONVENTIONS, costs
from netspec.api import check_text
from tests.conftest import ROOT
from tests.test_zoo import analysis

DATA = json.loads((ROOT / "tests" / "data" / "conventions.json").read_text(encoding="utf-8"))
SPEC_OF = {"alexnet": "alexnet_torchvision"}  # torchvision name -> zoo spec

# measured key -> netspec convention
MEASURED = {"torchinfo_total_mult_adds": "torchinfo", "fvcore_eval": "fvcore"}


@pytest.mark.parametrize("net", DATA["networks"], ids=lambda n: n["name"])
@pytest.mark.parametrize("key", sorted(MEASURED))
def test_network_totals_reproduce_the_tool(net, key):
    a = analysis(SPEC_OF.get(net["name"], net["name"]))
    result = costs(a, MEASURED[key])
    assert result.complete
    assert result.total == net[key]


def test_conventions_differ_as_the_tools_do():
    """On ResNet-50 the four conventions give four different numbers."""
    a = analysis("resnet50")
    totals = {name: costs(a, name).total for name in CONVENTIONS}
    assert len(set(totals.values())) == 4
    assert totals["macs"] == 4_089_184_256


_ARGS = {
    "conv": ("out_channels", "kernel"),
    "conv_transpose": ("out_channels", "kernel"),
    "linear": ("out_features",),
    "adaptive_avgpool": ("size",),
    "adaptive_maxpool": ("size",),
    "maxpool": ("kernel",),
    "avgpool": ("kernel",),
    "upsample": ("scale",),
}
_SKIP = {"op", "note", "alias", *{a for args in _ARGS.values() for a in args}}


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    return repr(value)


def stage(desc: dict) -> str:
    args = [_literal(desc[a]) for a in _ARGS.get(desc["op"], ()) if a in desc]
    args += [f"{k}={_literal(v)}" for k, v in desc.items() if k not in _SKIP]
    return f"{desc['op']}({', '.join(args)})" if args else desc["op"]


SINGLE = [
    m for m in DATA["modules"] if m["desc"]["op"] not in ("custom", "sequence", "add", "concat")
]


@pytest.mark.parametrize("case", SINGLE, ids=lambda m: m["id"])
def test_single_module_figures(case):
    dims = ", ".join(map(str, case["in"]))
    text = f"network T {{\n    input x: [{dims}]\n    y = {stage(case['desc'])}\n}}\n"
    (a,) = check_text(text)
    assert list(a.layers[-1].output_shape) == case["out"]
    assert costs(a, "torchinfo").total == case["torchinfo_macs"], text
    assert costs(a, "fvcore").total == case["fvcore_eval"], text


# The modules netspec's PyTorch lowering adds (netspec/backends/torch/runtime/), measured
# on the built modules (netspec.to_torch) with torchinfo 1.8.0 and fvcore 0.1.5 (eval) with
# batch 2: spec stage, input, torchinfo Mult-Adds, fvcore total.
C3_TABLE = (
    "[[0,1,2],[1,2,3],[2,3,4],[3,4,5],[0,4,5],[0,1,5],[0,1,2,3],[1,2,3,4],[2,3,4,5],"
    "[0,3,4,5],[0,1,4,5],[0,1,2,5],[0,1,3,4],[1,2,4,5],[0,2,3,5],[0,1,2,3,4,5]]"
)
LOWERED = [
    (f"conv(16, 5, connect={C3_TABLE})", "[2, 6, 14, 14]", 303_200, 480_000),
    ("subsample(2)", "[2, 6, 28, 28]", 24, 0),
    ("rbf(10)", "[2, 84]", 1_680, 0),
    ("rbf(10, trainable=true)", "[2, 84]", 1_680, 0),
    ("partial_conv(8, 3, mask=m, padding=1)", "[2, 3, 16, 16]", 114_688, 110_592),
    ("partial_conv(8, 3, mask=m, padding=2, dilation=2)", "[2, 3, 16, 16]", 114_688, 110_592),
    ('avgpool(3, stride=2, padding="same")', "[2, 3, 16, 16]", 0, 0),
    ("avgpool(3, stride=1, dilation=2)", "[2, 3, 16, 16]", 0, 0),
    ('maxpool(3, stride=2, padding="same")', "[2, 3, 16, 16]", 0, 0),
    ('conv(8, 3, stride=2, padding="same")', "[2, 3, 16, 16]", 28_672, 27_648),
]


@pytest.mark.parametrize(("stage_text", "shape", "torchinfo", "fvcore"), LOWERED)
def test_lowered_custom_modules(stage_text, shape, torchinfo, fvcore):
    mask = "    input m: [2, 1, 16, 16]\n" if "mask" in stage_text else ""
    text = f"network T {{\n    input x: {shape}\n{mask}    {stage_text}\n}}\n"
    (a,) = check_text(text)
    assert (costs(a, "torchinfo").total, costs(a, "fvcore").total) == (torchinfo, fvcore)


@pytest.mark.parametrize(
    ("batch", "torchinfo", "fvcore"), [(1, 333_072, 415_680), (3, 999_216, 1_247_040)]
)
def test_lenet5_is_complete_under_every_convention(batch, torchinfo, fvcore):
    """Measured on netspec.to_torch("lenet5") with torchinfo.summary and FlopCountAnalysis."""
    (a,) = check_text((ROOT / "specs" / "lenet5.netspec").read_text().replace("[N,", f"[{batch},"))
    info, fv = costs(a, "torchinfo"), costs(a, "fvcore")
    assert info.complete and fv.complete
    assert (info.total, fv.total) == (torchinfo, fvcore)
