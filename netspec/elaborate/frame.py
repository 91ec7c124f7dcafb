"""The state of elaboration at one point of a body (used by the builder modules).

A :class:`Frame` is where a body is being elaborated: its scope, path prefix, current
stream, block call chain and naming state. :data:`POISON` stands for a value that an
earlier error made unknown; :class:`Abort` stops a network at a limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.elaborate.evaluate import Scope
from netspec.errors import CallSite, CompileError
from netspec.source import Span
from netspec.values import Tensor

POISON = Tensor(-1, None)


class Abort(Exception):
    """A limit was hit: stop elaborating this network at once."""

    def __init__(self, exc: CompileError):
        self.exc = exc


@dataclass
class Frame:
    """Where a body is being elaborated: its names, path prefix, stream, call chain."""

    scope: Scope
    prefix: str
    stream: Tensor | None
    chain: tuple[CallSite, ...] = ()
    active: tuple[str, ...] = ()  # blocks being called, for recursion checks
    counters: dict[str, int] = field(default_factory=dict)
    bound_by: dict[str, Span] = field(default_factory=dict)
    suffix: str = ""  # repeat iteration indices for named statements
    top: bool = False
    reserved: frozenset[str] = frozenset()  # statement names of this scope: no auto name takes one


def first_line(span: Span) -> Span:
    """A statement's span cut to its first line (so carets do not run past it)."""
    if span.line == span.end_line:
        return span
    end = len(span.source.line(span.line)) + 1
    return Span(span.source, span.line, span.column, span.line, max(end, span.column + 1))
