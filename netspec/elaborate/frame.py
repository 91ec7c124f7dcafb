"""Where a body is elaborated, and the helpers every part of elaboration shares.

Assumes scopes from :mod:`netspec.elaborate.evaluate`. Guarantees a :class:`Frame` for
each body being elaborated (its scope, path prefix, current stream, block call chain and
naming state); :data:`POISON`, the value an earlier error made unknown; :class:`Abort`,
which stops a network at a limit, and :func:`limit`, the E-limit diagnostic it carries
(with the frame's call chain); :func:`named_tensor`, a name that must be a tensor; and
:func:`first_line`, a statement's span cut to its first line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.elaborate.evaluate import Scope, evaluate
from netspec.errors import CallSite, CompileError, error
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import Tensor, type_name

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


def limit(
    message: str,
    span: Span,
    frame: Frame | None,
    hint: str = "netspec refuses networks this large",
) -> Abort:
    """An E-limit diagnostic that stops this network at once."""
    chain = frame.chain if frame is not None else ()
    return Abort(error("E-limit", message, span, hint, chain=chain))


def named_tensor(scope: Scope, name: ast.Name, what: str) -> Tensor:
    """The tensor `name` stands for (`from name`, `output name`, `add(name)`)."""
    value = evaluate(name, scope)
    if not isinstance(value, Tensor):
        raise error(
            "E-type",
            f"{what} needs a tensor, but '{name.id}' is {type_name(value)}",
            name.span,
            "name an input or a statement (`skip = ...`) and use that name",
        )
    return value


def first_line(span: Span) -> Span:
    """A statement's span cut to its first line (so carets do not run past it)."""
    if span.line == span.end_line:
        return span
    end = len(span.source.line(span.line)) + 1
    return Span(span.source, span.line, span.column, span.line, max(end, span.column + 1))
