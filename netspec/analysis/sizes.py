"""Which input sizes a network accepts, over a range: every size elaborated and judged.

For each size s of the range, the input's spatial axes chosen (all of them, a square
input, or one) are set to s and the network is elaborated again, as `--input-shape`
does: s is accepted when every layer has a positive output, every merge's inputs agree
and every shape checkpoint holds; with `exact`, also when no layer leaves input rows
unread (no W-floor). A refused size keeps the first error's code, line and message.
Elaborating is fast (ResNet-50: 256 sizes in about 0.6 s, most refused at their first
checkpoint), so the sweep is exact over its range; what lies beyond the range is not
claimed.

Assumes a parsed module (netspec.syntax.ast.Module). Guarantees one Verdict per size, in
order, and :func:`progressions` to write a set of sizes compactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from netspec.analysis.counts import analyze
from netspec.elaborate.networks import elaborate
from netspec.errors import CompileError
from netspec.syntax import ast
from netspec.values import Shape


class Verdict(NamedTuple):
    size: int
    reason: str  # '' when accepted; else where the first problem is: "E-size at line 12"
    message: str = ""  # that problem's message, with this size's numbers


def sweep(
    module: ast.Module,
    network: str,
    input_name: str,
    declared: Shape,
    axes: tuple[int, ...],
    sizes: range,
    overrides: Mapping[str, object] | None = None,
    exact: bool = False,
    checkpoints: bool = True,
) -> list[Verdict]:
    """Judge every size of `sizes` for the input's `axes` (the others as declared)."""
    verdicts = []
    for size in sizes:
        shape = tuple(size if i in axes else d for i, d in enumerate(declared))
        try:
            [graph] = elaborate(module, network, overrides, {input_name: shape}, checkpoints)
        except CompileError as exc:
            first = exc.diagnostics[0]
            where = f" at line {first.span.line}" if first.span else ""
            verdicts.append(Verdict(size, f"{first.code}{where}", first.message))
            continue
        dropped = _dropped_rows(graph) if exact else None
        verdicts.append(Verdict(size, *dropped) if dropped else Verdict(size, ""))
    return verdicts


def _dropped_rows(graph) -> tuple[str, str] | None:
    """Where the first W-floor warning is (input rows a layer never reads), and its text."""
    for warning in analyze(graph).warnings:
        if warning.code == "W-floor":
            return f"W-floor at line {warning.span.line}", warning.message
    return None


def progressions(sizes: list[int]) -> list[tuple[int, int, int]]:
    """Sorted sizes as (first, last, step) runs: consecutive sizes, or three or more
    evenly spaced ones (multiples of 32), greedily from the smallest."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(sizes):
        if i + 1 == len(sizes):
            runs.append((sizes[i], sizes[i], 1))
            break
        step = sizes[i + 1] - sizes[i]
        j = i + 1
        while j + 1 < len(sizes) and sizes[j + 1] - sizes[j] == step:
            j += 1
        if step == 1 or j - i >= 2:
            runs.append((sizes[i], sizes[j], step))
            i = j + 1
        else:
            runs.append((sizes[i], sizes[i], 1))
            i += 1
    return runs
