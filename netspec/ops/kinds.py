"""Argument kinds: the type check of every op parameter (`Param.kind`).

Assumes an evaluated value and the text to show for it (an expression and its value,
"64 / 3 = 21.33"). Guarantees the value back (floats for `float`, the rest unchanged),
or an OpError naming the parameter, with a help line saying how to write it: a float
outside its parameter's declared interval is E-value.
"""

from __future__ import annotations

from collections.abc import Callable

from netspec.ops.base import REQUIRED, OpError, Param
from netspec.suggest import did_you_mean
from netspec.values import Tensor, is_int, show_value, type_name

# Each checker gets the parameter, the value and the value as the user wrote it, and
# raises OpError with a help line.


def _int(p: Param, v: object, shown: str) -> object:
    if isinstance(v, float):
        raise OpError(
            "E-type",
            f"{p.name} must be an integer, got {shown}",
            "use // for integer division, or round the value",
            p.name,
        )
    if not is_int(v):
        hint = (
            f"remove the quotes: {v}"
            if isinstance(v, str) and v.strip().isdigit()
            else f"{p.name} takes a whole number" + (f" ({p.doc})" if p.doc else "")
        )
        raise OpError(
            "E-type", f"{p.name} must be an integer, got {type_name(v)} ({shown})", hint, p.name
        )
    if p.minimum is not None and v < p.minimum:
        raise OpError(
            "E-value",
            f"{p.name} must be at least {p.minimum}, got {shown}",
            f"give {p.name} a value of {p.minimum} or more",
            p.name,
        )
    return v


def _float(p: Param, v: object, shown: str) -> object:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OpError(
            "E-type",
            f"{p.name} must be a number, got {type_name(v)} ({shown})",
            f"e.g. {p.name}={show_value(p.default) if p.default is not REQUIRED else 1}",
            p.name,
        )
    if p.interval is not None and v not in p.interval:
        example = f" (default {p.default:g})" if isinstance(p.default, float) else ""
        raise OpError(
            "E-value",
            f"{p.name} must be in {p.interval}, got {shown}",
            (f"{p.name} is {p.doc}; " if p.doc else "") + f"give a value in {p.interval}{example}",
            p.name,
        )
    return float(v)


def _bool(p: Param, v: object, shown: str) -> object:
    if not isinstance(v, bool):
        raise OpError(
            "E-type",
            f"{p.name} must be true or false, got {shown}",
            f"write {p.name}=true or {p.name}=false, without quotes",
            p.name,
        )
    return v


def _str(p: Param, v: object, shown: str) -> object:
    choices = ", ".join(f'"{c}"' for c in p.choices)
    if not isinstance(v, str):
        raise OpError(
            "E-type",
            f"{p.name} must be a string, got {type_name(v)} ({shown})",
            f"one of {choices}, in quotes",
            p.name,
        )
    if p.choices and v not in p.choices:
        hint = did_you_mean(v, p.choices) or f"choose one of {choices}"
        raise OpError("E-value", f"{p.name} must be one of {choices}, got {shown}", hint, p.name)
    return v


def _ints(p: Param, v: object, shown: str) -> object:
    """An int, or a list of ints (one per spatial dim)."""
    items = v if isinstance(v, tuple) else (v,)
    if not items:
        raise OpError(
            "E-value",
            f"{p.name} must not be an empty list",
            f"give one int for every spatial dim, or one per dim: {p.name}=[3, 3]",
            p.name,
        )
    for item in items:
        _int(p, item, shown if item is v else show_value(item))
    return v


def _padding(p: Param, v: object, shown: str) -> object:
    if isinstance(v, str):
        if v not in ("same", "valid"):
            hint = did_you_mean(v, ("same", "valid")) or (
                '"same" keeps the size (at stride 1), "valid" pads nothing; or give an integer, '
                "one per dim, or [before, after] pairs"
            )
            raise OpError(
                "E-value",
                f'{p.name} must be an integer, a list, "same" or "valid", got {shown}',
                hint,
                p.name,
            )
        return v
    for item in v if isinstance(v, tuple) else (v,):
        pair = item if isinstance(item, tuple) else (item,)
        if isinstance(item, tuple) and len(item) != 2:
            raise OpError(
                "E-value",
                f"per-dim padding pairs are [before, after], got {show_value(item)}",
                "e.g. padding=[[0, 1], [0, 1]]",
                p.name,
            )
        for x in pair:
            _int(Param(p.name, "int", minimum=0), x, shown if x is v else show_value(x))
    return v


def _table(p: Param, v: object, shown: str) -> object:
    if v is None:
        return v
    if not isinstance(v, tuple) or not all(isinstance(r, tuple) for r in v):
        raise OpError(
            "E-type",
            f"{p.name} must be a list of lists of input channels "
            f"(one list per output channel), got {type_name(v)}",
            f"e.g. {p.name}=[[0, 1, 2], [1, 2, 3]]",
            p.name,
        )
    for index, row in enumerate(v):
        if not row:
            raise OpError(
                "E-connect",
                f"{p.name}: row {index} is empty; every output channel needs at least one input",
                "list the input channels it reads",
                p.name,
            )
        for x in row:
            _int(Param(p.name, "int"), x, show_value(x))
    return v


def _tensor(p: Param, v: object, shown: str) -> object:
    if not isinstance(v, Tensor):
        raise OpError(
            "E-type",
            f"{p.name} must name a tensor (a named statement or input), "
            f"got {type_name(v)} ({shown})",
            f"name an earlier statement (`m = ...`) and pass it: {p.name}=m",
            p.name,
        )
    return v


def _layer(p: Param, v: object, shown: str) -> object:
    """A tensor named for its layer (a tied linear's `tied`): elaboration makes it the
    path of the layer that computed it (netspec/elaborate/tying.py)."""
    if not isinstance(v, Tensor):
        raise OpError(
            "E-type",
            f"{p.name} must name a layer with weights (an earlier statement), "
            f"got {type_name(v)} ({shown})",
            f"name the statement whose weight is shared (`words = embedding(...)`): {p.name}=words",
            p.name,
        )
    return v


def _size(p: Param, v: object, shown: str) -> object:
    """A positive number, or a list of them (upsample scale, adaptive output size)."""
    for item in v if isinstance(v, tuple) else (v,):
        if isinstance(item, bool) or not isinstance(item, (int, float)) or item <= 0:
            raise OpError(
                "E-value",
                f"{p.name} must be a positive number or a list of them, got {shown}",
                f"e.g. {p.name}=2 or {p.name}=[2, 2]",
                p.name,
            )
    return v


def _dims(p: Param, v: object, shown: str) -> object:
    if not isinstance(v, tuple):
        raise OpError(
            "E-type",
            f"{p.name} must be a list of dimensions, got {shown}",
            "e.g. [N, 16, 7, 7]; one entry may be -1",
            p.name,
        )
    return v


def _any(p: Param, v: object, shown: str) -> object:
    return v


KINDS: dict[str, Callable[[Param, object, str], object]] = {
    "int": _int,
    "float": _float,
    "bool": _bool,
    "str": _str,
    "ints": _ints,
    "padding": _padding,
    "table": _table,
    "tensor": _tensor,
    "layer": _layer,
    "size": _size,
    "dims": _dims,
    "any": _any,
}


def check_value(p: Param, value: object, shown: str | None = None) -> object:
    """Type-check one argument value against its parameter; raise OpError on mismatch.

    `shown` is the value as written in messages (default: the value itself).
    """
    if value is None and p.default is None:
        return None
    return KINDS[p.kind](p, value, shown if shown is not None else show_value(value))
