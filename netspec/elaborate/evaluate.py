"""Compile-time expressions: scopes and evaluation.

Assumes an AST expression and a :class:`Scope`. Guarantees a value of
:mod:`netspec.values` or a CompileError (E-name, E-type, E-arith, E-index,
E-attr, E-limit) pointing at the offending sub-expression, always with a help line.
Operators on evaluated values (exact integer arithmetic, comparisons, list joins) are
in :mod:`netspec.elaborate.operators`. Expression depth is bounded by the parser's
limits, so the recursion here is too.
"""

from __future__ import annotations

import re

from netspec.elaborate.operators import (
    arithmetic,
    as_boolean,
    as_number,
    bounded,
    equal,
    list_op,
    shown,
)
from netspec.errors import error
from netspec.suggest import did_you_mean
from netspec.symbolic import SIZES
from netspec.syntax import ast
from netspec.values import (
    SHAPE_ATTRS,
    Symbol,
    Tensor,
    is_int,
    pinned,
    shape_attr,
    show_shape,
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
            sized = SIZES.get()  # a size the inputs named, traced: its value
            if sized is not None and not isinstance(sized.seen.get(expr.id, ""), str):
                return sized.seen[expr.id]
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


def _binop(expr: ast.BinOp, scope: Scope, symbols: bool) -> object:
    op = expr.op
    left = evaluate(expr.left, scope, symbols)
    if op in ("and", "or"):
        as_boolean(left, expr.left, f"'{op}'")
        if (op == "and" and not left) or (op == "or" and left):
            return left
        return as_boolean(evaluate(expr.right, scope, symbols), expr.right, f"'{op}'")
    right = evaluate(expr.right, scope, symbols)
    if op in ("==", "!="):
        return equal(left, right) == (op == "==")
    if isinstance(left, tuple) and op in ("+", "*"):
        return list_op(expr, left, right)
    if isinstance(right, tuple) and op == "*":
        return list_op(expr, right, left)
    a = as_number(left, expr.left, f"'{op}'")
    b = as_number(right, expr.right, f"'{op}'")
    if op in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("/", "//", "%") and b == 0:
        raise error(
            "E-arith",
            f"division by zero in '{expr.span.text()}'",
            expr.span,
            f"the divisor {shown(expr.right, b)}; guard it with `if`, or change the value",
        )
    return bounded(expr, arithmetic(op, a, b))


def _unary(expr: ast.UnaryOp, scope: Scope) -> object:
    value = evaluate(expr.operand, scope)
    if expr.op == "not":
        return not as_boolean(value, expr.operand, "'not'")
    number = as_number(value, expr.operand, f"unary '{expr.op}'")
    return -number if expr.op == "-" else number


def _index(expr: ast.Index, scope: Scope) -> object:
    obj = evaluate(expr.obj, scope)
    index = pinned(evaluate(expr.index, scope))
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
    numbers = [as_number(v, e, f"{expr.func}()") for v, e in zip(values, exprs, strict=True)]
    if expr.func == "abs":
        return abs(numbers[0])
    return min(numbers) if expr.func == "min" else max(numbers)
