"""Operator precedence for the flat operator sequences the grammar produces.

The grammar reads `a + b * c` as the flat list [a, +, b, *, c] (and a prefixed operand
as its prefix tokens followed by the operand); :func:`resolve` builds the tree with
precedence climbing. Loosest first: or, and, not (prefix), comparisons, + -,
* / // %, unary + -. All binary operators associate to the left.
"""

from __future__ import annotations

from lark import Token

from netspec.source import Span
from netspec.syntax import ast

_BINARY = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "//": 6,
    "%": 6,
}
_NOT, _UNARY, _COMPARE = 3, 7, 4


class ChainedComparison(Exception):
    """`a < b < c`: comparisons do not chain (the token is the second comparison)."""

    def __init__(self, token: Token):
        super().__init__(str(token))
        self.token = token


def resolve(items: list) -> ast.Expr:
    """Build the expression tree of a flat list of operands and operator Tokens."""
    _check_chains(items)
    parser = _Climber(items)
    expr = parser.expression(0)
    assert parser.pos == len(items), "grammar produced a malformed operator sequence"
    return expr


def _check_chains(items: list) -> None:
    """Refuse `a < b < c`: two comparisons with no `and`, `or` or `not` between them.

    A parenthesised comparison is one operand here, so `(a < b) == c` is accepted.
    """
    compared = False
    for item in items:
        if not isinstance(item, Token):
            continue
        prec = _BINARY.get(str(item), _NOT)
        if prec == _COMPARE:
            if compared:
                raise ChainedComparison(item)
            compared = True
        elif prec <= _NOT:
            compared = False


class _Climber:
    def __init__(self, items: list):
        self.items, self.pos = items, 0

    def _next(self):
        item = self.items[self.pos]
        self.pos += 1
        return item

    def operand(self) -> ast.Expr:
        item = self._next()
        if not isinstance(item, Token):
            return item
        op = str(item)
        # `not` binds looser than comparisons (not a == b is not (a == b)); - and + tightest.
        inner = self.expression(_NOT) if op == "not" else self.operand()
        span = Span(
            inner.span.source, item.line, item.column, inner.span.end_line, inner.span.end_column
        )
        return ast.UnaryOp(op, inner, span)

    def expression(self, min_prec: int) -> ast.Expr:
        left = self.operand()
        while self.pos < len(self.items):
            op = str(self.items[self.pos])
            prec = _BINARY[op]
            if prec <= min_prec:
                break
            self.pos += 1
            right = self.expression(prec)
            left = ast.BinOp(op, left, right, left.span.until(right.span))
        return left
