"""The table adds its rows as one tall row per column, and prints what rich prints for
the rows added one by one (issue 13, defect 3: a 10,000-row table took 6 s).

Compared where it matters: op cells wrapped over several lines (GoogLeNet's inception
descriptions at 50 columns), every depth, a network whose report stops at its error, and
`--wide`, where rich wraps the op column itself when the table is wider than the
terminal (then the rows go one by one).
"""

from __future__ import annotations

import pytest

from netspec.cli.main import main
from netspec.report.table import _Grid, stacked

CASES = [
    ("googlenet", "--depth", "1"),
    ("mobilenet_v2", "--depth", "2"),
    ("lenet5", "--depth", "0"),
    ("googlenet", "--wide", "--depth", "1"),
    ("examples/exercises/04_residual_channels.netspec", "--wide", "--depth", "1"),
    ("tests/errors/bad_padding.netspec", "--wide"),
    ("tests/errors/bad_padding.netspec",),
]


def printed(capsys, monkeypatch, width: int, args: tuple[str, ...]) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    main(["check", *args])
    return capsys.readouterr().out


@pytest.mark.parametrize("width", [50, 80, 160])
@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_stacked_rows_print_as_rows_one_by_one(capsys, monkeypatch, args, width):
    fast = printed(capsys, monkeypatch, width, args)
    monkeypatch.setattr(_Grid, "by_row", True)
    assert fast == printed(capsys, monkeypatch, width, args)
    assert "─┘" in fast or "━┩" in fast  # a table was drawn


def test_stacked_pads_every_row_to_its_tallest_cell():
    names, ops, shapes = ["a", "b", "c"], ["x\ny", "z", ""], ["[1]", "[2]", "[3]"]
    assert stacked([names, ops, shapes]) == ["a\n\nb\nc", "x\ny\nz\n", "[1]\n\n[2]\n[3]"]
