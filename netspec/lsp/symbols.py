"""The names of a spec: where each is defined, where each is read, by scope.

A spec's names live in two scopes: the file's (constants, blocks, networks) and each
block's or network's own (its parameters, inputs, learned tensors, `let`s, statement
names, repeat variables). A name read inside a block or network is its own if it
defines it, else the file's; a stage's name is a block of the file where one is so
named (else it is an op, not a name of the spec). An index of them answers go to
definition, find references, rename and the outline.

Assumes the AST of netspec/syntax/ast.py (spans 1-based, end exclusive). The AST spans
a definition whole (`const C3 = [...]`); the name's own place is found on the
definition's first line, after its keyword. Guarantees every occurrence of a name the
spec defines, each resolved to one definition; names the spec does not define (ops,
`in`, sizes such as N, builtin functions) are not indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from netspec.source import text_lines
from netspec.syntax import ast


class Place(NamedTuple):
    """A name's place: its line, first column, end column (1-based, end exclusive)."""

    line: int
    column: int
    end: int


class Definition(NamedTuple):
    name: str
    kind: str  # const, block, network, parameter, input, param, let, statement, loop
    place: Place
    scope: str  # "" (the file) or the block's or network's name
    whole: ast.Span  # the definition's whole text (a block's body, a statement)


class Reference(NamedTuple):
    name: str
    place: Place
    target: Definition


class Index(NamedTuple):
    definitions: tuple[Definition, ...]
    references: tuple[Reference, ...]

    def at(self, line: int, column: int) -> Definition | None:
        """The definition of the name at (line, column): defined or read there."""
        for d in self.definitions:
            if _inside(d.place, line, column):
                return d
        for r in self.references:
            if _inside(r.place, line, column):
                return r.target
        return None

    def occurrences(self, target: Definition) -> list[Place]:
        """Where `target` is named: its definition first, then every read."""
        return [target.place] + [r.place for r in self.references if r.target == target]

    def visible(self, scope: str) -> list[Definition]:
        """The names a statement of `scope` can read: its own, then the file's."""
        own = [d for d in self.definitions if d.scope == scope and scope]
        shadowed = {d.name for d in own}
        top = [d for d in self.definitions if d.scope == "" and d.name not in shadowed]
        return own + top

    def scope_at(self, line: int) -> str:
        """The block or network whose text holds `line` ("" outside every one)."""
        for d in self.definitions:
            if d.kind in ("block", "network") and d.whole.line <= line <= d.whole.end_line:
                return d.name
        return ""


def _inside(place: Place, line: int, column: int) -> bool:
    return place.line == line and place.column <= column <= place.end


def index(module: ast.Module, text: str) -> Index:
    """Every definition and reference of the module's names."""
    lines = text_lines(text)
    found = _Finder(lines)
    for item in module.items:
        found.top(item)
    for item in module.items:
        if isinstance(item, (ast.BlockDef, ast.NetworkDef)):
            found.body_of(item)
        elif isinstance(item, ast.ConstDef):
            found.reads(item.value, "")
        elif isinstance(item, ast.DefaultsDef):
            for arg in item.args:
                found.reads(arg.value, "")
    return Index(tuple(found.definitions), tuple(found.resolved()))


KEYWORD_OF = {
    ast.ConstDef: "const",
    ast.BlockDef: "block",
    ast.NetworkDef: "network",
    ast.InputStmt: "input",
    ast.ParamStmt: "param",
    ast.LetStmt: "let",
}


