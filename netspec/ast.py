"""The abstract syntax tree: frozen dataclasses, each with the Span it came from.

The AST is what the user wrote, nothing resolved: names are strings, op arguments are
unevaluated expressions. :mod:`netspec.elaborate` gives it meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from netspec.source import Span

_node = dataclass(frozen=True, slots=True)


# --- expressions ------------------------------------------------------------------


@_node
class Literal:
    value: int | float | str | bool | None
    span: Span


@_node
class Name:
    id: str
    span: Span


@_node
class ListExpr:
    items: tuple[Expr, ...]
    span: Span


@_node
class Index:
    obj: Expr
    index: Expr
    span: Span


@_node
class Attr:
    obj: Expr
    name: str
    span: Span


@_node
class Call:
    func: str
    args: tuple[Arg, ...]
    span: Span


@_node
class BinOp:
    op: str  # one of + - * / // % == != < <= > >= and or
    left: Expr
    right: Expr
    span: Span


@_node
class UnaryOp:
    op: str  # one of - + not
    operand: Expr
    span: Span


Expr = Literal | Name | ListExpr | Index | Attr | Call | BinOp | UnaryOp


@_node
class Arg:
    """A call argument: positional when `name` is None."""

    name: str | None
    value: Expr
    span: Span


# --- statements -------------------------------------------------------------------


@_node
class Branch:
    body: tuple[Stmt, ...]
    span: Span


@_node
class Stage:
    """`op`, `op(args)`, `block(args)` or a merge `op(args) { branch | branch }`."""

    name: str
    name_span: Span
    args: tuple[Arg, ...]
    branches: tuple[Branch, ...] | None
    span: Span


@_node
class ChainStmt:
    name: str | None
    name_span: Span | None
    stages: tuple[Stage, ...]
    checkpoint: Expr | None
    span: Span


@_node
class InputStmt:
    name: str
    dims: Expr
    span: Span


@_node
class LetStmt:
    name: str
    value: Expr
    span: Span


@_node
class RepeatStmt:
    count: Expr
    var: str | None
    body: tuple[Stmt, ...]
    span: Span


@_node
class IfStmt:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span


@_node
class FromStmt:
    name: str
    span: Span


@_node
class OutputStmt:
    names: tuple[Name, ...]
    span: Span


Stmt = ChainStmt | InputStmt | LetStmt | RepeatStmt | IfStmt | FromStmt | OutputStmt


# --- top-level items --------------------------------------------------------------


@_node
class Param:
    name: str
    default: Expr | None
    span: Span


@_node
class ConstDef:
    name: str
    value: Expr
    span: Span


@_node
class DefaultsDef:
    op: str
    op_span: Span
    args: tuple[Arg, ...]
    span: Span


@_node
class BlockDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span


@_node
class NetworkDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span


Item = ConstDef | DefaultsDef | BlockDef | NetworkDef


@_node
class Module:
    items: tuple[Item, ...]
    span: Span
