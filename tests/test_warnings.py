"""Rendered warnings, one golden file per silent mistake: tests/warnings/<name>.netspec
+ <name>.err, the exact stderr of `netspec check tests/warnings/<name>.netspec --format
csv` from the repository root (CSV puts the warnings on stderr; `pytest
--update-goldens` rewrites the .err files). Also: --warnings error and -q, the rules'
silence on every bundled spec and example, and the hints of add and concat.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.api import check_text
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.ops.arith import floor_warnings
from tests.conftest import ROOT

CASES = ROOT / "tests" / "warnings"
SPECS = sorted(CASES.glob("*.netspec"))
CODE = {
    "no_batch_dimension": "W-batch",
    "pytorch_argument_order": "W-order",
    "linear_on_feature_map": "W-flatten",
    "indented_continuation": "W-indent",
    "floor_both_axes": "W-floor",
    "floor_one_axis_each": "W-floor",
    "floor_1d_positions": "W-floor",
    "floor_kernel_below_stride": "W-floor",
    "repeated_copies": "W-order",
}
# What particular cases must say, beyond the golden (a careless --update-goldens
# cannot lose it).
MUST_SAY = {
    "no_batch_dimension": ["a batch of 3 sequences", "`[N, 3, 32, 32]`"],
    "pytorch_argument_order": ["Conv2d(in, out, kernel)", "write `conv(16, 3)`"],
    "linear_on_feature_map": ["[N, 16, 16, 10], not [N, 10]", "`flatten linear(10)`"],
    "repeated_copies": ["499 more copies of this layer (made by repeat) warn too"],
    "indented_continuation": ["not part of 'stem'", "move `conv(8, 1)` up to the end of line 6"],
    "floor_both_axes": ["along H and W,", "row and column (index 223)", "an input of 227"],
    "floor_one_axis_each": ["along H,", "; along W,", "2 input columns (indices 27 to 28)"],
    "floor_1d_positions": ["1 input position (index 99)", "padded positions"],
    "floor_kernel_below_stride": ["2 input rows and columns (indices 8 to 9)"],
}
SILENT = [
    *sorted((ROOT / "specs").glob("*.netspec")),
    *sorted((ROOT / "examples").rglob("*.netspec")),
]


def run_case(spec: Path, capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(ROOT)
    code = main(["check", spec.relative_to(ROOT).as_posix(), "--format", "csv", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_case_is_listed():
    assert {s.stem for s in SPECS} == set(CODE) == set(MUST_SAY)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_warning_golden(spec: Path, capsys, monkeypatch, update_goldens: bool):
    assert spec.read_text().startswith("# mistake:"), "say what the mistake is"
    code, _, err = run_case(spec, capsys, monkeypatch)
    assert code == 0
    assert f"warning[{CODE[spec.stem]}]: " in err
    assert "--> tests/warnings/" in err and "= help: " in err
    golden = spec.with_suffix(".err")
    if update_goldens:
        golden.write_text(err)
    assert golden.exists(), f"no golden for {spec.name}: run pytest --update-goldens"
    assert err == golden.read_text()
    for text in MUST_SAY[spec.stem]:
        assert text in err


@pytest.mark.parametrize("spec", SPECS[:2], ids=[s.stem for s in SPECS[:2]])
def test_warnings_error_fails_and_quiet_hides(spec: Path, capsys, monkeypatch):
    code, out, err = run_case(spec, capsys, monkeypatch, "--warnings", "error")
    assert code == 1 and out  # the report still shows, then the check fails
    assert "warning[" in err and "treated as errors (--warnings error)" in err
    for quiet in (["-q"], ["--warnings", "hide"]):
        code, out, err = run_case(spec, capsys, monkeypatch, *quiet)
        assert (code, err) == (0, "") and out


def test_quiet_hides_warnings_in_the_table_and_json(capsys, monkeypatch):
    spec = CASES / "floor_both_axes.netspec"
    monkeypatch.chdir(ROOT)
    for fmt in ("table", "json"):
        assert main(["check", str(spec), "--format", fmt]) == 0
        assert "W-floor" in capsys.readouterr().out
        assert main(["check", str(spec), "--format", fmt, "-q"]) == 0
        assert "W-floor" not in capsys.readouterr().out


def test_a_clean_spec_passes_with_warnings_error(capsys, monkeypatch):
    code, _, err = run_case(
        ROOT / "specs" / "lenet5.netspec", capsys, monkeypatch, "--warnings", "error"
    )
    assert (code, err) == (0, "")


@pytest.mark.parametrize("spec", SILENT, ids=[s.stem for s in SILENT])
def test_no_new_warning_on_the_zoo_and_the_examples(spec: Path):
    """Only W-floor, where the spec itself says so (squeezenet1_1, exercise 3)."""
    try:
        analyses = check_text(spec.read_text(), name=spec.name)
    except CompileError:
        return  # an exercise that fails: tests/test_exercises.py checks its diagnostic
    codes = {w.code for a in analyses for w in a.warnings}
    assert codes <= {"W-floor"}, codes


# --- W-floor's rule, one layer at a time ------------------------------------------


def _floor(x, k, s, p=0):
    from netspec.ops.arith import conv_out

    out = (*x[:2], *(conv_out(i, k, s, (p, p)) for i in x[2:]))
    rank = len(x) - 2
    return floor_warnings("conv", x, out, (k,) * rank, (s,) * rank, ((p, p),) * rank, (1,) * rank)


def test_floor_warns_once_per_layer_naming_the_axes():
    (w,) = _floor(("N", 1, 28, 28), 3, 2)
    assert w.message.startswith("conv: along H and W,")
    (w,) = _floor(("N", 1, 28, 28, 28), 3, 2)
    assert w.message.startswith("conv: along D, H and W,") and "row and column" in w.message


def test_floor_on_a_strided_1x1_shortcut_stays_silent():
    """ResNet's 1x1 stride-2 shortcut on 56 skips rows 1, 3, ..., 55: a regular gap."""
    assert not _floor(("N", 64, 56, 56), 1, 2)
    assert _floor(("N", 8, 10, 10), 2, 3)  # a whole window's rows (8, 9) are missing


