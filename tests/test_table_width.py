"""The default table of `netspec check` fits the width it is printed at (issue 13, 14).

Every line at most the width; name, output shape and params always there and whole;
the columns left out named in a line that says how to get them; `--wide` keeps them all.
"""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from netspec.api import check, load
from netspec.cli.main import main
from netspec.values import show_shape

HEADINGS = ("op", "connections", "multiply-adds", "share", "receptive field", "activations")


def table(capsys, monkeypatch, width: int | None, *args: str) -> str:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    assert main(["check", *args]) == 0
    return capsys.readouterr().out


def statements(spec: str):
    [analysis] = check(load(spec))
    return analysis.statements


@pytest.mark.parametrize("spec", ["resnet50", "lenet5"])
@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_table_fits_and_keeps_name_shape_and_params(capsys, monkeypatch, spec, width):
    out = table(capsys, monkeypatch, width, spec)
    lines = out.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    rows = [line for line in lines if line.startswith("│")]
    for s in statements(spec):
        row = next(r for r in rows if r.split("│")[1].strip() == s.name)
        assert f"│ {show_shape(s.output_shape)} " in row  # whole, on the row's first line
        assert re.search(rf"│ +{re.escape(f'{s.counts.params:,}')}( \(|\s*│)", row)
    assert not any(line.count("[") != line.count("]") for line in lines), "a shape was split"
    header = next(line for line in lines if line.startswith("┃"))
    shown = [h for h in HEADINGS if f"┃ {h} " in header or f" {h} ┃" in header]
    if len(shown) < len(HEADINGS):
        note = " ".join(x.strip() for x in out[out.index("left out to fit") :].splitlines()[:2])
        assert f"left out to fit {width} columns" in note
        assert "--wide" in note and "--columns" in note
        for heading in HEADINGS:
            assert (heading in shown) != (f" {heading}," in note or f" {heading} (" in note)
    else:
        assert "left out" not in out


def test_80_columns_keep_op_and_cost_for_resnet50(capsys, monkeypatch):
    out = table(capsys, monkeypatch, 80, "resnet50")
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert "┃ op " in header and "multiply-adds" in header and "connections" not in header
    assert "left out to fit 80 columns: connections, share, receptive field, activations" in out


def test_wide_shows_every_column(capsys, monkeypatch):
    out = table(capsys, monkeypatch, 80, "resnet50", "--wide")
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert all(h in header for h in HEADINGS)
    assert "left out" not in out
    assert "stage(width=64, blocks=3, stride=1)" in out  # not wrapped either


def test_columns_and_depth_are_fitted_too(capsys, monkeypatch):
    out = table(capsys, monkeypatch, 80, "resnet50", "--depth", "1", "--columns", "shape,params,rf")
    assert max(cell_len(line.rstrip()) for line in out.splitlines()) <= 80
    assert "layer4.bottleneck3" in out and "receptive field" in out


def test_piped_without_columns_is_160_wide(capsys, monkeypatch):
    out = table(capsys, monkeypatch, None, "resnet50")
    lines = out.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= 160
    assert "left out" not in out and "connections ┃" in out


def test_a_table_too_narrow_for_its_columns_runs_past_rather_than_cut(capsys, monkeypatch):
    out = table(capsys, monkeypatch, 30, "resnet50")
    assert "[N, 1024, 14, 14]" in out and "14,964,736" in out and "…" not in out


def test_op_text_breaks_between_parts_then_after_commas():
    from netspec.report.fit import wrap_op

    text = "conv 7x7 /2, 64 p3 · bn · relu · maxpool 3x3 /2 p1"
    assert wrap_op(text, 40) == "conv 7x7 /2, 64 p3 · bn · relu\nmaxpool 3x3 /2 p1"
    assert wrap_op(text, 18) == "conv 7x7 /2, 64 p3\nbn · relu\nmaxpool 3x3 /2 p1"
    assert wrap_op("stage(width=64, blocks=3, stride=1)", 20) == (
        "stage(width=64,\nblocks=3, stride=1)"
    )
    for width in range(18, 60):
        assert all(len(line) <= width for line in wrap_op(text, width).splitlines())


def test_long_summary_lines_break_between_words_not_inside_shapes():
    from netspec.report.fit import fold_lines

    line = "multiply-adds  4,089,184,256 (4.09 G)   convention 'macs', input image [N, 3, 224, 224]"
    folded = fold_lines([line], 80)
    assert folded == [
        "multiply-adds  4,089,184,256 (4.09 G)   convention 'macs', input image",
        " " * 33 + "[N, 3, 224, 224]",
    ]
    assert fold_lines(["short"], 80) == ["short"]


def test_a_warning_under_a_narrow_table_keeps_its_own_layout(capsys, monkeypatch, tmp_path):
    # rich wrapped a diagnostic's long first line at the width, and the caret line under
    # the source line with it; a rendered diagnostic now runs as its renderer laid it out
    spec = tmp_path / "floor.netspec"
    spec.write_text(
        "network Floor {\n    input x: [N, 3, 224, 224]\n"
        "    features = conv(64, 3, stride=2) relu\n}\n"
    )
    lines = table(capsys, monkeypatch, 80, str(spec)).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("warning[W-floor]"))
    assert lines[first].rstrip().endswith("unused") and len(lines[first]) > 80
    source, caret = lines[first + 3], lines[first + 4]
    assert "features = conv(64, 3, stride=2)" in source
    assert caret.index("^") == source.index("conv(64")


def test_symbolic_sizes_beyond_the_batch_are_formulas(capsys, monkeypatch):
    """Issue 15: `[N, 3, H, W]` through size-independent layers reported FLOPs 3 and 12
    bytes as if they were the network's; every figure is now a formula of H and W."""
    from netspec.api import check_text
    from netspec.report.figures import figures
    from netspec.report.table import summary_lines

    [a] = check_text("network S {\n    input x: [N, 3, H, W]\n    relu\n}\n")
    assert str(a.totals.flops) == "3 * H * W"
    lines = summary_lines(figures(a))
    [sizes] = [line for line in lines if line.startswith("sizes ")]
    assert "H, W symbolic: every figure is a formula of them" in sizes
    assert "exact for H = W = s with s in 1-605395; numbers are at H = W = 224" in sizes
    assert any(line.startswith("FLOPs          3 * H * W (= 150,528") for line in lines)
    [b] = check_text("network S {\n    input x: [N, L, 8]\n    relu\n}\n")
    assert str(b.totals.flops) == "8 * L"
    [c] = check_text("network S {\n    input x: [N, 3, 8, 8]\n    relu\n}\n")
    assert not any(line.startswith("sizes ") for line in summary_lines(figures(c)))
