"""Reparsing an edited spec from the statements the edit touched (the language server's
keystrokes).

A keystroke changes a few lines of one body. :func:`reparse` finds the statements of that
network or block body whose lines the edit touches, parses just their new lines (inside
a stand-in ``block _() { ... }`` whose ``{`` sits on the line before them, so that
positions, bracket depth and newline rules are the body's own), and splices the result
into the earlier AST. The rest is reused; where the edit added or removed lines, the
spans after it move by that many lines.

Assumes `module` is what ``parse(before)`` returned. Guarantees ``reparse(module,
before, after) == parse(after)``: the same nodes at the same positions (spans compare
by position), or the same CompileError, since anything it cannot splice with certainty
is parsed whole. A reused node's span may point at `before` rather than `after`; the
lines it covers are the same text in both, which is all that any reader of a span's
source takes from it.

Parsed whole instead: a text longer than MAX_TOKENS characters (so that the token limit,
checked by a whole parse, cannot be passed unseen), an edit outside a body's statements
(a header, a brace's line, a top-level item), a body statement sharing a line with
anything but a comment, and new text that does not parse as statements on its own.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.errors import CompileError
from netspec.limits import MAX_TOKENS
from netspec.source import Source, Span
from netspec.syntax import ast
from netspec.syntax.parser import parse

Def = ast.NetworkDef | ast.BlockDef
STANDIN = "block _() {"  # the fragment's header, on the line before its first line
EMPTY = (1, 1, 1, 1)  # the span the builder gives what spans no text (an empty branch)


class Edit(NamedTuple):
    """Lines [first, end) of the old text became lines [first, new_end) of the new one
    (0-based line numbers)."""

    first: int
    end: int
    new_end: int

    @property
    def shift(self) -> int:
        return self.new_end - self.end


class Region(NamedTuple):
    """The body statements [start, stop) of item `item`, re-read from old lines [first, end)."""

    item: int
    start: int
    stop: int
    first: int
    end: int


def reparse(module: ast.Module, before: Source, after: Source) -> ast.Module:
    """`parse(after)`, reusing the parts of `module` (the parse of `before`) the edit
    left alone."""
    old, new = _lines(before), _lines(after)
    if len(after.text) > MAX_TOKENS:
        return parse(after)
    edit = _edit(old, new)
    if edit is None:
        return module if before.text == after.text else parse(after)
    region = _region(module, old, edit)
    if region is None:
        return parse(after)
    body = _fragment(after, new, region.first, region.end + edit.shift)
    if body is None:
        return parse(after)
    return _spliced(module, after, region, body, edit.shift)


def _lines(source: Source) -> list[str]:
    """The text's lines as Lark numbers them, a final empty one after a final newline."""
    return source.text.split("\n")


def _edit(old: list[str], new: list[str]) -> Edit | None:
    """The changed lines: what is left between the common first and last lines."""
    first, most = 0, min(len(old), len(new))
    while first < most and old[first] == new[first]:
        first += 1
    if first == most and len(old) == len(new):
        return None
    tail = 0
    while tail < most - first and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return Edit(first, len(old) - tail, len(new) - tail)


def _region(module: ast.Module, old: list[str], edit: Edit) -> Region | None:
    """The body statements to re-read: those the edit touches and the one after them,
    whose blank lines before it may have changed; None if the edit is not inside a body's
    statements alone."""
    for index, item in enumerate(module.items):
        if isinstance(item, Def) and item.span.line - 1 < edit.first < item.span.end_line - 1:
            return _in_body(index, item, old, edit)
    return None


def _in_body(index: int, item: Def, old: list[str], edit: Edit) -> Region | None:
    body = item.body
    first, last = edit.first, max(edit.end, edit.first + 1)  # an insertion: the line it is in
    touched = [k for k, s in enumerate(body) if s.span.line - 1 < last and s.span.end_line > first]
    if touched:
        start, stop = touched[0], touched[-1] + 1
    else:  # only blank or comment lines changed: re-read the statement after them
        after = (k for k, s in enumerate(body) if s.span.line - 1 >= edit.end)
        start = stop = next(after, len(body))
    stop = min(stop + 1, len(body))
    if start == stop:
        return None  # nothing of the body after the edit: its closing brace may be near
    first = min(edit.first, body[start].span.line - 1)
    end = max(edit.end, body[stop - 1].span.end_line)
    if end >= item.span.end_line or not _only_statements(body[start:stop], old, first, end):
        return None
    return Region(index, start, stop, first, end)


def _only_statements(stmts: tuple[ast.Stmt, ...], old: list[str], first: int, end: int) -> bool:
    """Whether old lines [first, end) hold these statements, each on lines of its own, and
    otherwise only blank and comment lines."""
    covered: set[int] = set()
    for s in stmts:
        span = s.span
        if old[span.line - 1][: span.column - 1].strip():
            return False
        rest = old[span.end_line - 1][span.end_column - 1 :].strip()
        if rest and not rest.startswith("#"):
            return False
        covered.update(range(span.line - 1, span.end_line))
    return all(n in covered or _blank(old[n]) for n in range(first, end))


def _blank(line: str) -> bool:
    text = line.strip()
    return not text or text.startswith("#")


def _fragment(after: Source, new: list[str], first: int, end: int) -> tuple[ast.Stmt, ...] | None:
    """The statements of new lines [first, end), parsed at their own positions inside a
    stand-in block; None if they do not parse as statements alone."""
    if first < 1:
        return None
    text = "\n" * (first - 1) + STANDIN + "\n" + "\n".join(new[first:end]) + "\n}\n"
    try:
        module = parse(Source(after.name, text))
    except CompileError:
        return None
    if len(module.items) != 1 or module.items[0].span.end_line != end + 1:
        return None  # a brace in the new lines closed the stand-in early
    body = module.items[0].body
    return tuple(_moved(s, after, 0) for s in body)


def _spliced(
    module: ast.Module, after: Source, region: Region, body: tuple[ast.Stmt, ...], shift: int
) -> ast.Module:
    """`module` with the region's statements replaced by `body` and the rest moved by
    `shift` lines (kept as they are, on `before`'s source, where no line moved)."""
    items = module.items
    item = items[region.item]
    rest = _moved(item.body[region.stop :], after, shift) if shift else item.body[region.stop :]
    statements = (*item.body[: region.start], *body, *rest)
    span = item.span
    edited = item._replace(
        body=statements,
        span=Span(after, span.line, span.column, span.end_line + shift, span.end_column),
    )
    later = _moved(items[region.item + 1 :], after, shift) if shift else items[region.item + 1 :]
    whole = module.span
    return ast.Module(
        (*items[: region.item], edited, *later),
        Span(after, whole.line, whole.column, whole.end_line + shift, whole.end_column),
    )


def _moved(node, after: Source, shift: int):
    """`node` with every span on `after`, `shift` lines further down."""
    if isinstance(node, Span):
        if (node.line, node.column, node.end_line, node.end_column) == EMPTY:
            return Span(after, *EMPTY)  # an empty branch's: no position to move
        return Span(after, node.line + shift, node.column, node.end_line + shift, node.end_column)
    if isinstance(node, tuple):
        moved = [_moved(v, after, shift) for v in node]
        return node._make(moved) if hasattr(node, "_fields") else tuple(moved)
    return node
