"""Inlay hints: each statement's output shape (and its parameters) at the end of its
last line, as `netspec check`'s table reports them.

Assumes a :class:`netspec.lsp.state.Snapshot`. Guarantees one hint per statement of
every network analysed (a failing network's statements up to its first error), none
for a statement that already writes its shape (`-> [N, 64, 56, 56]`) unless parameters
are asked for; hints only on the lines asked for.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.lsp.state import Snapshot
from netspec.units import si
from netspec.values import show_shape


class Hint(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based: the hint stands before this column (the end of the text)
    label: str
    tooltip: str


def hints(snapshot: Snapshot, first: int, last: int, parameters: bool = False) -> list[Hint]:
    """The hints of lines first..last (1-based, inclusive)."""
    lines = list(snapshot.source.lines)
    out = []
    for analysis in snapshot.analyses:
        for statement, figures in zip(analysis.graph.statements, analysis.statements, strict=False):
            end = statement.span.end_line
            if not first <= end <= last:
                continue
            text = lines[end - 1] if 0 < end <= len(lines) else ""
            written = "->" in _code(text)
            params = figures.counts.trainable + figures.counts.fixed
            pieces = [] if written else [show_shape(figures.output_shape)]
            if parameters or written:
                pieces += [f"{si(params)} params"] if params and (parameters or written) else []
            if not pieces:
                continue
            tooltip = (
                f"{statement.name}: output {show_shape(figures.output_shape)}, "
                f"{figures.counts.trainable:,} trainable parameters, "
                f"{figures.cost.macs:,} multiply-adds"
            )
            column = len(_code(text).rstrip()) + 1
            out.append(Hint(end, column, "  " + " · ".join(pieces), tooltip))
    return out


def _code(line: str) -> str:
    """The line without its comment."""
    quote = None
    for i, ch in enumerate(line):
        if ch in "\"'":
            quote = None if quote == ch else (quote or ch)
        elif ch == "#" and quote is None:
            return line[:i]
    return line
