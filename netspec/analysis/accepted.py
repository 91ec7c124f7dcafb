"""The exact set of input sizes a network accepts, along one axis or a square input.

The network is elaborated at a size s with that size symbolic (a SymInt: the int s with
its formula); every decision the elaboration takes on a size is a guard, and the sizes
that keep every guard's outcome are one exact region (netspec.symbolic.sets), on which
the elaboration is the same step for step: accepted everywhere or refused everywhere,
for the same first reason. Starting from s = 1, the smallest size no region covers yet
is elaborated next, until the regions cover every size up to MAX_INT. Each region is
finitely many ranges with a period, so a few elaborations answer for every size: the
answer is exact, not sampled.

Assumes the module parses and its input has the axes asked for. Guarantees an
:class:`Answer` whose `accepted` set is exact when `complete`; it is not complete when
the network's structure pins the size (a repeat count computed from it, say) so that
more than `max_paths` elaborations would be needed, or a guard couples the varied size
with itself beyond what can be solved exactly (then `why` says which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from netspec.elaborate.networks import elaborate
from netspec.errors import CompileError
from netspec.ops import REGISTRY
from netspec.ops.arith import axis_names
from netspec.symbolic.expr import Poly
from netspec.symbolic.sets import SizeSet, Unsupported, guard_set
from netspec.symbolic.symint import SymInt, tracing
from netspec.syntax import ast
from netspec.values import Shape, show_shape

MAX_PATHS = 400  # elaborations per answer: each region needs one


class Region(NamedTuple):
    sizes: SizeSet
    reason: str  # '' when accepted; else the first problem: "E-merge at line 12"
    message: str  # that problem's message, at the size elaborated
    size: int  # the size elaborated for this region


class Answer(NamedTuple):
    accepted: SizeSet
    regions: list[Region]  # in the order elaborated
    complete: bool  # every size 1..MAX_INT is in some region
    why: str  # when not complete: what stopped the analysis


def accepted_sizes(
    module: ast.Module,
    network: str,
    input_name: str,
    declared: Shape,
    axes: tuple[int, ...],
    name: str,
    overrides: Mapping[str, object] | None = None,
    exact: bool = False,
    checkpoints: bool = True,
    max_paths: int | None = None,
) -> Answer:
    """The sizes s for which the input with `axes` set to s (the others as declared) is
    accepted; `name` names s in the formulas. With `exact`, a size that leaves input
    rows unread (W-floor) is refused too."""

    declared = tuple(getattr(d, "hint", d) for d in declared)  # a traced size: its number

    def judge(size: int) -> Region:
        shape = tuple(
            SymInt(size, Poly.name(name)) if i in axes else d for i, d in enumerate(declared)
        )
        given = {input_name: shape}
        return traced_region(module, network, overrides, given, name, exact, checkpoints)

    return explore(judge, max_paths)


def explore(judge: Callable[[int], Region], max_paths: int | None = None) -> Answer:
    """Regions from `judge` (the region of a size, traced) until they cover every size."""
    covered, accepted, regions = SizeSet(), SizeSet(), []
    max_paths = max_paths or MAX_PATHS
    size: int | None = 1
    while size is not None:
        if len(regions) >= max_paths:
            why = f"more than {max_paths} elaborations: the network's structure depends on the size"
            return Answer(accepted, regions, False, why)
        try:
            region = judge(size)
        except Unsupported as exc:
            return Answer(accepted, regions, False, str(exc))
        if size not in region.sizes:  # the guards must hold where they were taken
            raise AssertionError(f"size {size} is outside its own region")
        regions.append(region._replace(size=size))
        covered = covered | region.sizes
        if not region.reason:
            accepted = accepted | region.sizes
        size = (SizeSet.all() - covered).smallest()
    return Answer(accepted, regions, True, "")


def traced_region(module, network, overrides, given, name, exact=False, checkpoints=True) -> Region:
    """Elaborate once with the traced sizes of `given` (or of SIZES, set by the caller):
    the sizes (named `name` in the guards) that take the same path, and its verdict."""
    reason = message = ""
    with tracing() as trace:
        try:
            [graph] = elaborate(module, network, overrides, given, checkpoints)
        except CompileError as exc:
            first = exc.diagnostics[0]
            where = f" at line {first.span.line}" if first.span else ""
            reason, message = f"{first.code}{where}", first.message
        else:
            if exact:
                reason, message = _unread_rows(graph)
    sizes = SizeSet.all()
    for guard in trace.list():
        sizes = sizes & guard_set(guard.expr, guard.rel, guard.holds, name)
    return Region(sizes, reason, message, 0)


def _unread_rows(graph) -> tuple[str, str]:
    """The first layer that leaves input rows unread (W-floor), or ('', '')."""
    for node in graph.nodes:
        op = REGISTRY[node.op]
        for w in op.warnings(dict(node.attrs), graph.input_shapes(node), graph.output_shape(node)):
            if w.code == "W-floor":
                return f"W-floor at line {node.span.line}", f"{node.op}: {w.message}"
    return "", ""


def named_axes(shape) -> dict[str, int]:
    """The axes past the batch whose size the spec names (traced: an int with a formula
    that is just the name)."""
    return {
        str(d.expr): i
        for i, d in enumerate(shape)
        if i >= 1 and getattr(d, "expr", None) is not None and str(d.expr).isidentifier()
    }


def varied_axes(shape, axis: str | None) -> tuple[int, ...] | str:
    """The axes to vary: those the spec names (`[N, L, 512]`: L), else the spatial ones
    (the one `--axis` names), or why `--axis` names none."""
    named = named_axes(shape)
    if named and (axis is None or axis in named):
        return tuple(named.values()) if axis is None else (named[axis],)
    spatial = len(shape) - 2
    if spatial < 1:
        return f"the input {show_shape(shape)} has no spatial axis to vary"
    names = axis_names(spatial)
    if axis is None:
        return tuple(range(2, len(shape)))
    if axis.upper() not in names:
        return f"--axis {axis}: the input's spatial axes are {', '.join(names)}"
    return (2 + names.index(axis.upper()),)


def refused_graph(exc: CompileError, network: str | None):
    """The partial graph of the one network that failed, when its input elaborated: a
    network refused at its declared size still has sizes it accepts."""
    graphs = [p.graph for p in exc.partial if network in (None, p.graph.name)]
    if len(graphs) != 1 or not graphs[0].inputs:
        return None
    return graphs[0]
