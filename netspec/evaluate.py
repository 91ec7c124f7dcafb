"""Compile-time expressions: scopes and evaluation.

Assumes an AST expression and a :class:`Scope`; returns a value of
:mod:`netspec.values` or raises CompileError (E-name, E-type, E-arith, E-index,
E-attr) pointing at the offending sub-expression. Integer arithmetic is exact: `/`
gives an int when the division is exact and a float otherwise, so that a later
"integer needed" error can show the fraction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netspec import ast
from netspec.errors import CompileError, did_you_mean, error
from netspec.values import SHAPE_ATTRS, Tensor, is_int, shape_attr, show_value, type_name

_SYMBOL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Symbol:
    """A symbolic dimension such as the batch size `N` (only inside shapes)."""

    name: str


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
        hint = did_you_mean(expr.id, scope.names())
        if expr.id == "in":
            hint = "`in` (the input of a block) is only defined inside a block"
        raise error("E-name", f"undefined name '{expr.id}'", expr.span, hint) from None
    if isinstance(value, Tensor) and value.shape is None:
        raise Poisoned(expr.id)
    return value


def _number(value: object, expr: ast.Expr, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error("E-type", f"{what} needs numbers, got {type_name(value)} ({show_value(value)})",
                    expr.span)
    return value


def _binop(expr: ast.BinOp, scope: Scope, symbols: bool) -> object:
    op = expr.op
    left = evaluate(expr.left, scope, symbols)
    if op in ("and", "or"):
        if not isinstance(left, bool):
            raise error("E-type", f"'{op}' needs booleans, got {type_name(left)}", expr.left.span)
        if (op == "and" and not left) or (op == "or" and left):
            return left
        right = evaluate(expr.right, scope, symbols)
        if not isinstance(right, bool):
            raise error("E-type", f"'{op}' needs booleans, got {type_name(right)}", expr.right.span)
        return right
    right = evaluate(expr.right, scope, symbols)
    if op in ("==", "!="):
        return (left == right) == (op == "==")
    if op == "+" and isinstance(left, tuple) and isinstance(right, tuple):
        return left + right
    if op == "*" and isinstance(left, tuple) and is_int(right):
        return left * right
    a = _number(left, expr.left, f"'{op}'")
    b = _number(right, expr.right, f"'{op}'")
    if op in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("/", "//", "%") and b == 0:
        raise error("E-arith", f"division by zero in '{expr.span.text()}'", expr.span)
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


def _unary(expr: ast.UnaryOp, scope: Scope) -> object:
    value = evaluate(expr.operand, scope)
    if expr.op == "not":
        if not isinstance(value, bool):
            raise error("E-type", f"'not' needs a boolean, got {type_name(value)}", expr.operand.span)
        return not value
    number = _number(value, expr.operand, f"unary '{expr.op}'")
    return -number if expr.op == "-" else number


def _index(expr: ast.Index, scope: Scope) -> object:
    obj = evaluate(expr.obj, scope)
    index = evaluate(expr.index, scope)
    if not isinstance(obj, tuple):
        raise error("E-type", f"only lists can be indexed, not {type_name(obj)}", expr.obj.span)
    if not is_int(index):
        raise error("E-type", f"a list index must be an integer, not {type_name(index)}",
                    expr.index.span)
    if not -len(obj) <= index < len(obj):
        raise error("E-index", f"index {index} is out of range for a list of {len(obj)} items",
                    expr.index.span, f"valid indices are 0 to {len(obj) - 1}")
    return obj[index]


def _attr(expr: ast.Attr, scope: Scope) -> object:
    obj = evaluate(expr.obj, scope)
    if not isinstance(obj, Tensor):
        raise error("E-type", f"'.{expr.name}' reads a tensor's shape, but this is {type_name(obj)}",
                    expr.span)
    try:
        return shape_attr(obj.shape, expr.name)
    except KeyError:
        known = [*SHAPE_ATTRS, "rank", "shape"]
        raise error("E-attr", f"tensors have no attribute '{expr.name}'", expr.span,
                    did_you_mean(expr.name, known) or "use one of " + ", ".join(known)) from None
    except IndexError:
        raise error("E-attr", f"'.{expr.name}' does not exist for a rank-{len(obj.shape)} tensor "
                    f"{show_value(obj)}", expr.span,
                    "use .c for channels, .l for length (rank 3), .h/.w (rank 4-5), .d (rank 5),"
                    " or .shape[i]") from None


def _call(expr: ast.Call, scope: Scope) -> object:
    if expr.func not in _FUNCTIONS:
        raise error("E-name", f"unknown function '{expr.func}'", expr.span,
                    did_you_mean(expr.func, _FUNCTIONS) or "functions: " + ", ".join(_FUNCTIONS))
    if any(a.name is not None for a in expr.args):
        raise error("E-arg", f"{expr.func}() takes no keyword arguments", expr.span)
    values = [evaluate(a.value, scope) for a in expr.args]
    if len(values) == 1 and isinstance(values[0], tuple) and expr.func != "len":
        values = list(values[0])
    if expr.func == "len":
        if len(values) != 1 or not isinstance(values[0], tuple):
            raise error("E-type", "len() takes one list", expr.span)
        return len(values[0])
    if not values:
        raise error("E-arg", f"{expr.func}() needs at least one value", expr.span)
    numbers = [_number(v, a.value, f"{expr.func}()") for v, a in zip(values, expr.args * len(values))]
    if expr.func == "abs":
        if len(numbers) != 1:
            raise error("E-arg", "abs() takes one number", expr.span)
        return abs(numbers[0])
    return min(numbers) if expr.func == "min" else max(numbers)


