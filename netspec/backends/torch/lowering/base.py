"""What every PyTorch lowering shares: the Layer it returns, the table it registers in,
and the formatting of PyTorch arguments.

A lowering reads the node's normalised attributes and its input and output shapes (all
concrete where the op needs them: elaboration guarantees it) and returns a
:class:`Layer`: the constructor expression and how `forward` calls the module. Ops
that PyTorch has are its own modules (`nn.Conv2d`, `nn.MaxPool2d`, ...); the others are
classes of :mod:`netspec.backends.torch.runtime`, named in `helpers` so the generated
file carries them. Padding PyTorch cannot express (different before and after, or a
ceil-mode window past it) is an explicit `F.pad` in `forward`.

Assumes nothing of torch: this package imports none (`netspec build` writes source
without it). Guarantees :data:`LOWERINGS` (op name -> lowering, filled by `@lowers` in
the family modules, which netspec/backends/torch/lowering/__init__.py imports) and
:data:`POSITIONAL` (a module class -> the names of its positional arguments, for the
classes netspec/backends/torch/classes.py writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from netspec.backends.registry import registrar
from netspec.ir import Node
from netspec.values import Shape


class Layer(NamedTuple):
    """How one node becomes PyTorch source."""

    make: str  # constructor expression, e.g. "nn.Conv2d(1, 6, 5)"
    call: str = "{module}({args})"  # forward's call, with {module} and {args}
    helpers: tuple[str, ...] = ()  # backends/torch/runtime/ names the expression uses
    # A `joint` op's call when the graph binds all its outputs (`seq, h, c = lstm(650)`):
    # forward binds them all from this one call (netspec/backends/torch/source.py).
    joint: str = ""


Lowering = Callable[[Node, tuple[Shape, ...], Shape], Layer]
LOWERINGS: dict[str, Lowering] = {}

lowers = registrar(LOWERINGS)

# The positional parameters of each module class a lowering writes, by PyTorch's names
# (the 1-d name stands for 2-d and 3-d): a block's class takes a number that differs
# between its calls under the name of the argument it sets (`conv1_out_channels`).
POSITIONAL: dict[str, tuple[str, ...]] = {}


def positional(module: str, *names: str) -> None:
    """Record the positional parameter names of `module` (`nn.Conv1d` -> `Conv1d`)."""
    POSITIONAL[module] = names


# --- formatting --------------------------------------------------------------------------


def per_axis(values: tuple[int, ...]) -> str:
    """`(3, 3)` -> `3`; `(3, 5)` -> `(3, 5)`: PyTorch takes either."""
    return str(values[0]) if len(set(values)) == 1 else str(tuple(values))


def arguments(*positional: Any, **keywords: tuple[Any, Any]) -> str:
    """Positional values, then `name=value` for each keyword whose value is not its default
    (keywords are given as (value, default)). Values are written with str(): a string is
    source code already (`per_axis` output)."""
    parts = [str(p) for p in positional]
    parts += [f"{k}={v}" for k, (v, default) in keywords.items() if v != default]
    return ", ".join(parts)


def f_pad(pairs: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """Per-axis (before, after) pairs as F.pad's tuple: the last axis first."""
    return tuple(p for before, after in reversed(pairs) for p in (before, after))


def symmetric(pairs: tuple[tuple[int, int], ...]) -> bool:
    return all(before == after for before, after in pairs)


def padded_call(pairs: tuple[tuple[int, int], ...], value: str = "") -> str:
    fill = f", value={value}" if value else ""
    return f"{{module}}(F.pad({{args}}, {f_pad(pairs)}{fill}))"
