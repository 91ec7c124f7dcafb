"""Rendered errors, one golden file per mistake: tests/errors/<name>.netspec + <name>.err.

Each spec holds exactly one kind of mistake, described by its first comment line; an
optional first line `# args: --network Foo` gives extra command-line arguments. The
.err file is the exact stderr of `netspec check tests/errors/<name>.netspec [args]` run
from the repository root. `pytest --update-goldens` rewrites the .err files.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from netspec.cli.main import main
from tests.conftest import ROOT

CASES = ROOT / "tests" / "errors"
SPECS = sorted(CASES.glob("*.netspec"))
# What particular cases must say, beyond the golden (so that a careless
# --update-goldens cannot lose it).
MUST_SAY = {
    "repeat_later_copy": ["error[E-size]", "in copy 4 of 5 of the repeat at line 4 (i = 3)"],
    "repeat_typo_nested": ["conv has no parameter 'paddin'", "netspec: 1 error;"],
    "float_eps_negative": ["error[E-value]", "eps must be in (0, 1], got -1"],
    "float_alpha_huge": ["error[E-value]", "alpha must be in [-1e6, 1e6]"],
    "float_slope_huge": ["error[E-value]", "slope must be in [-1e6, 1e6], got 1e+300"],
    "unknown_op_conv2d": ["error[E-op]", "did you mean 'conv'?"],
    "unknown_op_maxpol": ["error[E-op]", "did you mean 'maxpool'?"],
    "unknown_kwarg": ["error[E-arg]", "maxpool has no parameter 'strid'", "did you mean 'stride'?"],
    "unknown_block": ["did you mean 'resblock'?"],
    "undefined_name": ["error[E-name]", "did you mean 'width'?"],
    "float_for_int": ["error[E-type]", "64 / 3 = 21.33"],
    "add_channel_mismatch": [
        "error[E-shape]: add: branch shapes differ: [N, 256, 56, 56] vs [N, 64, 56, 56]",
        "= help: the channels differ (256 vs 64), the spatial sizes agree: give the 64-channel",
        "= note: in block 'bottleneck' (layer1), called at",
    ],
    "add_stride_and_channels": ["conv(128, 1, stride=2) bn"],
    "for_loop": ["there is no `for` loop", "`repeat 3 as i { ... }`"],
    "nested_block_error": ["in block 'inner'", "in block 'outer'"],
    "recursion": ["error[E-recursion]", "a -> b -> a"],
    "two_errors": ["error[E-arg]", "error[E-op]", "netspec: 2 errors"],
    "unknown_network": ["error[E-network]", "did you mean 'LeNet5'?"],
    "set_unknown_parameter": ["error[E-network]", "did you mean 'classes'?"],
    "hostile_repeat_huge": ["error[E-limit]"],
    "hostile_nested_repeats": ["error[E-limit]"],
    "hostile_huge_tensor": ["error[E-limit]"],
}


def _args(spec: Path) -> list[str]:
    first = spec.read_text().splitlines()[0]
    return shlex.split(first.removeprefix("# args:")) if first.startswith("# args:") else []


def run_case(spec: Path, capsys, monkeypatch) -> tuple[int, str]:
    """`netspec check tests/errors/<name>.netspec [args]` in-process, from the repo root."""
    monkeypatch.chdir(ROOT)
    relative = spec.relative_to(ROOT).as_posix()
    code = main(["check", relative, *_args(spec)])
    captured = capsys.readouterr()
    return code, captured.err


def test_there_are_enough_cases():
    assert len(SPECS) >= 35
    assert {s.stem for s in SPECS} >= set(MUST_SAY)


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_error_golden(spec: Path, capsys, monkeypatch, update_goldens: bool):
    lines = spec.read_text().splitlines()
    assert any(line.startswith("# mistake:") for line in lines[:2]), "say what the mistake is"
    code, err = run_case(spec, capsys, monkeypatch)
    assert code == 1
    assert "Traceback" not in err
    golden = spec.with_suffix(".err")
    if update_goldens:
        golden.write_text(err)
    assert golden.exists(), f"no golden for {spec.name}: run pytest --update-goldens"
    assert err == golden.read_text()


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_every_error_is_positioned_and_helped(spec: Path, capsys, monkeypatch):
    _, err = run_case(spec, capsys, monkeypatch)
    blocks = [b for b in err.split("\n\n") if b.startswith("error[")]
    assert blocks, err
    for block in blocks:
        assert re.match(r"error\[E-[a-z]+\]: ", block)
        assert re.search(r"^ *--> tests/errors/\w+\.netspec:\d+:\d+$", block, re.M), block
        assert re.search(r"^ *\d+ \| ", block, re.M), block  # the source line
        assert re.search(r"^ *\| *\^+", block, re.M), block  # the caret underline
        assert re.search(r"^ *= help: \S", block, re.M), block
    for text in MUST_SAY.get(spec.stem, []):
        assert text in err