class _Finder:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.definitions: list[Definition] = []
        self.reads_: list[tuple[str, Place, str]] = []  # name, place, scope

    def place(self, span: ast.Span, name: str, after: str = "") -> Place:
        """Where `name` stands on the span's first line (after the keyword `after`)."""
        text = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else ""
        start = span.column - 1
        if after:
            keyword = re.compile(rf"\b{re.escape(after)}\b").search(text, start)
            start = keyword.end() if keyword else start
        hit = re.compile(rf"(?<![\w.]){re.escape(name)}\b").search(text, start)
        column = hit.start() + 1 if hit else span.column
        return Place(span.line, column, column + len(name))

    def define(self, name: str, kind: str, place: Place, scope: str, whole: ast.Span) -> None:
        self.definitions.append(Definition(name, kind, place, scope, whole))

    def top(self, item) -> None:
        keyword = KEYWORD_OF.get(type(item))
        if keyword is not None:
            self.define(
                item.name, keyword, self.place(item.span, item.name, keyword), "", item.span
            )

    def body_of(self, item: ast.BlockDef | ast.NetworkDef) -> None:
        scope = item.name
        for p in item.params:
            self.define(p.name, "parameter", self.place(p.span, p.name), scope, p.span)
            if p.default is not None:
                self.reads(p.default, scope)
        self.statements(item.body, scope)

    def statements(self, body, scope: str) -> None:
        for stmt in body:
            self.statement(stmt, scope)

    def statement(self, stmt, scope: str) -> None:
        keyword = KEYWORD_OF.get(type(stmt))
        if keyword is not None:
            self.define(
                stmt.name, keyword, self.place(stmt.span, stmt.name, keyword), scope, stmt.span
            )
        if isinstance(stmt, ast.ChainStmt):
            self.chain(stmt, scope)
        elif isinstance(stmt, ast.ParamStmt):
            self.reads(stmt.dims, scope)
            if stmt.init is not None:
                self.reads(stmt.init, scope)
        elif isinstance(stmt, ast.InputStmt):
            self.reads(stmt.dims, scope)
        elif isinstance(stmt, ast.LetStmt):
            self.reads(stmt.value, scope)
        elif isinstance(stmt, ast.RepeatStmt):
            self.reads(stmt.count, scope)
            if stmt.var:
                self.define(
                    stmt.var, "loop", self.place(stmt.span, stmt.var, "as"), scope, stmt.span
                )
            self.statements(stmt.body, scope)
        elif isinstance(stmt, ast.IfStmt):
            self.reads(stmt.cond, scope)
            self.statements(stmt.then, scope)
            self.statements(stmt.orelse, scope)
        elif isinstance(stmt, ast.FromStmt):
            self.read(stmt.name, self.place(stmt.span, stmt.name, "from"), scope)
        elif isinstance(stmt, ast.OutputStmt):
            for n in stmt.names:
                self.read(n.id, Place(n.span.line, n.span.column, n.span.end_column), scope)

    def chain(self, stmt: ast.ChainStmt, scope: str) -> None:
        for n in stmt.names or ():
            place = Place(n.span.line, n.span.column, n.span.end_column)
            self.define(n.id, "statement", place, scope, stmt.span)
        if not stmt.names and stmt.name and stmt.name_span is not None:
            span = stmt.name_span
            place = Place(span.line, span.column, span.end_column)
            self.define(stmt.name, "statement", place, scope, stmt.span)
        for stage in stmt.stages:
            self.stage(stage, scope)
        if stmt.checkpoint is not None:
            self.reads(stmt.checkpoint, scope)

    def stage(self, stage: ast.Stage, scope: str) -> None:
        span = stage.name_span
        self.read(stage.name, Place(span.line, span.column, span.end_column), "", stage=True)
        for arg in stage.args:
            self.reads(arg.value, scope)
        for branch in stage.branches or ():
            self.statements(branch.body, scope)

    def reads(self, expr, scope: str) -> None:
        for name in _names(expr):
            self.read(name.id, Place(name.span.line, name.span.column, name.span.end_column), scope)

    def read(self, name: str, place: Place, scope: str, stage: bool = False) -> None:
        self.reads_.append((name, place, "\x00" if stage else scope))

    def resolved(self) -> Iterator[Reference]:
        by_scope: dict[str, dict[str, Definition]] = {}
        for d in self.definitions:
            by_scope.setdefault(d.scope, {}).setdefault(d.name, d)
        top = by_scope.get("", {})
        for name, place, scope in self.reads_:
            if scope == "\x00":  # a stage: a block of the file, or an op (not indexed)
                target = top.get(name) if top.get(name, _NONE).kind == "block" else None
            else:
                target = by_scope.get(scope, {}).get(name) or top.get(name)
            if target is not None and place != target.place:
                yield Reference(name, place, target)


_NONE = Definition("", "", Place(0, 0, 0), "", None)  # type: ignore[arg-type]


def _names(expr) -> Iterator[ast.Name]:
    """The Name nodes of an expression, the object of an attribute included (`in.c`'s
    `in`, `image.h`'s `image`)."""
    if isinstance(expr, ast.Name):
        yield expr
    elif isinstance(expr, ast.ListExpr):
        for item in expr.items:
            yield from _names(item)
    elif isinstance(expr, ast.Index):
        yield from _names(expr.obj)
        yield from _names(expr.index)
    elif isinstance(expr, ast.Attr):
        yield from _names(expr.obj)
    elif isinstance(expr, ast.Call):
        for arg in expr.args:
            yield from _names(arg.value)
    elif isinstance(expr, ast.BinOp):
        yield from _names(expr.left)
        yield from _names(expr.right)
    elif isinstance(expr, ast.UnaryOp):
        yield from _names(expr.operand)
