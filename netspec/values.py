"""Compile-time values and shapes.

A value is an int, float, bool, str, None, a tuple (a list literal), or a
:class:`Tensor` (a reference to a tensor of the graph being elaborated). A shape is a
tuple of dimensions, each an int or the name of a symbolic dimension (``"N"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

Dim = int | str
Shape = tuple[Dim, ...]


@dataclass(frozen=True, slots=True)
class Symbol:
    """A symbolic dimension such as the batch size `N`, as a value in expressions."""

    name: str


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor of the graph: its value id and shape. shape None = poisoned by an error."""

    id: int
    shape: Shape | None


def numel(shape: Shape) -> int:
    """Elements of a shape, symbolic dimensions counted as 1 (figures are per sample)."""
    return prod(d for d in shape if isinstance(d, int))


def show_shape(shape: Shape | None) -> str:
    if shape is None:
        return "[?]"
    return "[" + ", ".join(str(d) for d in shape) + "]"


def typed_shape(graph, tensor: int) -> str:
    """A tensor's shape, with its dtype where it is not float32: `[N, 35] int64`."""
    dtype = graph.dtype(tensor)
    return show_shape(graph.shape(tensor)) + ("" if dtype == "float32" else f" {dtype}")


def show_value(value: object) -> str:
    """A value as the user would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, float):
        # an integral float prints as `64.0`, unless it is huge: 1e300 is not 301 digits
        return f"{value:.1f}" if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, Tensor):
        return f"a tensor {show_shape(value.shape)}"
    if isinstance(value, Symbol):
        return value.name
    return str(value)


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, Tensor):
        return "a tensor"
    if isinstance(value, Symbol):
        return "a symbolic dimension"
    return type(value).__name__


def pinned(value: object) -> object:
    """A value that decides structure (a repeat count, an index, a list length): a
    symbolic size (netspec.symbolic.symint) gives its number and records that it must
    stay that number; anything else is itself. Duck-typed: this module loads nothing
    symbolic."""
    pin = getattr(value, "pin", None)
    return pin() if pin is not None else value


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Shape attributes readable as `x.c`, `in.h`, ...: name -> (index, ranks where it exists)
SHAPE_ATTRS: dict[str, tuple[int, tuple[int, ...]]] = {
    "n": (0, (1, 2, 3, 4, 5)),
    "c": (1, (2, 3, 4, 5)),
    "l": (2, (3,)),
    "d": (2, (5,)),
    "h": (-2, (4, 5)),
    "w": (-1, (4, 5)),
}


def shape_attr(shape: Shape, attr: str) -> object:
    """Read `.n .c .l .d .h .w .rank .shape` of a shape; KeyError/IndexError when absent."""
    if attr == "rank":
        return len(shape)
    if attr == "shape":
        return tuple(shape)
    index, ranks = SHAPE_ATTRS[attr]
    if len(shape) not in ranks:
        raise IndexError(attr)
    return shape[index]
