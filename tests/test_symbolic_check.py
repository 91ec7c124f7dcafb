"""Symbolic sizes through the check (issue 15, items 2 and 4): `[N, 3, H, W]` gives every
shape and figure as a formula of H and W, exact on the sizes the report names, checked
against the numeric analysis at every such size up to 512; ResNet-18's and ResNet-50's
multiply-adds from their formulas; the JSON report (schema 3) and `explain`.
"""

from __future__ import annotations

import json

import pytest

from netspec.api import check, check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.report.accepted import describe
from netspec.report.schema import Report
from netspec.symbolic.symint import formula

SYMBOLIC = {"image": ["N", 3, "H", "W"]}


def _totals(analysis) -> dict[str, int]:
    t = analysis.totals
    return {"params": t.params, "connections": t.connections, "macs": t.macs, "flops": t.flops}


@pytest.mark.parametrize("spec", ["resnet18", "mobilenet_v2"])
def test_formulas_equal_the_numeric_analysis_wherever_they_are_said_to_hold(spec):
    [a] = check(spec, input_shapes=SYMBOLIC)
    sizes = a.graph.sizes
    assert sizes.names == ("H", "W") and sizes.hint == 224 and not sizes.pinned
    members = sizes.region.members(1, 512)
    assert 224 in members and len(members) >= 10
    formulas = _totals(a)
    for s in members[:: max(1, len(members) // 6)]:  # every sixth: a numeric check each
        [numeric] = check(spec, input_shapes={"image": [1, 3, s, s]})
        for key, value in _totals(numeric).items():
            assert formula(formulas[key]).at({"H": s, "W": s}) == value, (spec, s, key)
        i = max(j for j, layer in enumerate(a.layers) if len(layer.output_shape) == 4)
        height = formula(a.layers[i].output_shape[2])
        assert height.at({"H": s}) == numeric.layers[i].output_shape[2], (spec, s)


def test_resnet18_at_128_and_a_rectangle_from_one_formula():
    [a] = check("resnet18", input_shapes=SYMBOLIC)
    macs = a.totals.macs.expr
    assert macs.at({"H": 128, "W": 128}) == 592_695_296  # the figure
    [rect] = check("resnet18", input_shapes={"image": [1, 3, 256, 192]})
    assert macs.at({"H": 256, "W": 192}) == rect.totals.macs


def test_resnet50_formula_gives_todays_figure_at_224():
    [a] = check("resnet50", input_shapes=SYMBOLIC)
    assert a.totals.macs.expr.at({"H": 224, "W": 224}) == 4_089_184_256
    assert describe(a.graph.sizes.accepted) == "221-224"  # its checkpoints' numbers


def test_unet_output_is_the_input_rounded_down_to_16():
    [a] = check("unet", input_shapes={"image": ["N", 1, "H", "W"]})
    assert [str(d) for d in a.graph.shape(a.graph.outputs[0][1])] == [
        "N",
        "2",
        "16 * floor(H / 16)",
        "16 * floor(W / 16)",
    ]


def test_a_size_independent_network_has_exact_formulas_everywhere():
    [a] = check_text("network S {\n    input x: [N, 3, H, W]\n    conv(8, 3, padding=1) relu\n}\n")
    assert str(a.totals.macs) == "216 * H * W"
    # from 3: at 1 and 2 a 3x3 window meets padding on both sides, counted otherwise
    assert describe(a.graph.sizes.region).startswith("3-")


def test_json_report_writes_formulas(capsys):
    code = main(["check", "resnet18", "--input-shape", "image=[N,3,H,W]", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    Report.model_validate(doc)
    network = doc["networks"][0]
    assert doc["schema_version"] == 3
    assert network["sizes"]["names"] == ["H", "W"] and network["sizes"]["traced_at"] == 224
    assert network["sizes"]["accepted"] == "32-262144 step 32"
    assert network["layers"][0]["output_shape"] == [
        "N",
        64,
        "floor((H - 1) / 2) + 1",
        "floor((W - 1) / 2) + 1",
    ]
    assert network["totals"]["params"] == 11_689_512  # a constant stays a number
    assert "floor(" in network["totals"]["macs"]


def test_explain_shows_the_formulas_beside_the_numbers(capsys):
    code = main(["explain", "resnet18", "stem", "--input-shape", "image=[N,3,H,W]"])
    out = capsys.readouterr().out
    assert code == 0
    assert "floor((224 + 2·3 - 1·(7-1) - 1)/2) + 1 = floor(223/2) + 1 = 112" in out
    assert "stem.conv in H, W" in out
    assert "output shape   [N, 64, floor((H - 1) / 2) + 1, floor((W - 1) / 2) + 1]" in out


def test_a_reshape_couples_the_sizes_and_the_report_says_so():
    text = (
        "network J {\n    input x: [N, 4, H, W]\n    conv(8, 3, stride=2, padding=1) relu\n"
        "    reshape([N, 288]) linear(10)\n}\n"
    )
    [a] = check_text(text)
    sizes = a.graph.sizes
    assert describe(sizes.accepted) == "11-12"  # 8 * 6 * 6 = 288: H = W = 11 or 12
    [joint] = sizes.joint
    assert joint.endswith("- 280 = 0") and "floor((H - 1) / 2) * floor((W - 1) / 2)" in joint


def test_no_accepted_size_is_refused_in_numbers_and_says_why():
    text = "network B {\n    input x: [N, 3, H, W]\n    conv(8, 3) relu   -> [N, 8, 5, 7]\n}\n"
    with pytest.raises(CompileError) as info:
        check_text(text)
    [d] = info.value.diagnostics
    assert d.code == "E-checkpoint" and "gives [N, 8, 1, 1]" in d.message  # at s = 3
    assert "no H = W = s is accepted (every size" in d.notes[-1]
