"""Regression tests for defects of issue 13 met at the command line.

Statements that make no layer in every report format and in `explain`, a `--set` value
nested thousands deep, and negative class labels in `netspec train`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netspec.api import check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.limits import MAX_NESTING

# Three top-level statements that make no layer: the Choose example of
# docs/language.md §9 (an `if` body holding only `let`), an `if` whose condition is
# false and has no else, and `repeat 0`.
EMPTY_STATEMENTS = {
    "choose": """network Choose(wide=false) {
    input x: [N, 3, 32, 32]
    let width = 16
    if wide {
        let width = 64
    }
    conv(width, 3, padding=1)
}
""",
    "false_if": """network F {
    input x: [N, 3, 8, 8]
    if false { relu }
    conv(4, 3)
}
""",
    "repeat_0": """network R {
    input x: [N, 3, 8, 8]
    repeat 0 { relu }
    conv(4, 3)
}
""",
}
EMPTY_NAME = {"choose": "if1", "false_if": "if1", "repeat_0": "repeat1"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(params=sorted(EMPTY_STATEMENTS))
def empty_spec(request, tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / f"{request.param}.netspec"
    path.write_text(EMPTY_STATEMENTS[request.param])
    return path, EMPTY_NAME[request.param]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_a_statement_without_layers_is_reported_in_every_format(capsys, empty_spec, fmt):
    path, name = empty_spec
    code, out, err = run(capsys, "check", str(path), "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "table":
        # The empty statement keeps its row: no op, the stream passing through unchanged.
        row = next(line for line in out.splitlines() if f" {name} " in line)
        assert "[N, 3, " in row and " - " in row
    if fmt == "json":
        [net] = json.loads(out)["networks"]
        assert [s["name"] for s in net["statements"]] == [name, "conv1"]


def test_deeper_table_rows_skip_the_empty_statement(capsys, empty_spec):
    path, name = empty_spec
    code, out, _ = run(capsys, "check", str(path), "--depth", "2")
    assert code == 0 and f" {name} " not in out and "conv1" in out


def test_explain_of_a_statement_without_layers_says_so(capsys, empty_spec):
    path, name = empty_spec
    code, out, err = run(capsys, "explain", str(path), name)
    assert code == 2 and out == ""
    assert f"statement '{name}'" in err and "makes no layer" in err
    assert "did you mean" not in err and len(err.strip().splitlines()) == 1


def test_explain_of_an_unknown_name_never_suggests_itself(capsys, empty_spec):
    path, _ = empty_spec
    code, _, err = run(capsys, "explain", str(path), "conv2")
    assert code == 2 and "no layer or statement 'conv2'" in err
    assert "'conv2'?" not in err


def test_explain_of_a_repeat_explains_its_layers(capsys, tmp_path):
    path = tmp_path / "r.netspec"
    path.write_text("network R {\n    input x: [N, 3, 8, 8]\n    repeat 2 { relu }\n}\n")
    code, out, _ = run(capsys, "explain", str(path), "repeat1")
    assert code == 0 and "R · relu1" in out and "R · relu2" in out


def deep(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000, 200_000])
def test_set_nested_too_deep_is_a_one_line_misuse(capsys, depth):
    code, out, err = run(capsys, "check", "lenet5", "--set", f"w={deep(depth)}")
    assert code == 2 and out == ""
    assert err.strip() == (
        f"netspec: error: --set w: lists nested more than {MAX_NESTING} deep "
        f"(the limit of netspec/limits.py MAX_NESTING)"
    )


def test_set_nested_within_the_limit_reaches_the_network(capsys):
    # Within the limit, the value is read and the network refuses the unknown name.
    code, _, err = run(capsys, "check", "lenet5", "--set", f"w={deep(MAX_NESTING)}")
    assert code == 1 and "has no parameter 'w'" in err and "Traceback" not in err


def test_set_brackets_inside_a_string_do_not_count(capsys):
    code, _, err = run(capsys, "check", "lenet5", "--set", 'w=["' + "[" * 500 + '"]')
    assert code == 1 and "has no parameter 'w'" in err


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000])
def test_api_override_nested_too_deep_is_positioned(depth):
    value: object = 1
    for _ in range(depth):
        value = (value,)
    spec = "network W(w=1) {\n    input x: [N, 4]\n    linear(4)\n}\n"
    with pytest.raises(CompileError) as caught:
        check_text(spec, overrides={"w": value})
    [diag] = caught.value.diagnostics
    assert diag.code == "E-network"
    assert diag.message == f"--set w: lists nested more than {MAX_NESTING} deep"


def test_train_with_negative_labels_says_labels_start_at_0(capsys, tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("torch")
    spec = tmp_path / "tiny.netspec"
    spec.write_text(
        "network Tiny(classes=3) {\n    input image: [N, 1, 8, 8]\n"
        "    scores = flatten linear(classes)\n}\n"
    )
    data = tmp_path / "negative.npz"
    np.savez(data, x=np.zeros((12, 8, 8), np.float32), y=np.arange(12) % 3 - 1)
    code, out, err = run(capsys, "train", str(spec), "--data", str(data), "--quiet")
    assert code == 1 and "Traceback" not in err
    assert "labels range from -1 to 1" in err
    assert "class labels are indices 0..2 and cannot be negative" in err
    assert "--set classes" not in err
