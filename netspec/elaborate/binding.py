"""Binding call arguments to parameters, shared by op stages and block calls.

Assumes a call's parsed arguments, the callee's parameters as :class:`Formal` and a
function that evaluates one argument. Positional arguments first, then key=value.
Guarantees every parameter gets exactly one value (given, or its default) or raises a
positioned E-arg CompileError: unknown keyword (with "did you mean"), duplicate, too
many positional, missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from netspec.errors import error
from netspec.source import Span
from netspec.suggest import did_you_mean
from netspec.syntax import ast

MISSING = object()


class Formal(NamedTuple):
    """A parameter as binding sees it: its name and default (MISSING if required)."""

    name: str
    default: object = MISSING

    def show(self) -> str:
        return self.name if self.default is MISSING else f"{self.name}=..."


class Lazy(NamedTuple):
    """A default computed at binding time from the values bound before it."""

    value: Callable[[dict[str, object]], object]


def signature(callee: str, formals: Sequence[Formal]) -> str:
    return f"{callee}(" + ", ".join(f.show() for f in formals) + ")"


def bind(
    callee: str,
    kind: str,
    formals: Sequence[Formal],
    args: Sequence[ast.Arg],
    span: Span,
    evaluate: Callable[[str, ast.Expr], object],
) -> tuple[dict[str, object], dict[str, ast.Expr]]:
    """Match `args` to `formals`; returns the values, and the expression of each given
    argument. `evaluate(name, expr)` computes a given argument's value."""
    by_name = {f.name: f for f in formals}
    given: dict[str, ast.Arg] = {}
    positional = [a for a in args if a.name is None]
    for arg, after in zip(args, args[1:], strict=False):
        if arg.name is not None and after.name is None:
            raise error(
                "E-arg",
                "positional argument after a keyword argument",
                after.span,
                "put positional arguments first",
            )
    if len(positional) > len(formals):
        extra = positional[len(formals)]
        if not formals:
            message = f"{kind} '{callee}' takes no arguments"
            hint = f"write it bare: {callee}"
        else:
            plural = "s" if len(formals) != 1 else ""
            message = (
                f"{kind} '{callee}' takes at most {len(formals)} positional argument{plural}, "
                f"got {len(positional)}"
            )
            hint = f"signature: {signature(callee, formals)}"
        raise error("E-arg", message, extra.span, hint)
    for formal, arg in zip(formals, positional, strict=False):
        given[formal.name] = arg
    for arg in args:
        if arg.name is None:
            continue
        if arg.name not in by_name:
            hint = did_you_mean(arg.name, by_name) or f"signature: {signature(callee, formals)}"
            raise error("E-arg", f"{callee} has no parameter '{arg.name}'", arg.span, hint)
        if arg.name in given:
            raise error(
                "E-arg",
                f"{callee} got two values for '{arg.name}'",
                arg.span,
                "remove one of them",
                notes=[f"first given at {given[arg.name].span.location}"],
            )
        given[arg.name] = arg
    values: dict[str, object] = {}
    for formal in formals:
        if formal.name in given:
            values[formal.name] = evaluate(formal.name, given[formal.name].value)
        elif formal.default is MISSING:
            raise error(
                "E-arg",
                f"{callee} is missing its argument '{formal.name}'",
                span,
                f"signature: {signature(callee, formals)}",
            )
        elif isinstance(formal.default, Lazy):
            values[formal.name] = formal.default.value(values)
        else:
            values[formal.name] = formal.default
    return values, {name: arg.value for name, arg in given.items()}
