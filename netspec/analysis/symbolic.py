"""Networks whose inputs have named sizes past the batch axis: `input x: [N, 3, H, W]`.

Each such name is a symbolic size. The accepted sizes are found first, exactly, with
every name set to one size s (netspec.analysis.accepted.explore): a square input. The
network is then elaborated once more with each name traced as itself (SymInt(hint, H),
SymInt(hint, W)) at a hint: the accepted size nearest 224 in the largest accepted
region. Every shape, and every figure analysed from it, is then a formula of the names
(`floor((H - 1) / 2) + 1`), exact at every size on which the elaboration decides as at
the hint; the graph carries a :class:`SymbolicSizes` saying so.

Assumes the caller found names (the SIZES hook saw at least one). Guarantees graphs
whose `sizes` is set where a network has symbolic sizes, or the CompileError of the
smallest size when no size is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

from netspec.analysis.accepted import Region, explore, traced_region
from netspec.elaborate.networks import elaborate
from netspec.errors import CompileError
from netspec.ir import Graph
from netspec.symbolic import SIZES, Sizer
from netspec.symbolic.expr import Poly
from netspec.symbolic.sets import SizeSet, Unsupported, guard_set
from netspec.symbolic.symint import SymInt, tracing
from netspec.syntax import ast

TYPICAL = 224  # the hint is the accepted size nearest this in the largest region
CHECK_PATHS = 16  # elaborations `check` spends on the accepted sizes (netspec sizes: 400)


class SymbolicSizes(NamedTuple):
    names: tuple[str, ...]  # the symbolic sizes, in the order the inputs name them
    hint: int  # every name's value when the formulas were traced
    accepted: SizeSet  # the sizes s accepted with every name = s (a square input)
    complete: bool  # whether `accepted` is exact for every size (else up to a range)
    pinned: bool = False  # some size was fixed at the hint (a figure lost its formula)
    region: SizeSet | None = None  # the s (every name = s) where the formulas all hold
    joint: tuple[str, ...] = ()  # equalities that couple several names: `H * W - 36 = 0`


def traced_analysis(graph: Graph, analyze: Callable[[Graph], Any]) -> Any:
    """`analyze(graph)` with its decisions traced too: the graph's sizes then say on
    which square sizes every formula of the report holds (None where not exactly)."""
    sizes: SymbolicSizes = graph.sizes
    with tracing() as trace:
        analysis = analyze(graph)
    region = _region(trace, sizes, sizes.region)
    graph = graph._replace(sizes=sizes._replace(region=region, pinned=sizes.pinned or trace.pinned))
    return analysis._replace(graph=graph)


def _region(trace, sizes: SymbolicSizes, within: SizeSet | None) -> SizeSet | None:
    if within is None:
        return None
    try:
        for g in trace.list():
            within = within & guard_set(g.expr, g.rel, g.holds, frozenset(sizes.names))
    except Unsupported:
        return None
    return within


@contextmanager
def sized(fn: Callable[[str], Any]):
    token = SIZES.set(Sizer(fn))
    try:
        yield
    finally:
        SIZES.reset(token)


def symbolic_graphs(
    module: ast.Module,
    networks: list[str],
    overrides: Mapping[str, object] | None,
    input_shapes: Mapping[str, object] | None,
    checkpoints: bool = True,
) -> list[Graph]:
    """Each network elaborated with its named sizes traced (see the module docstring)."""
    return [_network(module, n, overrides, input_shapes, checkpoints) for n in networks]


def _network(module, network, overrides, input_shapes, checkpoints) -> Graph:
    names: list[str] = []

    def judge(size: int) -> Region:
        def value(name: str) -> SymInt:
            if name not in names:
                names.append(name)
            return SymInt(size, Poly.name("s"))

        with sized(value):
            return traced_region(module, network, overrides, input_shapes, "s", False, checkpoints)

    answer = explore(judge, CHECK_PATHS)
    if not names:  # this network names no size: elaborate it as it is
        [graph] = elaborate(module, network, overrides, input_shapes, checkpoints)
        return graph
    hint = _hint(answer.regions)
    if answer.accepted.is_empty():
        _refuse(module, network, overrides, input_shapes, checkpoints, names, hint, answer)
    with sized(lambda name: SymInt(hint, Poly.name(name))), tracing() as trace:
        [graph] = elaborate(module, network, overrides, input_shapes, checkpoints)  # may raise
    sizes = SymbolicSizes(tuple(names), hint, answer.accepted, answer.complete, trace.pinned)
    joint = tuple(  # equalities: a reshape's element count, a checkpoint's product
        _condition(g) for g in trace.list() if len(g.expr.names()) > 1 and g.rel == "=="
    )
    region = _region(trace, sizes, SizeSet.all())
    return graph._replace(sizes=sizes._replace(region=region, joint=joint))


def _condition(guard) -> str:
    """A guard as the condition it sets: `256 * ... = 9216`, `H - W < 0` is false ..."""
    rel = {"==": ("=", "!="), "<": ("<", ">="), "<=": ("<=", ">")}[guard.rel]
    return f"{guard.expr} {rel[0] if guard.holds else rel[1]} 0"


def _refuse(module, network, overrides, input_shapes, checkpoints, names, size, answer) -> None:
    """No size is accepted: the errors at `size`, in numbers, each saying so."""
    every = " = ".join(names)
    searched = "every size" if answer.complete else "the sizes searched"
    note = (
        f"{', '.join(names)} are symbolic, and no {every} = s is accepted ({searched}; "
        f"`netspec sizes` lists why each is refused): shown at s = {size}, the refused size "
        "whose reason covers the most sizes"
    )
    try:
        with sized(lambda name: size):
            elaborate(module, network, overrides, input_shapes, checkpoints)
    except CompileError as exc:
        diags = [d._replace(notes=(*d.notes, note)) for d in exc.diagnostics]
        raise CompileError(diags, exc.partial) from None


def _hint(regions: list[Region]) -> int:
    """The accepted size nearest TYPICAL in the accepted region with the most sizes;
    when none is accepted, the smallest size of the refused region with the most sizes
    (below the limits: a size so large that a tensor passes them says least)."""
    accepted = [r for r in regions if not r.reason]
    if not accepted:
        refused = [r for r in regions if not r.reason.startswith("E-limit")] or regions
        return max(refused, key=lambda r: (r.sizes.count() is None, r.sizes.count() or 0)).size
    largest = max(accepted, key=lambda r: (r.sizes.count() is None, r.sizes.count() or 0))
    return largest.sizes.nearest(TYPICAL, 1)[0]