# --- the for loop of Python ----------------------------------------------------------


def test_for_loop_suggests_repeat():
    text = "network F {\n    input x: [N, 3, 8, 8]\n    for i in 3 {\n        relu\n    }\n}\n"
    with pytest.raises(CompileError) as caught:
        check_text(text, name="for.netspec")
    (d,) = caught.value.diagnostics
    assert d.code == "E-syntax" and "no `for` loop" in d.message
    assert "`repeat 3 as i { ... }`" in d.help[0]
    assert (d.span.line, d.span.column, d.span.end_column) == (3, 5, 15)


# --- hints of add and concat, from what differs ------------------------------------


def _hint(body: str, shape: str = "[N, 64, 56, 56]") -> str:
    text = f"network H {{\n    input x: {shape}\n{body}\n}}\n"
    with pytest.raises(CompileError) as caught:
        check_text(text, name="h.netspec")
    return caught.value.diagnostics[0].help[0]


def test_residual_hint_is_a_strided_projection_not_padding():
    """Exercise 4: channels and size differ; the fix is ResNet's downsample shortcut."""
    hint = _hint(
        "    add {\n        conv(128, 3, stride=2, padding=1) bn relu\n"
        "        conv(128, 3, padding=1) bn\n      | identity\n    }"
    )
    assert "conv(128, 1, stride=2) bn" in hint and "pad" not in hint


def test_add_hints_follow_what_differs():
    channels = _hint("    add {\n        conv(128, 1)\n      | identity\n    }")
    assert "channels differ (128 vs 64)" in channels and "conv(128, 1) bn" in channels
    assert "stride" not in channels and "pad" not in channels
    spatial = _hint("    add {\n        conv(64, 3, stride=2, padding=1)\n      | identity\n    }")
    assert "stride=2" in spatial and "pad" not in spatial
    unpadded = _hint("    add {\n        conv(64, 3)\n      | identity\n    }")
    assert "padding=1" in unpadded


def test_concat_hint_for_padded_convs_at_two_resolutions_is_not_padding():
    hint = _hint(
        "    e1 = conv(16, 3, padding=1) relu\n    maxpool(2) conv(32, 3, padding=1) relu\n"
        "    concat(e1)",
        "[N, 3, 32, 32]",
    )
    assert "stride of 2" in hint and "padding=1" not in hint
