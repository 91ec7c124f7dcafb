"""Diagnostics as data: errors and warnings, positioned, rendered only at the edge.

A :class:`Diagnostic` has a stable code (``E-shape``, ``W-floor``, ...), a message, the
span it points at, help lines (how to fix it), notes, and the chain of block call sites
that led to it. Compiler stages collect diagnostics and raise :class:`CompileError`
carrying all of them; :func:`render` turns one into the text users read, its only text
form. The limits live in :mod:`netspec.limits`, "did you mean" in
:mod:`netspec.suggest`. Nothing in this module prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from netspec.limits import MAX_CHAIN_NOTES, MAX_SHOWN_LINE
from netspec.source import Span


class CallSite(NamedTuple):
    """One block call on the way to a diagnostic: the block, its instance path, where."""

    block: str
    path: str
    span: Span


class Diagnostic(NamedTuple):
    """One error or warning, positioned in the source."""

    code: str
    message: str
    span: Span | None
    help: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    chain: tuple[CallSite, ...] = ()
    label: str = ""

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W-") else "error"

    def with_chain(self, chain: tuple[CallSite, ...]) -> Diagnostic:
        return Diagnostic(
            self.code, self.message, self.span, self.help, self.notes, chain, self.label
        )

    def to_json(self) -> dict:
        out: dict = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.span is not None:
            out.update(file=self.span.source.name, line=self.span.line, column=self.span.column)
        out["help"] = list(self.help)
        out["notes"] = list(self.notes) + [_chain_note(c) for c in self.chain]
        return out


class Partial(NamedTuple):
    """What elaboration built of one network before its first error.

    `graph` is a :class:`netspec.ir.Graph` (not imported: the IR imports this module)
    holding the top-level statements before the first that failed and, as its last row,
    that statement with the layers it made before failing; `failed` names that row, or
    is '' for a network that elaborated whole beside one that did not.
    """

    graph: Any
    failed: str = ""


class CompileError(Exception):
    """Raised by a compiler stage with every error it found (never empty), and from
    elaboration :attr:`partial`: what it built before the first error, a Partial per
    network that got as far as an input (empty where nothing did, e.g. a syntax error)."""

    def __init__(self, diagnostics: Iterable[Diagnostic], partial: Iterable[Partial] = ()):
        self.diagnostics = tuple(diagnostics)
        self.partial = tuple(partial)
        super().__init__(self.diagnostics)

    def __str__(self) -> str:
        # Rendered only when shown: most CompileErrors are caught and collected.
        return "\n\n".join(render(d) for d in self.diagnostics)


def error(
    code: str,
    message: str,
    span: Span | None,
    *help: str,
    notes: Iterable[str] = (),
    label: str = "",
    chain: tuple[CallSite, ...] = (),
) -> CompileError:
    """Shorthand for a CompileError holding one diagnostic."""
    helps = tuple(h for h in help if h)
    return CompileError([Diagnostic(code, message, span, helps, tuple(notes), chain, label)])


def _chain_note(site: CallSite) -> str:
    path = site.path if len(site.path) <= 60 else "..." + site.path[-57:]
    return f"in block '{site.block}' ({path}), called at {site.span.location}"


def render(diag: Diagnostic) -> str:
    """Format a diagnostic as text: header, location, source line with carets, help, notes."""
    lines = [f"{diag.severity}[{diag.code}]: {diag.message}"]
    span = diag.span
    prefix = " ="
    if span is not None:
        number = str(span.line)
        gutter = " " * len(number)
        source_line = span.source.line(span.line).expandtabs(1)
        end = span.end_column if span.end_line == span.line else len(source_line) + 1
        shown, start, stop = _window(source_line, span.column - 1, max(end - 1, span.column))
        caret = " " * start + "^" * (stop - start) + (f" {diag.label}" if diag.label else "")
        lines += [
            f"{gutter}--> {span.location}",
            f"{gutter} |",
            f"{number} | {shown}",
            f"{gutter} | {caret}",
        ]
        prefix = f"{gutter} ="
    lines += [f"{prefix} help: {h}" for h in diag.help]
    lines += [f"{prefix} note: {n}" for n in diag.notes]
    lines += [f"{prefix} note: {n}" for n in _chain_notes(diag.chain)]
    return "\n".join(lines)


def _window(line: str, start: int, stop: int) -> tuple[str, int, int]:
    """At most MAX_SHOWN_LINE characters of `line` around [start, stop) (0-based), with the
    span's new bounds; cut ends are marked '...'."""
    if len(line) <= MAX_SHOWN_LINE:
        return line, start, stop
    left = max(0, start - MAX_SHOWN_LINE // 3)
    right = min(len(line), left + MAX_SHOWN_LINE)
    head = "..." if left > 0 else ""
    tail = "..." if right < len(line) else ""
    shift = len(head) - left
    stop = max(min(stop, right), start + 1)
    return head + line[left:right] + tail, start + shift, stop + shift


def _chain_notes(chain: tuple[CallSite, ...]) -> list[str]:
    """Innermost call first; a chain longer than MAX_CHAIN_NOTES keeps both ends."""
    notes = [_chain_note(c) for c in reversed(chain)]
    if len(notes) <= MAX_CHAIN_NOTES:
        return notes
    half = MAX_CHAIN_NOTES // 2
    hidden = len(notes) - 2 * half
    return [*notes[:half], f"... {hidden} more block calls ...", *notes[-half:]]
