"""The tutorial's exercises (examples/exercises/): each spec fails as its comment says,
with the diagnostic the tutorial explains, and its solution checks cleanly.

The table is what docs/tutorial.md tells learners; if a message or position changes,
this test says which exercise and the tutorial must change with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.api import check
from netspec.errors import CompileError

FOLDER = Path(__file__).resolve().parent.parent / "examples" / "exercises"

# exercise -> (code, line, words the message must contain)
EXPECTED = {
    "01_mnist_without_padding": ("E-size", 12, "kernel 5 is larger than the padded input 4"),
    "02_wrong_feature_map_size": ("E-checkpoint", 11, "gives [N, 64, 6, 6]"),
    "03_alexnet_224": ("W-floor", 8, "last 1 input row and column (index 223) unused"),
    "04_residual_channels": ("E-shape", 8, "[N, 128, 28, 28] vs [N, 64, 56, 56]"),
    "05_unet_odd_size": ("E-shape", 11, "[N, 16, 24, 24] and [N, 16, 25, 25]"),
    "06_typos": ("E-arg", 6, "conv has no parameter 'paddin'"),
    "07_flatten_size": ("E-shape", 13, "2704 elements vs 400"),
    "08_dilation": ("E-checkpoint", 8, "gives [N, 8, 10, 10]"),
    "09_unet_size_100": ("E-shape", 14, "[N, 32, 24, 24] and [N, 32, 25, 25]"),
    "10_strides_drop_rows": ("W-floor", 10, "last 1 input row and column (index 127) unused"),
}


def diagnostics(path: Path):
    try:
        return [w for analysis in check(path) for w in analysis.warnings]
    except CompileError as exc:
        return list(exc.diagnostics)


def test_every_exercise_is_in_the_table():
    names = {p.stem for p in FOLDER.glob("*.netspec")}
    assert names == set(EXPECTED)
    assert {p.stem for p in (FOLDER / "solutions").glob("*.netspec")} == names


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exercise_fails_as_the_tutorial_says(name):
    code, line, words = EXPECTED[name]
    first = diagnostics(FOLDER / f"{name}.netspec")[0]
    assert (first.code, first.span.line) == (code, line)
    assert words in first.message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_solution_checks_cleanly(name):
    assert diagnostics(FOLDER / "solutions" / f"{name}.netspec") == []
