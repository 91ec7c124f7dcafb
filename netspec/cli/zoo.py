"""`netspec zoo`: the bundled specs, one line each: name, parameters, multiply-adds, source.

Assumes the zoo of :mod:`netspec.zoo` (a source checkout's `specs/` or the wheel's copy).
Guarantees the figures `netspec check NAME` reports as totals (parameters exact,
multiply-adds as its table rounds them, under the default `macs` convention), the
paper or origin each spec's header comment names ('-' where it names none), exit status
0; a spec of the zoo that does not check is a line saying so and exit status 1.
"""

from __future__ import annotations

import argparse

from netspec.errors import CompileError
from netspec.units import si

DESCRIPTION = (
    "List the specs bundled with netspec (any of them can be named without a path: "
    "`netspec check resnet50`), with their parameters, multiply-adds and the paper or "
    "origin each follows."
)
HEADER = ("name", "parameters", "multiply-adds", "source")


def add_arguments(zoo: argparse.ArgumentParser) -> None:
    """No arguments: the zoo is small enough to list whole."""


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    rows, failed = zoo_rows()
    print(_aligned([HEADER, *rows]))
    return 1 if failed else 0


def zoo_rows() -> tuple[list[tuple[str, str, str, str]], bool]:
    """One row per zoo spec, and whether any of them failed to check."""
    from netspec.api import check, load
    from netspec.zoo import zoo_dir, zoo_names, zoo_source

    folder = zoo_dir()
    rows, failed = [], False
    for name in zoo_names():
        source = zoo_source(folder / f"{name}.netspec") or "-"
        try:
            totals = [a.totals for a in check(load(name))]
        except CompileError:
            rows.append((name, "does not check", "", source))
            failed = True
            continue
        params = sum(t.params for t in totals)
        macs = sum(t.macs for t in totals)
        rows.append((name, f"{params:,}", si(macs), source))
    return rows, failed


def _aligned(rows: list[tuple[str, ...]]) -> str:
    # name and source read left to right; numbers line up on their last digit
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for name, params, macs, source in rows:
        cells = (name.ljust(widths[0]), params.rjust(widths[1]), macs.rjust(widths[2]), source)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
