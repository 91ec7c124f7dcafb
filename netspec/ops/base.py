"""What an op is: its parameters and the rules every analysis asks of it.

Each op is a subclass of :class:`Op` registered once in :data:`REGISTRY`. Elaboration
binds and type-checks arguments against :attr:`Op.params`, calls :meth:`Op.normalize`
(which may depend on the input shapes: per-dim kernels, "same" padding) and
:meth:`Op.infer` for the output shape. The analysis asks :meth:`Op.counts` and
:meth:`Op.connections`. A rule that an op cannot answer raises; nothing defaults to 0.
Rules raise :class:`OpError`, which elaboration positions at the argument it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from netspec.values import Shape, Tensor, is_int, show_shape, show_value, type_name

REQUIRED = object()


class OpError(Exception):
    """A problem with an op's arguments or inputs; `arg` names the argument to point at."""

    def __init__(self, code: str, message: str, help: str = "", arg: str | None = None):
        super().__init__(message)
        self.code, self.message, self.help, self.arg = code, message, help, arg


@dataclass(frozen=True)
class OpWarning:
    code: str
    message: str
    help: str = ""
    arg: str | None = None


@dataclass(frozen=True)
class Param:
    """One parameter of an op: its name, kind of value, default and limits."""

    name: str
    kind: str  # int float bool str ints padding table tensor size dims
    default: Any = REQUIRED
    choices: tuple = ()
    minimum: int | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Counts:
    """Parameter elements of one layer: trainable, fixed (saved, not trained), buffers."""

    trainable: int = 0
    fixed: int = 0
    buffers: int = 0

    @property
    def params(self) -> int:
        return self.trainable + self.fixed


Attrs = dict[str, Any]


class Op:
    """Base class of every op. Subclasses set the class attributes and the rules."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    merge: ClassVar[bool] = False  # takes branches { a | b } or named inputs
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int] = 8
    summary: ClassVar[str] = ""
    param_rule: ClassVar[str] = "none"
    connection_rule: ClassVar[str] = ""

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        """Resolve rank-dependent attributes (per-dim lists, "same" padding)."""
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        raise NotImplementedError(f"op '{self.name}' has no shape rule")

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts()

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        raise NotImplementedError(f"op '{self.name}' has no connection rule")

    def describe(self, a: Attrs) -> str:
        return self.name

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        return []

    def check_rank(self, inputs: tuple[Shape, ...]) -> None:
        for shape in inputs:
            if not self.min_rank <= len(shape) <= self.max_rank:
                raise OpError("E-shape", f"{self.name} needs an input of rank "
                              f"{_rank_range(self.min_rank, self.max_rank)}, got {show_shape(shape)}",
                              self.rank_help())

    def rank_help(self) -> str:
        return ""


def _rank_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo} to {hi}"


REGISTRY: dict[str, Op] = {}


def register(cls: type[Op]) -> type[Op]:
    assert cls.name not in REGISTRY, f"op {cls.name} registered twice"
    REGISTRY[cls.name] = cls()
    return cls


# --- argument kinds ---------------------------------------------------------------


def _int(p: Param, v: object) -> object:
    if isinstance(v, float) and not isinstance(v, bool):
        raise OpError("E-type", f"{p.name} must be an integer, got {show_value(v)}",
                      "use // for integer division, or round the value", p.name)
    if not is_int(v):
        raise OpError("E-type", f"{p.name} must be an integer, got {type_name(v)} ({show_value(v)})",
                      arg=p.name)
    if p.minimum is not None and v < p.minimum:
        raise OpError("E-value", f"{p.name} must be at least {p.minimum}, got {v}", arg=p.name)
    return v


def _float(p: Param, v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OpError("E-type", f"{p.name} must be a number, got {type_name(v)}", arg=p.name)
    return float(v)


def _bool(p: Param, v: object) -> object:
    if not isinstance(v, bool):
        raise OpError("E-type", f"{p.name} must be true or false, got {show_value(v)}", arg=p.name)
    return v


def _str(p: Param, v: object) -> object:
    if not isinstance(v, str) or (p.choices and v not in p.choices):
        choices = ", ".join(f'"{c}"' for c in p.choices)
        raise OpError("E-value" if isinstance(v, str) else "E-type",
                      f"{p.name} must be one of {choices}, got {show_value(v)}", arg=p.name)
    return v


def _ints(p: Param, v: object) -> object:
    """An int, or a list of ints (one per spatial dim)."""
    items = v if isinstance(v, tuple) else (v,)
    if not items:
        raise OpError("E-value", f"{p.name} must not be an empty list", arg=p.name)
    for item in items:
        _int(p, item)
    return v


def _padding(p: Param, v: object) -> object:
    if isinstance(v, str):
        if v not in ("same", "valid"):
            raise OpError("E-value", f'padding must be an integer, a list, "same" or "valid", '
                          f"got {show_value(v)}", arg=p.name)
        return v
    for item in v if isinstance(v, tuple) else (v,):
        pair = item if isinstance(item, tuple) else (item,)
        if isinstance(item, tuple) and len(item) != 2:
            raise OpError("E-value", f"per-dim padding pairs are [before, after], got "
                          f"{show_value(item)}", arg=p.name)
        for x in pair:
            _int(Param(p.name, "int", minimum=0), x)
    return v


def _table(p: Param, v: object) -> object:
    if v is None:
        return v
    if not isinstance(v, tuple) or not all(isinstance(r, tuple) for r in v):
        raise OpError("E-type", f"{p.name} must be a list of lists of input channels "
                      "(one list per output channel)", arg=p.name)
    for row in v:
        if not row:
            raise OpError("E-connect", f"{p.name}: every output channel needs at least one input",
                          arg=p.name)
        for x in row:
            _int(Param(p.name, "int"), x)
    return v


def _tensor(p: Param, v: object) -> object:
    if not isinstance(v, Tensor):
        raise OpError("E-type", f"{p.name} must name a tensor (a named statement or input), "
                      f"got {type_name(v)}", arg=p.name)
    return v


def _size(p: Param, v: object) -> object:
    """A positive number, or a list of them (upsample scale, adaptive output size)."""
    for item in v if isinstance(v, tuple) else (v,):
        if isinstance(item, bool) or not isinstance(item, (int, float)) or item <= 0:
            raise OpError("E-value", f"{p.name} must be a positive number or a list of them, "
                          f"got {show_value(v)}", arg=p.name)
    return v


def _dims(p: Param, v: object) -> object:
    if not isinstance(v, tuple):
        raise OpError("E-type", f"{p.name} must be a list of dimensions", arg=p.name)
    return v


def _any(p: Param, v: object) -> object:
    return v


KINDS: dict[str, Callable[[Param, object], object]] = {
    "int": _int, "float": _float, "bool": _bool, "str": _str, "ints": _ints,
    "padding": _padding, "table": _table, "tensor": _tensor, "size": _size, "dims": _dims,
    "any": _any,
}


def check_value(p: Param, value: object) -> object:
    """Type-check one argument value against its parameter; raise OpError on mismatch."""
    if value is None and p.default is None:
        return None
    return KINDS[p.kind](p, value)
