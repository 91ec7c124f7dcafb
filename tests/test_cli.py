"""The command line as users run it: formats, options, zoo names, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from netspec.cli.main import main
from netspec.report.schema import Report
from tests.conftest import ROOT


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_shows_lenet5_as_the_paper_tables_it(capsys):
    code, out, _ = run(capsys, "check", str(ROOT / "specs" / "lenet5.netspec"))
    assert code == 0
    for figure in (
        "122,304",
        "5,880",
        "151,600",
        "2,000",
        "48,120",
        "10,164",
        "840",
        "340,908",
        "60,000",
        "[N, 16, 10, 10]",
    ):
        assert figure in out


def test_zoo_spec_by_name(capsys):
    code, out, _ = run(capsys, "check", "resnet50")
    assert code == 0
    assert "25,557,032" in out and "stage(width=128, blocks=4, stride=2)" in out


def test_json_follows_the_report_contract(capsys):
    code, out, _ = run(capsys, "check", "lenet5", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    report = Report.model_validate(doc)
    assert report.schema_version == 3
    [net] = report.networks
    assert net.name == "LeNet5"
    assert net.inputs == {"image": ["N", 1, 32, 32]}
    assert net.outputs == {"output": ["N", 10]}
    assert (net.totals.params, net.totals.trainable_params) == (60840, 60000)
    assert net.totals.connections == 340908
    assert [s.name for s in net.statements] == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]
    c1 = net.layers[0]
    assert (c1.path, c1.op, c1.statement) == ("C1.conv", "conv", "C1")
    assert c1.input_shapes == [["N", 1, 32, 32]] and c1.output_shape == ["N", 6, 28, 28]
    assert (c1.params, c1.trainable_params, c1.buffers, c1.connections) == (156, 156, 0, 122304)


def test_csv_has_one_row_per_layer(capsys):
    code, out, _ = run(capsys, "check", "lenet5", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 14
    assert rows[4]["path"] == "C3.conv" and rows[4]["connections"] == "151600"


def test_markdown_table(capsys):
    code, out, _ = run(capsys, "check", "lenet5", "--format", "markdown")
    assert code == 0
    assert "## LeNet5" in out and "| C1.conv | conv |" in out and "340,908 connections" in out


def test_depth_expands_blocks(capsys):
    _, shallow, _ = run(capsys, "check", "resnet50")
    _, deep, _ = run(capsys, "check", "resnet50", "--depth", "1")
    assert "layer1.bottleneck1" not in shallow
    assert "layer1.bottleneck1" in deep and "layer4.bottleneck3" in deep


def test_set_overrides_a_network_parameter(capsys):
    code, out, _ = run(capsys, "check", "resnet50", "--set", "classes=10", "--format", "json")
    assert code == 0
    net = json.loads(out)["networks"][0]
    assert net["parameters"] == {"classes": 10}
    assert net["totals"]["params"] == 25_557_032 - 2049 * 990
    assert net["outputs"]["head"] == ["N", 10]


def test_network_selects_one_of_several(capsys, tmp_path):
    spec = tmp_path / "two.netspec"
    spec.write_text(
        "network A {\n    input x: [N, 4]\n    linear(2)\n}\n"
        "network B {\n    input x: [N, 4]\n    linear(3)\n}\n"
    )
    _, both, _ = run(capsys, "check", str(spec), "--format", "json")
    assert [n["name"] for n in json.loads(both)["networks"]] == ["A", "B"]
    _, one, _ = run(capsys, "check", str(spec), "--network", "B", "--format", "json")
    assert [n["name"] for n in json.loads(one)["networks"]] == ["B"]


def test_bad_set_is_a_usage_error(capsys):
    code, _, err = run(capsys, "check", "lenet5", "--set", "oops")
    assert code == 2 and "NAME=VALUE" in err


def test_missing_file_is_a_clear_error(capsys):
    code, _, err = run(capsys, "check", "no/such/file.netspec")
    assert code == 1 and "error[E-file]" in err and "Traceback" not in err


def test_json_errors_are_machine_readable(capsys, tmp_path):
    spec = tmp_path / "bad.netspec"
    spec.write_text("network A {\n    input x: [N, 3, 8, 8]\n    conv(4, 3, strid=2)\n}\n")
    code, out, err = run(capsys, "check", str(spec), "--format", "json")
    assert code == 1
    [diag] = json.loads(out)["errors"]
    assert (diag["code"], diag["line"], diag["column"]) == ("E-arg", 3, 16)
    assert "did you mean 'stride'?" in err


def test_python_dash_m_and_no_torch_import():
    probe = (
        "import sys\n"
        "from netspec.cli.main import main\n"
        "code = main(['check', 'resnet50', '--format', 'json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'onnx', "
        "'onnxruntime'))\n"
        "sys.stderr.write(repr(heavy))\n"
        "sys.exit(code or (1 if heavy else 0))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "[]"
    version = subprocess.run(
        [sys.executable, "-m", "netspec", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("netspec ")


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_every_format_on_every_zoo_spec_runs(capsys, fmt):
    for spec in sorted((ROOT / "specs").glob("*.netspec")):
        code, out, err = run(capsys, "check", str(spec), "--format", fmt)
        assert code == 0, err
        assert out


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_check_into_a_closed_pipe_is_not_an_error(tmp_path, fmt):
    """`netspec check ... | head -c 10`: a report longer than a pipe buffers (2,000
    rows), the reader gone after ten bytes; was a BrokenPipeError traceback."""
    spec = tmp_path / "long.netspec"
    spec.write_text("network Long {\n    input x: [N, 8]\n" + "    relu\n" * 2000 + "}\n")
    command = [sys.executable, "-m", "netspec", "check", str(spec), "--format", fmt]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        first = process.stdout.read(10)
        process.stdout.close()
        err = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert len(first) == 10
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert status == 0
