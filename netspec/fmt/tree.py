"""The layout tree: statements, bodies, merges and bracket groups, comments in place.

Assumes the tokens of a spec the parser accepted (:mod:`netspec.fmt.tokens`). Guarantees
a tree that holds every token and comment once, in order, with the line breaks that the
layout keeps from the source: blank lines between statements, breaks inside brackets,
whether a merge body spanned lines and whether a branch started on its bar's line.
It mirrors the grammar only as far as layout needs: a statement is a run of parts,
and a `{` opens a statement body after `block`, `network`, `repeat`, `if` and `else`,
a merge body anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.fmt.tokens import Tok

BODY_STARTS = {"BLOCK", "NETWORK", "REPEAT", "IF"}
OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB"}


@dataclass(eq=False)
class Comment:
    text: str
    own_line: bool
    blank_before: bool = False


@dataclass(eq=False)
class Break:
    """A line break the source has inside brackets."""


@dataclass(eq=False)
class Group:
    """A bracketed list: `( ... )` or `[ ... ]`."""

    open: Tok
    close: Tok
    parts: list[Tok | Group | Break | Comment]


@dataclass(eq=False)
class Stmt:
    parts: list[Part]
    blank_before: bool = False


@dataclass(eq=False)
class Body:
    """A statement body `{ ... }`: always laid out one statement a line."""

    items: list[Item]
    open_comment: str | None = None


@dataclass(eq=False)
class Branch:
    items: list[Item]
    bar_newline: bool = True  # the source starts the branch on the line after its bar
    open_comment: str | None = None


@dataclass(eq=False)
class Merge:
    """A merge body `{ a | b }`; `multiline`: the source spans lines between its braces."""

    branches: list[Branch] = field(default_factory=list)
    multiline: bool = False


Part = Tok | Group | Body | Merge | Comment
Item = Stmt | Comment


class _Reader:
    def __init__(self, toks: list[Tok]):
        self.toks, self.at = toks, 0

    def peek(self, ahead: int = 0) -> Tok | None:
        i = self.at + ahead
        return self.toks[i] if i < len(self.toks) else None

    def take(self) -> Tok:
        self.at += 1
        return self.toks[self.at - 1]


def build(toks: list[Tok]) -> list[Item]:
    """The top-level items of a spec."""
    return _items(_Reader(toks), set())


def _items(r: _Reader, stop: set[str]) -> list[Item]:
    items: list[Item] = []
    while (t := r.peek()) is not None and t.kind not in stop:
        blank = t.breaks >= 2 and bool(items)
        if t.kind == "COMMENT":
            items.append(Comment(r.take().text, True, blank))
        else:
            items.append(_stmt(r, stop, blank))
    return items


def _stmt(r: _Reader, stop: set[str], blank: bool) -> Stmt:
    first = r.peek()
    assert first is not None
    bodies = first.kind in BODY_STARTS
    parts: list[Part] = []
    while (t := r.peek()) is not None and t.kind not in stop:
        if parts and t.breaks and not _continues(r):
            break
        if t.kind == "COMMENT":
            parts.append(Comment(r.take().text, t.breaks > 0))
        elif t.kind in OPENERS:
            parts.append(_group(r))
        elif t.kind == "LBRACE":
            parts.append(_body(r) if bodies else _merge(r))
        else:
            parts.append(r.take())
    return Stmt(parts, blank)


def _continues(r: _Reader) -> bool:
    """Whether a token after a line break still belongs to the statement: only an
    `else` (and the comments before it) does."""
    ahead = 0
    while (t := r.peek(ahead)) is not None and t.kind == "COMMENT":
        ahead += 1
    return t is not None and t.kind == "ELSE"


def _group(r: _Reader) -> Group:
    opener = r.take()
    parts: list[Tok | Group | Break | Comment] = []
    while (t := r.peek()) is not None and t.kind != OPENERS[opener.kind]:
        if t.breaks:
            parts.append(Break())
        if t.kind == "COMMENT":
            parts.append(Comment(r.take().text, t.breaks > 0))
        elif t.kind in OPENERS:
            parts.append(_group(r))
        else:
            parts.append(r.take())
    closer = r.take()
    if closer.breaks:
        parts.append(Break())
    return Group(opener, closer, parts)


def _open_comment(r: _Reader) -> str | None:
    t = r.peek()
    if t is not None and t.kind == "COMMENT" and not t.breaks:
        return r.take().text
    return None


def _body(r: _Reader) -> Body:
    r.take()
    body = Body([], _open_comment(r))
    body.items = _items(r, {"RBRACE"})
    r.take()
    return body


def _merge(r: _Reader) -> Merge:
    start = r.at
    r.take()
    merge = Merge()
    while True:
        nxt = r.peek()
        branch = Branch([], bool(nxt and nxt.breaks), _open_comment(r))
        branch.items = _items(r, {"RBRACE", "VBAR"})
        merge.branches.append(branch)
        if r.take().kind == "RBRACE":
            break
    merge.multiline = any(t.breaks for t in r.toks[start + 1 : r.at])
    return merge
