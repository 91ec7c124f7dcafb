"""Compile-time expressions: scopes and evaluation.

Assumes an AST expression and a :class:`Scope`; returns a value of
:mod:`netspec.values` or raises CompileError (E-name, E-type, E-arith, E-index,
E-attr, E-limit) pointing at the offending sub-expression, always with a help line.
Integer arithmetic is exact: `/` gives an int when the division is exact and a float
otherwise, so that a later "integer needed" error can show the fraction
(:func:`shown` writes it as `64 / 3 = 21.33`). Expression depth is bounded by the
parser's limits, so the recursion here is too.
"""

from __future__ import annotations

import math
import re

from netspec.errors import error
from netspec.limits import MAX_INT, MAX_LIST
from netspec.suggest import did_you_mean
from netspec.syntax import ast
from netspec.values import (
    SHAPE_ATTRS,
    Symbol,
    Tensor,
    is_int,
    shape_attr,
    show_shape,
    show_value,
    type_name,
)

_SYMBOL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Poisoned(Exception):
    """A value depends on an earlier error; the statement is skipped without a new one."""


class Scope:
    """Names visible at one point: a dict of bindings chained to an enclosing scope."""

    def __init__(self, bindings: dict | None = None, parent: Scope | None = None):
        self.bindings = dict(bindings or {})
        self.parent = parent

    def lookup(self, name: str) -> object:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        raise KeyError(name)

    def names(self) -> set[str]:
        out: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            out |= scope.bindings.keys()
            scope = scope.parent
        return out


_FUNCTIONS = ("min", "max", "len", "abs")


def evaluate(expr: ast.Expr, scope: Scope, symbols: bool = False) -> object:
    """Evaluate `expr`; with symbols=True unbound upper-case names become Symbols."""
    if isinstance(expr, ast.Literal):
        return expr.value
    if isinstance(expr, ast.Name):
        return _name(expr, scope, symbols)
    if isinstance(expr, ast.ListExpr):
        return tuple(evaluate(item, scope, symbols) for item in expr.items)
    if isinstance(expr, ast.BinOp):
        return _binop(expr, scope, symbols)
    if isinstance(expr, ast.UnaryOp):
        return _unary(expr, scope)
    if isinstance(expr, ast.Index):
        return _index(expr, scope)
    if isinstance(expr, ast.Attr):
        return _attr(expr, scope)
    if isinstance(expr, ast.Call):
        return _call(expr, scope)
    raise AssertionError(f"unknown expression {expr!r}")


def _name(expr: ast.Name, scope: Scope, symbols: bool) -> object:
    try:
        value = scope.lookup(expr.id)
    except KeyError:
        if symbols and _SYMBOL_NAME.match(expr.id):
            return Symbol(expr.id)
        raise error(
            "E-name", f"undefined name '{expr.id}'", expr.span, _name_hint(expr.id, scope)
        ) from None
    if isinstance(value, Tensor) and value.shape is None:
        raise Poisoned(expr.id)
    return value


def _name_hint(name: str, scope: Scope) -> str:
    if name == "in":
        return "`in` (the input of a block) is only defined inside a block"
    return did_you_mean(name, scope.names()) or (
        "define it with `const`, `let` or a network parameter, or name a statement (`x = ...`)"
    )


def shown(expr: ast.Expr, value: object) -> str:
    """A value as `expression = value` when the expression is not just the literal."""
    text, written = expr.span.text(), show_value(value)
    return written if text == written or isinstance(expr, ast.Literal) else f"{text} = {written}"


def _number(value: object, expr: ast.Expr, what: str) -> int | float:
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


def _binop(expr: ast.BinOp, scope: Scope, symbols: bool) -> object:
    op = expr.op
    left = evaluate(expr.left, scope, symbols)
    if op in ("and", "or"):
        _boolean(left, expr.left, f"'{op}'")
        if (op == "and" and not left) or (op == "or" and left):
            return left
        return _boolean(evaluate(expr.right, scope, symbols), expr.right, f"'{op}'")
    right = evaluate(expr.right, scope, symbols)
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    if isinstance(left, tuple) and op in ("+", "*"):
        return _list_op(expr, left, right)
    if isinstance(right, tuple) and op == "*":
        return _list_op(expr, right, left)
    a = _number(left, expr.left, f"'{op}'")
    b = _number(right, expr.right, f"'{op}'")
    if op in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("/", "//", "%") and b == 0:
        raise error(
            "E-arith",
            f"division by zero in '{expr.span.text()}'",
            expr.span,
            f"the divisor {shown(expr.right, b)}; guard it with `if`, or change the value",
        )
    return _bounded(expr, _arithmetic(op, a, b))


