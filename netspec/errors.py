"""Diagnostics as data, rendered only at the edge.

A :class:`Diagnostic` has a stable code (``E-shape``, ``W-floor``, ...), a message, the
span it points at, help lines (how to fix it), notes, and the chain of block call sites
that led to it. Compiler stages collect diagnostics and raise :class:`CompileError`
carrying all of them; :func:`render` turns one into the text users read. Nothing in
this module prints.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from netspec.source import Span

# Hard limits against hostile input; every E-limit message quotes the one it hit.
MAX_NESTING = 100  # braces, brackets and parentheses inside one another
MAX_BLOCK_DEPTH = 200  # block calls inside block calls
MAX_LAYERS = 100_000  # elaborated layers in one network
MAX_REPEAT = 100_000  # copies in one repeat
MAX_ELEMENTS = 2**40  # elements of one tensor, per sample (about 1.1e12; 4 TiB as float32)
MAX_SOURCE_BYTES = 2 * 2**20  # size of one spec file
MAX_TOKENS = 120_000  # tokens of one spec file (a 10,000-layer chain has 50,000)
MAX_KERNEL = 2**16  # kernel size along one axis (connection counts walk the taps)
MAX_OPERATORS = 500  # operators in one expression (deep trees would exhaust the stack)
MAX_INT = 2**53  # magnitude of compile-time integers (exact as floats; far above any size)
MAX_LIST = 100_000  # items of one list value (`[0] * n` could otherwise exhaust memory)
MAX_STEPS = 300_000  # statements elaborated for one network (repeats of empty bodies)
MAX_CHAIN_NOTES = 8  # block call sites shown in full; the middle of longer chains is elided
MAX_SHOWN_LINE = 100  # characters of a source line shown around a caret
# Python frames for the recursive stages (tree walk, evaluation, elaboration): the
# limits above bound their depth well below this, so no RecursionError is expected.
RECURSION_LIMIT = 20_000


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise Python's recursion limit to RECURSION_LIMIT for the duration."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


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


class CompileError(Exception):
    """Raised by a compiler stage with every error it found (never empty)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
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


def close_matches(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates most like `word` (case-insensitive): the best, and any nearly as good."""
    scored = []
    for candidate in sorted(set(candidates)):
        ratio = difflib.SequenceMatcher(None, word.lower(), candidate.lower()).ratio()
        if ratio >= 0.6:
            scored.append((-ratio, candidate))
    scored.sort()
    if not scored:
        return []
    best = -scored[0][0]
    return [c for r, c in scored[:3] if -r >= best - 0.1]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' help line, or '' when nothing is close."""
    close = close_matches(word, candidates)
    if not close:
        return ""
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


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
