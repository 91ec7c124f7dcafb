"""Diagnostics as data, rendered only at the edge.

A :class:`Diagnostic` has a stable code (``E-shape``, ``W-floor``, ...), a message, the
span it points at, help lines (how to fix it), notes, and the chain of block call sites
that led to it. Compiler stages collect diagnostics and raise :class:`CompileError`
carrying all of them; :func:`render` turns one into the text users read. Nothing in
this module prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from netspec.source import Span

# Hard limits against hostile input; every E-limit message quotes the one it hit.
MAX_NESTING = 100  # braces, brackets and parentheses inside one another
MAX_BLOCK_DEPTH = 200  # block calls inside block calls
MAX_LAYERS = 100_000  # elaborated layers in one network
MAX_REPEAT = 100_000  # copies in one repeat
MAX_ELEMENTS = 2**48  # elements of one tensor, per sample (about 2.8e14)
MAX_SOURCE_BYTES = 4 * 2**20  # size of one spec file
MAX_KERNEL = 2**20  # kernel size along one axis (connection counts walk the taps)


@dataclass(frozen=True)
class CallSite:
    """One block call on the way to a diagnostic: the block, its instance path, where."""

    block: str
    path: str
    span: Span


@dataclass(frozen=True)
class Diagnostic:
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
        super().__init__("\n\n".join(render(d) for d in self.diagnostics))


def error(code: str, message: str, span: Span | None, *help: str, notes=(), label="") -> CompileError:
    """Shorthand for a CompileError holding one diagnostic."""
    return CompileError([Diagnostic(code, message, span, tuple(h for h in help if h), tuple(notes), (), label)])


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' help line, or '' when nothing is close."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def _chain_note(site: CallSite) -> str:
    return f"in block '{site.block}' ({site.path}), called at {site.span.location}"


def render(diag: Diagnostic) -> str:
    """Format a diagnostic as text: header, location, source line with carets, help, notes."""
    lines = [f"{diag.severity}[{diag.code}]: {diag.message}"]
    span = diag.span
    if span is not None:
        number = str(span.line)
        gutter = " " * len(number)
        lines.append(f"{gutter}--> {span.location}")
        source_line = span.source.line(span.line).expandtabs(1)
        end = span.end_column if span.end_line == span.line else len(source_line) + 1
        width = max(1, end - span.column)
        caret = " " * (span.column - 1) + "^" * width
        if diag.label:
            caret += " " + diag.label
        lines += [f"{gutter} |", f"{number} | {source_line}", f"{gutter} | {caret}"]
        prefix = f"{gutter} ="
    else:
        prefix = " ="
    lines += [f"{prefix} help: {h}" for h in diag.help]
    lines += [f"{prefix} note: {n}" for n in diag.notes]
    lines += [f"{prefix} note: {_chain_note(c)}" for c in reversed(diag.chain)]
    return "\n".join(lines)
