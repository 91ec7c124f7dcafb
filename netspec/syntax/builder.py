"""Lark parse tree -> :mod:`netspec.syntax.ast` (used only by :mod:`netspec.syntax.parser`).

Each method turns one grammar rule into an AST node with the rule's span. Optional
parts arrive as None (the parser runs with ``maybe_placeholders``). The walk recurses
once per tree level; the post-lexer's nesting and operator limits bound the depth.
"""

from __future__ import annotations

from lark import Token, Tree

from netspec.errors import error
from netspec.source import Source, Span
from netspec.syntax import ast
from netspec.syntax.precedence import ChainedComparison, resolve


def build_module(tree: Tree, source: Source) -> ast.Module:
    return _Builder(source).build(tree)


def _items(children) -> tuple:
    return tuple(c for c in children if c is not None)


class _Builder:
    """One method per grammar rule: (meta, transformed children) -> AST node."""

    def __init__(self, source: Source):
        self.source = source

    def build(self, tree: Tree):
        """Bottom-up rebuild: a direct walk, several times faster than a lark Transformer."""
        children = [self.build(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(tree.meta, children)

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 1, 1, 1, 1)
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, tok: Token) -> Span:
        return Span(self.source, tok.line, tok.column, tok.end_line, tok.end_column)

    # --- items ---------------------------------------------------------------------
    def start(self, meta, children):
        return ast.Module(_items(children), self._span(meta))

    def const_def(self, meta, c):
        return ast.ConstDef(str(c[0]), c[1], self._span(meta))

    def defaults_def(self, meta, c):
        return ast.DefaultsDef(str(c[0]), self._tok(c[0]), c[1] or (), self._span(meta))

    def block_def(self, meta, c):
        return ast.BlockDef(str(c[0]), c[1] or (), c[2], self._span(meta))

    def network_def(self, meta, c):
        return ast.NetworkDef(str(c[0]), c[1] or (), c[2], self._span(meta))

    def paramlist(self, meta, c):
        return _items(c)

    def param(self, meta, c):
        return ast.Param(str(c[0]), c[1], self._span(meta))

    def body(self, meta, c):
        return _items(c)

    # --- statements ----------------------------------------------------------------
    def input_stmt(self, meta, c):
        dtype = c[3] if len(c) > 3 else None
        return ast.InputStmt(
            str(c[1]),
            c[2],
            self._span(meta),
            str(dtype) if dtype is not None else None,
            self._tok(dtype) if dtype is not None else None,
        )

    def let_stmt(self, meta, c):
        return ast.LetStmt(str(c[0]), c[1], self._span(meta))

    def repeat_stmt(self, meta, c):
        return ast.RepeatStmt(c[0], str(c[1]) if c[1] is not None else None, c[2], self._span(meta))

    def if_stmt(self, meta, c):
        orelse = c[2]
        if isinstance(orelse, ast.IfStmt):
            orelse = (orelse,)
        return ast.IfStmt(c[0], c[1], orelse or (), self._span(meta))

    def from_stmt(self, meta, c):
        return ast.FromStmt(str(c[0]), self._span(meta))

    def output_stmt(self, meta, c):
        names = tuple(ast.Name(str(t), self._tok(t)) for t in c[1:])
        return ast.OutputStmt(names, self._span(meta))

    def param_stmt(self, meta, c):
        return ast.ParamStmt(str(c[1]), c[2], c[3], self._span(meta))

    def chain_stmt(self, meta, c):
        targets, stages, checkpoint = c
        if targets is None:
            return ast.ChainStmt(None, None, stages, checkpoint, self._span(meta))
        first = targets[0]
        names = targets if len(targets) > 1 else ()
        return ast.ChainStmt(first.id, first.span, stages, checkpoint, self._span(meta), names)

    def targets(self, meta, c):
        return tuple(ast.Name(str(t), self._tok(t)) for t in c)

    def chain(self, meta, c):
        return tuple(c)

    def stage(self, meta, c):
        name, args, branches = c
        return ast.Stage(str(name), self._tok(name), args or (), branches, self._span(meta))

    def call_args(self, meta, c):
        return c[0] or ()

    def arglist(self, meta, c):
        return tuple(a if isinstance(a, ast.Arg) else ast.Arg(None, a, a.span) for a in _items(c))

    def kwarg(self, meta, c):
        return ast.Arg(str(c[0]), c[1], self._span(meta))

    def merge_body(self, meta, c):
        return tuple(c)

    def branch(self, meta, c):
        return ast.Branch(_items(c), self._span(meta))

    # --- expressions ---------------------------------------------------------------
    def expr(self, meta, c):
        if len(c) == 1 and not isinstance(c[0], list):
            return c[0]
        flat = [x for item in c for x in (item if isinstance(item, list) else (item,))]
        try:
            return resolve(flat)
        except ChainedComparison as exc:
            raise error(
                "E-syntax",
                f"comparisons do not chain: '{exc.token}' follows another comparison",
                self._tok(exc.token),
                "join them with `and`: a < b and b < c",
            ) from None

    def prefixed(self, meta, c):
        return list(c)  # prefix tokens then the operand, flattened by `expr`

    def index(self, meta, c):
        return ast.Index(c[0], c[1], self._span(meta))

    def attr(self, meta, c):
        return ast.Attr(c[0], str(c[1]), self._span(meta))

    def call(self, meta, c):
        return ast.Call(str(c[0]), c[1] or (), self._span(meta))

    def int(self, meta, c):
        return ast.Literal(int(c[0]), self._span(meta))

    def float(self, meta, c):
        return ast.Literal(float(c[0]), self._span(meta))

    def string(self, meta, c):
        return ast.Literal(str(c[0])[1:-1], self._span(meta))

    def true(self, meta, c):
        return ast.Literal(True, self._span(meta))

    def false(self, meta, c):
        return ast.Literal(False, self._span(meta))

    def none(self, meta, c):
        return ast.Literal(None, self._span(meta))

    def name(self, meta, c):
        return ast.Name(str(c[0]), self._span(meta))

    def list(self, meta, c):
        return ast.ListExpr(_items(c), self._span(meta))
