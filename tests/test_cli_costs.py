"""The command line's cost, receptive-field and memory options, diff and budgets."""

from __future__ import annotations

import json

import pytest

from netspec.report.schema import Report
from tests.test_cli import run


def test_json_carries_costs_fields_and_memory_by_the_contract(capsys):
    code, out, _ = run(capsys, "check", "vgg16", "--format", "json", "--dtype", "float16")
    assert code == 0
    [net] = Report.model_validate_json(out).networks
    t = net.totals
    assert (t.macs, t.convention, t.cost, t.cost_complete) == (15_470_264_320, "macs", t.macs, True)
    assert t.input_shapes == {"image": ["N", 3, 224, 224]}
    assert t.param_bytes == 2 * 138_357_544 and t.dtype == "float16"
    pool5 = [x for x in net.layers if x.path == "stage5.maxpool1"][0]
    assert pool5.receptive_field.size == [212, 212]
    assert pool5.receptive_field.stride == [32, 32]
    assert pool5.receptive_field.padding == [90, 90]
    assert pool5.activation_bytes == 2 * 512 * 7 * 7


def test_incomplete_convention_is_marked_not_summed_silently(capsys, monkeypatch):
    """A layer a convention has no figure for (none today: subsample's and rbf's torchinfo
    rules are made to answer None here, as a rule does for a module it cannot predict)."""
    from netspec.ops import REGISTRY
    from netspec.ops.base import ToolRule

    for op in ("subsample", "rbf"):
        monkeypatch.setattr(REGISTRY[op], "torchinfo", ToolRule(lambda _: None, lambda _: ""))
    code, out, _ = run(capsys, "check", "lenet5", "--format", "json", "--convention", "torchinfo")
    totals = json.loads(out)["networks"][0]["totals"]
    assert code == 0 and totals["cost_complete"] is False
    assert "S2.subsample" in totals["uncounted"] and "output" in totals["uncounted"]
    code, out, _ = run(capsys, "check", "lenet5", "--convention", "torchinfo")
    assert "INCOMPLETE: no formula for" in out and "no formula" in out


def test_table_names_the_convention_and_input_and_reads_large_numbers(capsys):
    code, out, _ = run(capsys, "check", "resnet50", "--top", "3")
    assert code == 0
    assert "4,089,184,256 (4.09 G)" in out and "convention 'macs'" in out
    assert "input image [N, 3, 224, 224]" in out
    assert "heaviest layers (multiply-adds):" in out and "top 3 together" in out
    assert "427 /32 p213" in out  # layer4's receptive field


def test_columns_choose_what_the_table_shows(capsys):
    code, out, _ = run(capsys, "check", "lenet5", "--columns", "rf,share")
    assert code == 0 and "receptive field" in out and "share" in out
    assert "connections ┃" not in out and "output shape" not in out
    code, _, err = run_usage(capsys, "check", "lenet5", "--columns", "params,weight")
    assert code == 2 and "unknown column weight" in err


def run_usage(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        run(capsys, *args)
    return exc.value.code, *capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--max-params", "26M", "--max-macs", "4.1G"), 0),
        (("--max-params", "25_557_032"), 0),
        (("--max-params", "25.5M"), 3),
        (("--max-macs", "4e9"), 3),
    ],
)
def test_budgets_exit_3_when_exceeded(capsys, args, code):
    got, _, err = run(capsys, "check", "resnet50", "--format", "json", *args)
    assert got == code
    if code:
        assert "budget exceeded: ResNet50 has" in err


def test_bad_budget_is_a_usage_error(capsys):
    code, _, err = run_usage(capsys, "check", "resnet50", "--max-macs", "lots")
    assert code == 2 and "expected a count such as 25M" in err


def test_diff_alexnet_with_and_without_its_two_gpu_groups(capsys):
    code, out, _ = run(
        capsys, "diff", "alexnet", "alexnet", "--set-b", "gpus=1", "--format", "json"
    )
    assert code == 0
    [pair] = json.loads(out)["diff"]
    assert pair["totals"]["delta"]["params"] == 1_413_120
    deltas = {s["name"]: s["delta"]["params"] for s in pair["statements"]}
    assert deltas == {
        "conv1": 0, "pool1": 0, "conv2": 307_200, "pool2": 0, "conv3": 0,
        "conv4": 663_552, "conv5": 442_368, "pool5": 0, "fc6": 0, "fc7": 0, "fc8": 0,
    }  # fmt: skip
    code, out, _ = run(capsys, "diff", "alexnet", "alexnet", "--set-b", "gpus=1")
    assert "+1,413,120" in out and "AlexNet(classes=1000, gpus=1)" in out


def test_diff_of_two_different_specs_lists_statements_of_both(capsys):
    code, out, _ = run(capsys, "diff", "resnet18", "resnet34", "--format", "json")
    [pair] = json.loads(out)["diff"]
    assert code == 0
    assert pair["totals"]["delta"]["params"] == 21_797_672 - 11_689_512
    assert pair["totals"]["delta"]["cost"] == 3_663_761_408 - 1_814_073_344


def test_diff_reports_spec_errors(capsys, tmp_path):
    bad = tmp_path / "bad.netspec"
    bad.write_text("network B {\n    input x: [N, 3]\n    y = conv(4, 3)\n}\n")
    code, _, err = run(capsys, "diff", "lenet5", str(bad))
    assert code == 1 and "E-shape" in err
