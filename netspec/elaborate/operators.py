"""Operators on compile-time values, and how a value is shown in an error.

Assumes values already evaluated (by :mod:`netspec.elaborate.evaluate`) and the
expressions they came from, for positions. Guarantees the language's semantics for
them or a positioned CompileError with a help line: integer arithmetic is exact (`/`
gives an int when the division is exact and a float otherwise, so that a later
"integer needed" error can show the fraction: :func:`shown` writes it as
`64 / 3 = 21.33`); integers stay within MAX_INT and lists within MAX_LIST (E-limit);
`==` does not mix booleans with integers.
"""

from __future__ import annotations

import math

from netspec.errors import error
from netspec.limits import MAX_INT, MAX_LIST
from netspec.syntax import ast
from netspec.values import Symbol, is_int, pinned, show_value, type_name


def shown(expr: ast.Expr, value: object) -> str:
    """A value as `expression = value` when the expression is not just the literal."""
    text, written = expr.span.text(), show_value(value)
    return written if text == written or isinstance(expr, ast.Literal) else f"{text} = {written}"


def as_number(value: object, expr: ast.Expr, what: str) -> int | float:
    """`value` if it is a number (not a bool, not a symbol) that `what` can compute with."""
    if isinstance(value, Symbol):
        raise error(
            "E-type",
            f"the symbolic dimension '{value.name}' has no value to compute with",
            expr.span,
            "a symbol such as N stands alone in a shape: [N, 3, 32, 32]",
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(
            "E-type",
            f"{what} needs numbers, got {type_name(value)} ({shown(expr, value)})",
            expr.span,
            "arithmetic and comparisons take numbers; `+` also joins lists",
        )
    return value


def equal(left: object, right: object) -> bool:
    """Equality without Python's bool/int mixing: `true == 1` is false, as written."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(map(equal, left, right))
    return left == right


def arithmetic(op: str, a: int | float, b: int | float) -> int | float:
    """`a op b`; `/` is exact (an int) when it divides evenly. The divisor is not 0."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "//":
        return a // b
    if op == "%":
        return a % b
    if is_int(a) and is_int(b) and a % b == 0:
        return a // b
    return a / b


def bounded(expr: ast.Expr, value: int | float) -> int | float:
    """Keep integers within MAX_INT, so that no value grows without bound."""
    if is_int(value) and abs(value) > MAX_INT:
        raise error(
            "E-limit",
            f"'{expr.span.text()}' is larger than the limit of 2^53",
            expr.span,
            "netspec's integers count channels, sizes and repeats",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise error(
            "E-arith",
            f"'{expr.span.text()}' overflows to {value}",
            expr.span,
            "keep compile-time numbers within the range of a float",
        )
    return value


def as_boolean(value: object, expr: ast.Expr, what: str) -> bool:
    """`value` if it is a boolean, as `what` (`and`, `or`, `not`) needs."""
    if not isinstance(value, bool):
        raise error(
            "E-type",
            f"{what} needs booleans, got {type_name(value)} ({shown(expr, value)})",
            expr.span,
            "compare to get a boolean: `x != 0`, `stride == 1`",
        )
    return value


def list_op(expr: ast.BinOp, left: tuple, right: object) -> tuple:
    """`list + list` joins, `list * n` repeats (within MAX_LIST items)."""
    if expr.op == "+" and not isinstance(right, tuple):
        raise error(
            "E-type",
            f"a list can only be joined to a list, not {type_name(right)}",
            expr.right.span,
            "wrap the value in brackets: list + [value]",
        )
    if expr.op == "*" and not is_int(right):
        raise error(
            "E-type",
            f"a list can only be repeated an integer number of times, not "
            f"{shown(expr.right, right)}",
            expr.right.span,
            "write list * n with n >= 0",
        )
    if expr.op == "*" and right < 0:
        raise error(
            "E-value",
            f"a list cannot be repeated {right} times",
            expr.span,
            "write list * n with n >= 0",
        )
    right = pinned(right)
    size = len(left) + len(right) if expr.op == "+" else len(left) * right
    if size > MAX_LIST:
        raise error(
            "E-limit",
            f"the list would have {size:,} items, over the limit of {MAX_LIST:,}",
            expr.span,
            "netspec refuses lists this long",
        )
    return left + right if expr.op == "+" else left * right
