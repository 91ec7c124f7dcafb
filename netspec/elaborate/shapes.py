"""Shapes written in a spec: input declarations and `->` checkpoints.

Assumes a scope to evaluate in (upper-case unbound names become symbolic dimensions).
Guarantees a shape of positive ints and symbol names, or a CompileError pointing at the
dimension that is wrong; a checkpoint either matches the inferred shape exactly or
raises E-checkpoint saying which dimensions differ.
"""

from __future__ import annotations

from netspec.elaborate.evaluate import Poisoned, Scope, evaluate
from netspec.elaborate.operators import shown
from netspec.errors import error
from netspec.limits import MAX_INT
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import Shape, Symbol, Tensor, is_int, show_shape


def shape_literal(scope: Scope, expr: ast.Expr, what: str) -> Shape:
    """Evaluate `[N, 3, 224, 224]`: positive integers and symbols."""
    value = evaluate(expr, scope, symbols=True)
    if not isinstance(value, tuple) or not value:
        raise error(
            "E-type",
            f"{what} must be a list of dimensions, got {shown(expr, value)}",
            expr.span,
            "e.g. [N, 3, 224, 224]",
        )
    items = expr.items if isinstance(expr, ast.ListExpr) else (expr,) * len(value)
    return tuple(_dim(what, d, item) for d, item in zip(value, items, strict=True))


def given_shape(name: str, declared: Shape, given: object, span: Span) -> Shape:
    """An input's shape from --input-shape: as many axes as declared, each a positive
    integer or a name (a symbolic size such as N)."""
    shown = show_shape(declared)
    if not isinstance(given, (tuple, list)) or len(given) != len(declared):
        count = len(given) if isinstance(given, (tuple, list)) else "no"
        raise error(
            "E-input",
            f"--input-shape {name}: {count} sizes given, and the spec declares {shown} "
            f"({len(declared)} axes)",
            span,
            f"give one size per declared axis, the batch axis first: --input-shape {name}=[1, ...]",
        )
    dims: list[int | str] = []
    for d in given:
        if isinstance(d, str) and d.isidentifier():
            dims.append(d)
        elif is_int(d) and 1 <= d <= MAX_INT:
            dims.append(d)  # as given: a traced size keeps its formula
        else:
            raise error(
                "E-input",
                f"--input-shape {name}: sizes are positive integers or names, got {d!r}",
                span,
                f"e.g. --input-shape {name}=[1, 3, 128, 128], or N for a symbolic batch",
            )
    return tuple(dims)


def symbol_sizes(name: str, declared: Shape, given: Shape, span: Span) -> dict[str, int | Symbol]:
    """What --input-shape makes of the symbols of the declared shape: a size (N -> 1)
    or another symbol (N -> B)."""
    sizes: dict[str, int | Symbol] = {}
    for d, g in zip(declared, given, strict=True):
        value = Symbol(g) if isinstance(g, str) else g
        if isinstance(d, str) and d != g and sizes.setdefault(d, value) != value:
            raise error(
                "E-input",
                f"--input-shape {name}: {d} is declared twice and given two sizes",
                span,
                f"give {d} one size",
            )
    return sizes


def learned_shape(scope: Scope, expr: ast.Expr) -> tuple[int, ...]:
    """A `param`'s shape: positive integers only (a learned tensor has no batch axis;
    a leading 1 broadcasts against N)."""
    shape = shape_literal(scope, expr, "param shape")
    items = expr.items if isinstance(expr, ast.ListExpr) else (expr,) * len(shape)
    for d, item in zip(shape, items, strict=True):
        if isinstance(d, str):
            raise error(
                "E-type",
                f"param shape: a learned tensor's sizes are integers, got the symbol {d}",
                item.span,
                f"write 1 for the batch axis (it broadcasts against {d}), or leave it out",
            )
    return tuple(int(d) for d in shape)


def learned_init(scope: Scope, expr: ast.Expr) -> float:
    """A `param`'s initial value: one number, every element's."""
    value = evaluate(expr, scope)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(
            "E-type",
            f"param: the initial value is a number, got {shown(expr, value)}",
            expr.span,
            "e.g. `param gamma: [96, 1, 1] = 1e-6` (every element starts at 1e-6)",
        )
    return float(value)


def _dim(what: str, d: object, item: ast.Expr) -> int | str:
    if isinstance(d, Symbol):
        return d.name
    if is_int(d) and d >= 1:
        return d
    raise error(
        "E-type",
        f"{what}: dimensions are positive integers or symbols such as N, got {shown(item, d)}",
        item.span,
        _fraction_hint(what) if isinstance(d, float) else "e.g. [N, 3, 224, 224]",
    )


def check_checkpoint(scope: Scope, expr: ast.Expr, x: Tensor) -> None:
    """`-> [dims]`: the statement's output shape must be exactly the one written."""
    if x.shape is None:
        raise Poisoned("checkpoint")
    want = shape_literal(scope, expr, "checkpoint")
    if want == x.shape:
        return
    if len(want) != len(x.shape):
        detail = f"rank {len(x.shape)}, not {len(want)}"
    else:
        detail = "; ".join(
            f"dim {i}: {g}, not {w}"
            for i, (w, g) in enumerate(zip(want, x.shape, strict=True))
            if w != g
        )
    raise error(
        "E-checkpoint",
        f"shape checkpoint failed: the statement gives "
        f"{show_shape(x.shape)}, the checkpoint says {show_shape(want)}",
        expr.span,
        f"{detail}; fix the layers above or the checkpoint",
        label=f"actual {show_shape(x.shape)}",
    )


def _fraction_hint(what: str) -> str:
    if what == "checkpoint":  # `-> [N, 64, image.h / 4, ...]`: exact on purpose
        return (
            "the checkpoint's division is exact: it holds for input sizes it divides "
            "(--input-shape); use // to round down instead"
        )
    return "use // for integer division"
