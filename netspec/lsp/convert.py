"""netspec's positions and diagnostics in the protocol's terms.

netspec counts lines and columns from 1, end exclusive; the protocol from 0, in UTF-16
code units. A diagnostic keeps its code (`E-shape`), its severity, its message with its
help and notes under it, and the block calls that led to it as related locations.

Assumes lsprotocol. Guarantees a range for every diagnostic: one without a span (a
file-wide one) covers the first line.
"""

from __future__ import annotations

from lsprotocol import types

from netspec.errors import Diagnostic
from netspec.source import Span


def position(line: int, column: int, text_line: str = "") -> types.Position:
    """netspec's 1-based line and column as a protocol position (UTF-16 units)."""
    prefix = text_line[: max(column - 1, 0)]
    units = len(prefix.encode("utf-16-le")) // 2 if text_line else max(column - 1, 0)
    return types.Position(line=max(line - 1, 0), character=units)


def span_range(span: Span, lines: list[str] | None = None) -> types.Range:
    def at(line: int) -> str:
        return lines[line - 1] if lines and 0 < line <= len(lines) else ""

    return types.Range(
        start=position(span.line, span.column, at(span.line)),
        end=position(span.end_line, span.end_column, at(span.end_line)),
    )


def column_of(position_: types.Position, lines: list[str]) -> tuple[int, int]:
    """A protocol position as netspec's (line, column), 1-based, in characters."""
    line = position_.line + 1
    text = lines[position_.line] if 0 <= position_.line < len(lines) else ""
    units, column = 0, 1
    for ch in text:
        if units >= position_.character:
            break
        units += len(ch.encode("utf-16-le")) // 2
        column += 1
    return line, column


def diagnostic(d: Diagnostic, uri: str, lines: list[str]) -> types.Diagnostic:
    whole = types.Range(
        start=types.Position(0, 0), end=types.Position(0, len(lines[0]) if lines else 0)
    )
    severity = (
        types.DiagnosticSeverity.Warning
        if d.severity == "warning"
        else types.DiagnosticSeverity.Error
    )
    message = "\n".join(
        [d.message, *(f"help: {h}" for h in d.help), *(f"note: {n}" for n in d.notes)]
    )
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=span_range(call.span, lines)),
            message=f"in block {call.block} ({call.path}), called here",
        )
        for call in d.chain
    ]
    return types.Diagnostic(
        range=span_range(d.span, lines) if d.span is not None else whole,
        message=message,
        severity=severity,
        code=d.code,
        source="netspec",
        related_information=related or None,
    )
