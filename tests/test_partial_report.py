"""A failing spec still shows what it can: the report up to the statement of its first
error, that statement marked, on stdout; the errors on stderr; exit status 1."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from netspec.api import check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.report.schema import ErrorReport
from tests.conftest import ROOT

EXERCISE_2 = str(ROOT / "examples" / "exercises" / "02_wrong_feature_map_size.netspec")
EXERCISE_4 = str(ROOT / "examples" / "exercises" / "04_residual_channels.netspec")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, text: str) -> str:
    path = tmp_path / "spec.netspec"
    path.write_text(text)
    return str(path)


def test_table_stops_at_the_failing_statement_marked(capsys):
    code, out, err = run(capsys, "check", EXERCISE_2)
    assert code == 1
    names = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert names == ["conv1", "pool1", "conv2", "✗ conv3"]
    assert "[N, 64, 6, 6]" in out  # what conv3 gives, against the checkpoint's 7x7
    assert "parameters                 24,352" in out
    assert "SmallCNN is not accepted: the report stops at 'conv3'" in out
    assert "error[" not in out
    assert "error[E-checkpoint]" in err and err.endswith("the spec is not accepted\n")


def test_json_error_document_holds_the_partial_report(capsys):
    code, out, err = run(capsys, "check", EXERCISE_2, "--format", "json")
    assert code == 1 and "error[E-checkpoint]" in err
    doc = ErrorReport.model_validate_json(out, strict=True)
    assert doc.schema_version == 3
    assert [e.code for e in doc.errors] == ["E-checkpoint"]
    [net] = doc.partial.networks
    assert [s.name for s in net.statements] == ["conv1", "pool1", "conv2", "conv3"]
    assert net.statements[-1].output_shape == ["N", 64, 6, 6]
    assert net.totals.params == 1216 + 4640 + 18496
    assert [(f.network, f.statement) for f in doc.partial.failed] == [("SmallCNN", "conv3")]


def test_csv_and_markdown_print_the_partial_rows(capsys):
    code, out, _ = run(capsys, "check", EXERCISE_2, "--format", "csv")
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["statement"] for r in rows] == ["conv1", "conv1", "pool1", "conv2", "conv2"] + [
        "conv3",
        "conv3",
    ]
    code, out, _ = run(capsys, "check", EXERCISE_2, "--format", "markdown")
    assert code == 1
    assert "| conv3.conv |" in out or "| conv3 |" in out
    assert out.rstrip().endswith("where its first error is (on standard error)")


def test_an_error_inside_a_block_call_shows_the_layers_it_made(capsys):
    code, out, _ = run(capsys, "check", EXERCISE_4, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    [net] = doc["partial"]["networks"]
    assert [s["name"] for s in net["statements"]] == ["block1"]
    assert len(net["layers"]) == 6  # both convolutions of the first branch, bn, relu
    assert doc["partial"]["failed"] == [{"network": "Residual", "statement": "block1"}]


def test_nothing_elaborated_is_a_null_partial_and_an_empty_stdout(capsys, tmp_path):
    syntax = write(tmp_path, "network A {\n    input x: [N, 3, 8, 8\n}\n")
    code, out, err = run(capsys, "check", syntax, "--format", "json")
    assert code == 1 and json.loads(out)["partial"] is None
    code, out, err = run(capsys, "check", syntax)
    assert code == 1 and out == "" and "error[E-" in err


def test_a_failing_first_statement_is_a_row_without_layers(capsys, tmp_path):
    spec = write(tmp_path, "network A {\n    input x: [N, 3, 8, 8]\n    c = conv(4, 3, bad=1)\n}\n")
    code, out, _ = run(capsys, "check", spec, "--format", "json")
    assert code == 1
    [net] = json.loads(out)["partial"]["networks"]
    assert [s["name"] for s in net["statements"]] == ["c"] and net["layers"] == []
    assert net["inputs"] == {"x": ["N", 3, 8, 8]}


def test_later_statements_are_left_out_even_when_they_elaborate():
    text = (
        "network A {\n    input x: [N, 3, 8, 8]\n    a = conv(4, 3)\n"
        "    b = relu -> [N, 5, 6, 6]\n    c = conv(8, 1)\n}\n"
    )
    with pytest.raises(CompileError) as caught:
        check_text(text)
    [partial] = caught.value.partial
    assert partial.failed == "b"
    assert [s.name for s in partial.graph.statements] == ["a", "b"]
    assert [n.path for n in partial.graph.nodes] == ["a", "b"]


def test_every_network_of_a_file_is_in_the_partial(capsys, tmp_path):
    good = "network Good {\n    input x: [N, 4]\n    fc = linear(2)\n}\n"
    bad = "network Bad {\n    input x: [N, 4]\n    fc = linear(2) -> [N, 3]\n}\n"
    code, out, _ = run(capsys, "check", write(tmp_path, good + bad), "--format", "json")
    assert code == 1
    partial = json.loads(out)["partial"]
    assert [n["name"] for n in partial["networks"]] == ["Good", "Bad"]
    assert partial["failed"] == [{"network": "Bad", "statement": "fc"}]


def test_a_limit_shows_the_statements_before_it(capsys, tmp_path):
    spec = write(
        tmp_path,
        "network A {\n    input x: [N, 3, 8, 8]\n    a = conv(4, 3)\n"
        "    repeat 100000 { conv(4, 3, padding=1) }\n}\n",
    )
    code, out, err = run(capsys, "check", spec, "--format", "json")
    assert code == 1 and "E-limit" in err
    [net] = json.loads(out)["partial"]["networks"]
    assert [s["name"] for s in net["statements"]] == ["a", "repeat"]
    assert [layer["path"] for layer in net["layers"]] == ["a"]


def test_no_partial_for_diff_error_documents(capsys):
    code, out, _ = run(capsys, "diff", "lenet5", EXERCISE_2, "--format", "json")
    assert code == 1
    assert all(json.loads(line)["partial"] is None for line in out.splitlines())


def test_a_stage_that_stops_the_network_shows_what_came_before(capsys, tmp_path):
    spec = write(
        tmp_path,
        "network A {\n    input x: [N, 3, 8, 8]\n    a = conv(4, 3)\n"
        "    b = upsample(100000)\n    c = conv(3, 1)\n}\n",
    )
    code, out, err = run(capsys, "check", spec)
    assert code == 1 and "E-limit" in err
    assert "│ a " in out and "│ ✗ b " in out and "not accepted" in out and "│ c " not in out


def test_explain_works_on_the_layers_before_the_failure(capsys):
    code, out, err = run(capsys, "explain", EXERCISE_2, "conv3")
    assert code == 1
    assert "SmallCNN · conv3.conv: conv 3x3 /2, 64" in out and "[N, 64, 6, 6]" in out
    assert "error[E-checkpoint]" in err
    code, out, err = run(capsys, "explain", EXERCISE_2, "head")
    assert code == 1 and out == ""
    assert "no layer or statement 'head'" in err and "before its first error" in err


def test_draw_of_a_failing_spec_writes_no_file_and_points_to_explain(capsys, tmp_path):
    # LANGUAGE.md: any error means exit status 1 and no output files
    picture = tmp_path / "rf.svg"
    code, _, err = run(capsys, "draw", EXERCISE_2, "--receptive-field", "conv2", "-o", str(picture))
    assert code == 1 and not picture.exists()
    assert "error[E-checkpoint]" in err and "netspec explain" in err


def test_a_block_call_that_never_returned_is_left_out(capsys, tmp_path):
    # the recursion is found inside a1.b1: the layers of the unfinished calls a1 and
    # a1.b1 have no call to group them by, so the partial stops before them
    spec = str(ROOT / "tests" / "errors" / "recursion.netspec")
    with pytest.raises(CompileError) as caught:
        check_text(Path(spec).read_text(), name=spec)
    [partial] = caught.value.partial
    assert not any(n.chain for n in partial.graph.nodes)
    diagram = tmp_path / "net.svg"
    code, _, err = run(capsys, "draw", spec, "-o", str(diagram))
    assert code == 1 and not diagram.exists() and "error[E-recursion]" in err
