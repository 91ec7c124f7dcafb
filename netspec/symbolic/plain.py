"""A graph with symbolic sizes as the backends take it.

Assumes a Graph (netspec.ir) whose shapes and attributes may hold traced sizes (ints
with a formula, netspec.symbolic.symint). Guarantees the same graph with each traced
size whose formula is one name (`T`) written as that name again, a symbol the built
model reads from its input when it runs, as the backends always have; and any other
(`floor((H - 1) / 2) + 1`) as its number at the size traced, so that a lowering that
bakes it in is fixed to that size (netspec export --dynamic-sizes checks for that).
Duck-typed (an int with `expr` and `hint`): this module imports nothing symbolic.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any


def plain(graph: Any) -> Any:
    """The graph with its traced sizes as names or numbers (itself when it has none)."""
    if getattr(graph, "sizes", None) is None:
        return graph
    return graph._replace(
        shapes=tuple(_plain(s) for s in graph.shapes),
        nodes=tuple(n._replace(attrs=MappingProxyType(_plain(dict(n.attrs)))) for n in graph.nodes),
        sizes=None,
    )


def _plain(value: Any) -> Any:
    expr = getattr(value, "expr", None)
    if expr is not None and isinstance(value, int):
        names = expr.names()
        if len(names) == 1 and str(expr) == next(iter(names)):
            return str(expr)  # the name itself: read from the input when the model runs
        return value.hint
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