def _equal(left: object, right: object) -> bool:
    """Equality without Python's bool/int mixing: `true == 1` is false, as written."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(map(_equal, left, right))
    return left == right


def _arithmetic(op: str, a: int | float, b: int | float) -> int | float:
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


def _bounded(expr: ast.Expr, value: int | float) -> int | float:
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


def _boolean(value: object, expr: ast.Expr, what: str) -> bool:
    if not isinstance(value, bool):
        raise error(
            "E-type",
            f"{what} needs booleans, got {type_name(value)} ({shown(expr, value)})",
            expr.span,
            "compare to get a boolean: `x != 0`, `stride == 1`",
        )
    return value


def _list_op(expr: ast.BinOp, left: tuple, right: object) -> tuple:
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
    size = len(left) + len(right) if expr.op == "+" else len(left) * right
    if size > MAX_LIST:
        raise error(
            "E-limit",
            f"the list would have {size:,} items, over the limit of {MAX_LIST:,}",
            expr.span,
            "netspec refuses lists this long",
        )
    return left + right if expr.op == "+" else left * right


def _unary(expr: ast.UnaryOp, scope: Scope) -> object:
    value = evaluate(expr.operand, scope)
    if expr.op == "not":
        return not _boolean(value, expr.operand, "'not'")
    number = _number(value, expr.operand, f"unary '{expr.op}'")
    return -number if expr.op == "-" else number


def _index(expr: ast.Index, scope: Scope) -> object:
    obj = evaluate(expr.obj, scope)
    index = evaluate(expr.index, scope)
    if not isinstance(obj, tuple):
        hint = "read a shape with .shape[i]" if isinstance(obj, Tensor) else "index a list: xs[0]"
        raise error(
            "E-type", f"only lists can be indexed, not {type_name(obj)}", expr.obj.span, hint
        )
    if not is_int(index):
        raise error(
            "E-type",
            f"a list index must be an integer, not {type_name(index)} ({shown(expr.index, index)})",
            expr.index.span,
            "use // for integer division",
        )
    if not -len(obj) <= index < len(obj):
        valid = f"valid indices are 0 to {len(obj) - 1}" if obj else "the list is empty"
        raise error(
            "E-index",
            f"index {shown(expr.index, index)} is out of range for a list of "
            f"{len(obj)} item{'s' if len(obj) != 1 else ''}",
            expr.index.span,
            valid + (" (or -1 for the last)" if obj else ""),
        )
    return obj[index]


def _symbolic(value: object) -> object:
    """Symbolic dims of a shape (stored as names) read back as Symbols, like `N` in a shape."""
    if isinstance(value, str):
        return Symbol(value)
    if isinstance(value, tuple):
        return tuple(_symbolic(v) for v in value)
    return value


def _attr(expr: ast.Attr, scope: Scope) -> object:
    obj = evaluate(expr.obj, scope)
    if not isinstance(obj, Tensor):
        raise error(
            "E-type",
            f"'.{expr.name}' reads a tensor's shape, but "
            f"'{expr.obj.span.text()}' is {type_name(obj)}",
            expr.span,
            "shape attributes exist on `in` and on named statements: in.c, skip.h",
        )
    try:
        return _symbolic(shape_attr(obj.shape, expr.name))
    except KeyError:
        known = [*SHAPE_ATTRS, "rank", "shape"]
        raise error(
            "E-attr",
            f"tensors have no attribute '{expr.name}'",
            expr.span,
            did_you_mean(expr.name, known) or "use one of " + ", ".join(known),
        ) from None
    except IndexError:
        raise error(
            "E-attr",
            f"'.{expr.name}' does not exist for the rank-{len(obj.shape)} "
            f"tensor {show_shape(obj.shape)}",
            expr.span,
            "use .c for channels, .l for length (rank 3), .h/.w (rank 4-5), .d (rank 5),"
            " or .shape[i]",
        ) from None


def _call(expr: ast.Call, scope: Scope) -> object:
    if expr.func not in _FUNCTIONS:
        raise error(
            "E-name",
            f"unknown function '{expr.func}'",
            expr.span,
            did_you_mean(expr.func, _FUNCTIONS) or "functions: " + ", ".join(_FUNCTIONS),
        )
    if any(a.name is not None for a in expr.args):
        raise error(
            "E-arg",
            f"{expr.func}() takes no keyword arguments",
            expr.span,
            f"write {expr.func}(a, b)",
        )
    values = [evaluate(a.value, scope) for a in expr.args]
    if expr.func == "len":
        if len(values) != 1 or not isinstance(values[0], tuple):
            raise error("E-type", "len() takes one list", expr.span, "e.g. len([1, 2, 3]) = 3")
        return len(values[0])
    exprs = [a.value for a in expr.args]
    if len(values) == 1 and isinstance(values[0], tuple):
        single = exprs[0]
        items = single.items if isinstance(single, ast.ListExpr) else (single,) * len(values[0])
        values, exprs = list(values[0]), list(items)
    if not values or (expr.func == "abs" and len(values) != 1):
        count = "one number" if expr.func == "abs" else "at least one value"
        raise error(
            "E-arg",
            f"{expr.func}() takes {count}",
            expr.span,
            f"e.g. {expr.func}(-2)" if expr.func == "abs" else f"e.g. {expr.func}(a, b)",
        )
    numbers = [_number(v, e, f"{expr.func}()") for v, e in zip(values, exprs, strict=True)]
    if expr.func == "abs":
        return abs(numbers[0])
    return min(numbers) if expr.func == "min" else max(numbers)
