"""W-indent: a chain continued on an indented next line, which is a statement of its own.

Assumes a parsed network (and the blocks of its module). Guarantees a warning for each
unnamed chain that starts on the line after a named chain ends (blank and comment lines
between them allowed) and is indented further than that chain's first column: the
writer meant it as the chain's continuation, but a newline ends a statement
(docs/language.md §2.2), so the named result leaves it out. Bodies of repeat, if and
merge branches are looked at too.
"""

from __future__ import annotations

from collections.abc import Iterable

from netspec.errors import Diagnostic
from netspec.syntax import ast


def indent_warnings(bodies: Iterable[tuple[ast.Stmt, ...]]) -> list[Diagnostic]:
    """Every W-indent of `bodies` and the bodies nested in them, in source order."""
    found: list[Diagnostic] = []
    for body in bodies:
        _body(body, found)
    return found


def _body(body: tuple[ast.Stmt, ...], found: list[Diagnostic]) -> None:
    for before, stmt in zip((None, *body), body, strict=False):
        if before is not None and _continues(before, stmt):
            found.append(_warning(before, stmt))
        for inner in _nested(stmt):
            _body(inner, found)


def _nested(stmt: ast.Stmt) -> list[tuple[ast.Stmt, ...]]:
    if isinstance(stmt, ast.RepeatStmt):
        return [stmt.body]
    if isinstance(stmt, ast.IfStmt):
        return [stmt.then, stmt.orelse]
    if isinstance(stmt, ast.ChainStmt):
        return [b.body for s in stmt.stages for b in s.branches or ()]
    return []


def _continues(before: ast.Stmt, stmt: ast.Stmt) -> bool:
    if not (isinstance(before, ast.ChainStmt) and before.name is not None):
        return False
    if not (isinstance(stmt, ast.ChainStmt) and stmt.name is None):
        return False
    span, prior = stmt.span, before.span
    if span.line <= prior.end_line or span.column <= prior.column:
        return False
    between = range(prior.end_line + 1, span.line)
    return all(_blank(span.source.line(n)) for n in between)


def _blank(line: str) -> bool:
    text = line.strip()
    return not text or text.startswith("#")


def _warning(before: ast.ChainStmt, stmt: ast.ChainStmt) -> Diagnostic:
    first = stmt.stages[0].span.source.line(stmt.span.line)[stmt.span.column - 1 :].rstrip()
    message = (
        f"this indented line is a statement of its own, not part of '{before.name}': a "
        f"newline ends a statement, so '{before.name}' (line {before.span.line}) stops "
        "before it"
    )
    hint = (
        f"indentation has no meaning: to continue '{before.name}', move `{first}` up to "
        f"the end of line {before.span.end_line}; if it is meant to follow "
        f"'{before.name}' as a statement of its own, unindent it"
    )
    return Diagnostic("W-indent", message, stmt.span, (hint,))
