"""The sizes panel's question: which input sizes does the network accept?

The answer of `netspec sizes` (netspec/analysis/accepted.py: exact, for every size from 1
to 2^53, by symbolic elaboration), as data: the accepted set written for people, its
smallest member, period and residues, the accepted sizes nearest the one asked about
(`near`, by default the declared size) and, per place where the others fail, the sizes
refused there with the message of a concrete elaboration at the refused size nearest an
accepted one. The spec is judged at its declared size first; refused there, its input
still elaborates and the sizes are answered all the same.

Assumes the worker's time limit (an exact answer takes a handful of elaborations; one
whose structure depends on the size stops after MAX_PATHS and says it is not exact).
Guarantees sizes as numbers and sets as text, never a stack trace.
"""

from __future__ import annotations

from typing import Any

from netspec.analysis.accepted import accepted_sizes, named_axes, refused_graph, varied_axes
from netspec.analysis.sizes import sweep
from netspec.api import parse
from netspec.errors import CompileError
from netspec.ops.arith import axis_names
from netspec.report.accepted import describe, nearest, pattern
from netspec.serve import fields
from netspec.serve.answers import NAME, failure
from netspec.serve.fields import BadRequest
from netspec.source import Source
from netspec.symbolic.sets import SizeSet

MAX_PATHS = 120  # elaborations: the worker's time limit stops a longer analysis anyway


def sizes_task(request: dict[str, Any]) -> dict[str, Any]:
    """The accepted sizes of one input's spatial (or named) axes, square when several."""
    checkpoints = not fields.flag(request, "ignore_checkpoints", False)
    overrides = fields.overrides(request)
    graph, refused = _graph(request)
    if graph is None:
        return refused
    module = parse(Source(NAME, fields.text(request)))  # parsed once already: no error now
    inputs = dict(graph.inputs)
    name = request.get("input") or graph.inputs[0][0]
    if not isinstance(name, str):
        raise BadRequest("`input` must be an input's name")
    if name not in inputs:
        raise BadRequest(f"no input {name!r} in {graph.name}; its inputs: {', '.join(inputs)}")
    declared = graph.shape(inputs[name])
    axes = varied_axes(declared, None)
    if isinstance(axes, str):
        raise BadRequest(axes)
    labels = {i: n for n, i in named_axes(declared).items()}
    declared = tuple(getattr(d, "hint", d) for d in declared)
    symbol = "s" if len(axes) > 1 else labels.get(axes[0], "s")
    answer = accepted_sizes(
        module, graph.name, name, declared, axes, symbol, overrides, False, checkpoints, MAX_PATHS
    )
    near = fields.integer(request, "near", declared[axes[0]], 1, 2**53)
    job = (module, graph.name, name, declared, axes, overrides, checkpoints)
    return {
        "network": graph.name,
        "input": name,
        "declared": list(declared),
        "axes": [labels.get(a) or axis_names(len(declared) - 2)[a - 2] for a in axes],
        "axis_indices": list(axes),
        "exact": answer.complete,
        "why": answer.why,
        "declared_accepted": refused is None,
        "checkpoints": checkpoints,
        **_accepted(answer.accepted, near),
        "refused": _refused(job, answer.regions, answer.accepted),
    }


def _graph(request: dict[str, Any]):
    """(graph, None) when the spec is accepted; (graph, the error document) when it is
    refused at its declared size but its input elaborated; else (None, that document)."""
    try:
        [analysis] = _one(fields.analysed(request))
        return analysis.graph, None
    except CompileError as exc:
        failed = failure(exc.diagnostics[0].code, exc.diagnostics[0].message)
        return refused_graph(exc, fields.network(request)), failed


def _one(analyses):
    if len(analyses) != 1:
        names = ", ".join(a.graph.name for a in analyses)
        raise BadRequest(f"the spec has several networks ({names}): name one in `network`")
    return analyses


def _accepted(accepted: SizeSet, near: int) -> dict[str, Any]:
    count = accepted.count()
    found = pattern(accepted)
    return {
        "accepted": describe(accepted),
        "count": count,  # None: without end
        "smallest": accepted.smallest(),
        "period": found[0] if found else None,
        "residues": list(found[1]) if found else [],
        "near": near,
        "nearest": nearest(accepted, near) if not accepted.is_empty() else [],
        "near_accepted": near in accepted,
    }


def _refused(job: tuple, regions, accepted: SizeSet) -> list[dict[str, Any]]:
    groups: dict[str, SizeSet] = {}
    for region in regions:
        if region.reason:
            groups[region.reason] = groups.get(region.reason, SizeSet()) | region.sizes
    anchor = accepted.smallest() or 1
    out = []
    for reason, sizes in groups.items():
        at = sizes.nearest(anchor, 1)[0]
        [verdict] = sweep(*job[:5], range(at, at + 1), job[5], False, job[6])
        out.append(
            {"sizes": describe(sizes), "reason": reason, "at": at, "message": verdict.message}
        )
    return out
