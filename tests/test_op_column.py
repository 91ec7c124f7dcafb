"""The op column and the JSON statements' `description` say what was built (issue 13, 15).

Compact forms for every statement, block calls with their arguments bound by name (on
statement rows and on `--depth` rows), repeats folded, the source only where shorter.
"""

from __future__ import annotations

import json
import re

from netspec.api import check, check_text
from netspec.cli.main import main
from netspec.report.figures import figures
from netspec.report.json_report import network_json
from netspec.report.table import rows

SPEC = """
block stage(width, n, stride) {
    conv(width, 3, stride=stride, padding=1) bn relu
    repeat n - 1 { conv(width, 3, padding=1) bn relu }
}

network T(n=3, wide=false) {
    input x: [N, 3, 32, 32]
    s = stage(16, n, 1)
    repeat 3 { conv(8, 3, padding=1) relu }
    repeat 4 as i { conv(8 * (i + 1), 1) }
    if wide { conv(4, 1) }
    t = conv(16, 3, padding=1) bn relu maxpool(2)
}
"""


def descriptions(analysis) -> dict[str, str]:
    from netspec.report.describe import statement_description

    return {s.name: statement_description(analysis, i) for i, s in enumerate(analysis.statements)}


def test_statements_say_what_they_built():
    [analysis] = check_text(SPEC)
    assert descriptions(analysis) == {
        "s": "stage(width=16, n=3, stride=1)",  # bound by name, `n` evaluated
        "repeat1": "3 × (conv 3x3 /1, 8 p1 · relu)",
        "repeat2": "repeat 4 as i { conv(8 * (i + 1), 1) }",  # shorter than its 4 convs
        "if1": "-",
        "t": "conv 3x3 /1, 16 p1 · bn · relu · maxpool 2x2 /2",  # 4 layers, still compact
    }


def test_resnet50_rows_show_calls_with_named_arguments():
    [analysis] = check("resnet50")
    ops = {r.name: r.op for r in rows(figures(analysis))}
    assert ops["stem"] == "conv 7x7 /2, 64 p3 · bn · relu · maxpool 3x3 /2 p1"
    assert ops["layer1"] == "stage(width=64, blocks=3, stride=1)"
    assert ops["layer2"] == "stage(width=128, blocks=4, stride=2)"
    deep = {r.name: r.op for r in rows(figures(analysis), 1)}
    assert deep["layer1.bottleneck1"] == "bottleneck(width=64, stride=1)"  # not "12 layers"
    assert deep["layer2.bottleneck1"] == "bottleneck(width=128, stride=2)"
    assert deep["stem.conv"] == "conv 7x7 /2, 64 p3"


def test_depth_rows_below_a_call_and_without_one():
    from netspec.report.describe import group_description

    [analysis] = check("resnet50")
    layers = [i for i, x in enumerate(analysis.layers) if x.path.startswith("head.")]
    assert group_description(analysis, "head", layers) == ("global_avgpool · flatten · linear 1000")


def test_json_statements_carry_the_description(capsys):
    [analysis] = check_text(SPEC)
    doc = network_json(analysis)
    assert [s["description"] for s in doc["statements"]] == list(descriptions(analysis).values())
    assert main(["check", "resnet50", "--format", "json"]) == 0
    statements = json.loads(capsys.readouterr().out)["networks"][0]["statements"]
    assert statements[1]["description"] == "stage(width=64, blocks=3, stride=1)"


def test_the_table_shows_the_bound_call(capsys):
    assert main(["check", "resnet50", "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "bottleneck(width=256, stride=2)" in out and not re.search(r"\d+ layers", out)
