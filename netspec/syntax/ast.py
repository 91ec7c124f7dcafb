"""The abstract syntax tree: immutable records, each with the Span it came from.

The AST is what the user wrote, nothing resolved: names are strings, op arguments are
unevaluated expressions. :mod:`netspec.elaborate` gives it meaning.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.source import Span

# NamedTuples rather than frozen dataclasses: the same immutability for a tenth of
# the class-creation cost, which `netspec check` pays at every start
# (docs/performance.md).


# --- expressions ------------------------------------------------------------------


class Literal(NamedTuple):
    value: int | float | str | bool | None
    span: Span


class Name(NamedTuple):
    id: str
    span: Span


class ListExpr(NamedTuple):
    items: tuple[Expr, ...]
    span: Span


class Index(NamedTuple):
    obj: Expr
    index: Expr
    span: Span


class Attr(NamedTuple):
    obj: Expr
    name: str
    span: Span


class Call(NamedTuple):
    func: str
    args: tuple[Arg, ...]
    span: Span


class BinOp(NamedTuple):
    op: str  # one of + - * / // % == != < <= > >= and or
    left: Expr
    right: Expr
    span: Span


class UnaryOp(NamedTuple):
    op: str  # one of - + not
    operand: Expr
    span: Span


Expr = Literal | Name | ListExpr | Index | Attr | Call | BinOp | UnaryOp


class Arg(NamedTuple):
    """A call argument: positional when `name` is None."""

    name: str | None
    value: Expr
    span: Span


# --- statements -------------------------------------------------------------------


class Branch(NamedTuple):
    body: tuple[Stmt, ...]
    span: Span


class Stage(NamedTuple):
    """`op`, `op(args)`, `block(args)` or a merge `op(args) { branch | branch }`."""

    name: str
    name_span: Span
    args: tuple[Arg, ...]
    branches: tuple[Branch, ...] | None
    span: Span


class ChainStmt(NamedTuple):
    name: str | None  # the first of `names`
    name_span: Span | None
    stages: tuple[Stage, ...]
    checkpoint: Expr | None
    span: Span
    # `a, b = chunk(2)`: every name, each binding one output of the last stage
    names: tuple[Name, ...] = ()


class ParamStmt(NamedTuple):
    """`param name: [dims] = init`: a learned tensor, `init` its every element's start."""

    name: str
    dims: Expr
    init: Expr | None
    span: Span


class InputStmt(NamedTuple):
    name: str
    dims: Expr
    span: Span
    dtype: str | None = None  # `input ids: [N, L] int64`; None: float32
    dtype_span: Span | None = None


class LetStmt(NamedTuple):
    name: str
    value: Expr
    span: Span


class RepeatStmt(NamedTuple):
    count: Expr
    var: str | None
    body: tuple[Stmt, ...]
    span: Span


class IfStmt(NamedTuple):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span


class FromStmt(NamedTuple):
    name: str
    span: Span


class OutputStmt(NamedTuple):
    names: tuple[Name, ...]
    span: Span


Stmt = ChainStmt | InputStmt | ParamStmt | LetStmt | RepeatStmt | IfStmt | FromStmt | OutputStmt


# --- top-level items --------------------------------------------------------------


class Param(NamedTuple):
    name: str
    default: Expr | None
    span: Span


class ConstDef(NamedTuple):
    name: str
    value: Expr
    span: Span


class DefaultsDef(NamedTuple):
    op: str
    op_span: Span
    args: tuple[Arg, ...]
    span: Span


class BlockDef(NamedTuple):
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span


class NetworkDef(NamedTuple):
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span


Item = ConstDef | DefaultsDef | BlockDef | NetworkDef


class Module(NamedTuple):
    items: tuple[Item, ...]
    span: Span
