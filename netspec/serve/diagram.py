"""The playground's network diagram: `netspec draw`'s SVG, with what the page needs to
make it interactive.

A request is the common fields (fields.py; `network` picks the network, else the first)
plus `depth` (0 to MAX_DEPTH, as `netspec draw --depth`) and `open`: the keys of the
boxes the user opened one level further (graph.group_keys). The answer holds the SVG
text, whose box groups carry `data-key`, and one record per box: its key, kind, name,
statement, the layer paths it stands for, whether it can be opened (`expand`), and the
box it came out of (`parent`: the opened box, or the one the depth opened; None at the
top level), so that a click can select the statement or layer the explain API takes and
a collapse control can close the parent again.

Assumes it runs in a worker (tasks.py). Guarantees a spec's errors answered as the error
document `netspec check` prints, a bad field or a diagram of more than MAX_BOXES boxes as
one E-request diagnostic, and `open` in the answer holding only the keys it really
opened (keys left over from an older text are dropped, not errors).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from netspec.analysis import Analysis
from netspec.errors import CompileError
from netspec.serve import fields
from netspec.serve.answers import failure, spec_errors
from netspec.serve.fields import BadRequest
from netspec.teach.diagram.graph import box_count, diagram_graph, levels
from netspec.teach.diagram.render import MAX_BOXES, DiagramError, network_svg

MAX_DEPTH = 16
MAX_OPEN = 500  # keys in `open`: more than MAX_BOXES boxes long before this many
Chains = list[list[tuple[str, str]]]  # graph.levels: per layer, its boxes outside in


def diagram_task(request: dict[str, Any]) -> dict[str, Any]:
    """The diagram of the request's network at `depth` with the boxes `open` opened."""
    depth = fields.integer(request, "depth", 0, 0, MAX_DEPTH)
    wanted = _open(request)
    try:
        analyses: list[Analysis] = fields.analysed(request)
    except CompileError as exc:
        return spec_errors(exc.diagnostics)
    if not analyses:
        raise BadRequest("the spec has no network to draw")
    analysis = analyses[0]
    chains = levels(analysis.graph)
    # a box of one layer opens into a copy of itself: not worth a click, nor a key
    sizes = Counter(key for chain in chains for key, _ in chain[:-1])
    openable = {key for key, size in sizes.items() if size > 1}
    opened = _effective(chains, depth, frozenset(k for k in wanted if k in openable))
    try:
        svg = network_svg(analysis, depth=depth, opened=opened)
    except DiagramError as exc:  # more than MAX_BOXES boxes
        return _too_many(analysis, depth, opened, exc)
    return {
        "network": analysis.name,
        "depth": depth,
        "open": sorted(opened),
        "max_depth": max((len(c) - 1 for c in chains), default=0),
        "svg": svg,
        "boxes": _boxes(analysis, depth, opened, chains),
    }


def _too_many(
    analysis: Analysis, depth: int, opened: frozenset[str], exc: DiagramError
) -> dict[str, Any]:
    """The refusal: `netspec draw`'s message (which depth fits), or what to close."""
    if not opened:
        return failure("E-request", str(exc))
    count = box_count(analysis.graph, depth, opened)
    return failure(
        "E-request",
        f"{analysis.name} with these blocks open would be {count:,} boxes, more than the "
        f"{MAX_BOXES} a diagram can show readably",
        "close a block (−) to draw fewer",
    )


def _open(request: dict[str, Any]) -> list[str]:
    value = request.get("open", [])
    if (
        not isinstance(value, list)
        or len(value) > MAX_OPEN
        or not all(isinstance(k, str) and 0 < len(k) <= 1000 for k in value)
    ):
        raise BadRequest(f"`open` must be a list of at most {MAX_OPEN} box keys")
    return value


def _effective(chains: Chains, depth: int, opened: frozenset[str]) -> frozenset[str]:
    """The keys of `opened` that open something: not inside a closed box, not above the
    depth (a block whose parent is closed again is forgotten with it)."""
    used = set()
    for chain in chains:
        level = min(depth, len(chain) - 1)
        while chain[level][0] in opened and level < len(chain) - 1:
            used.add(chain[level][0])
            level += 1
    return frozenset(used)


def _boxes(
    analysis: Analysis, depth: int, opened: frozenset[str], chains: Chains
) -> list[dict[str, Any]]:
    """One record per box, in the order drawn (inputs, boxes, outputs)."""
    records = []
    for box in diagram_graph(analysis, depth, opened).boxes:
        first = box.layers[0] if box.layers else None
        chain = chains[first] if first is not None else []
        level = chain.index((box.key, box.kind)) if first is not None else 0
        records.append(
            {
                "key": box.key,
                "kind": box.kind,
                "name": box.name,
                "statement": analysis.layers[first].statement if first is not None else None,
                "layers": [analysis.layers[i].path for i in box.layers],
                "expand": box.kind in ("statement", "call") and len(box.layers) > 1,
                "parent": chain[level - 1][0] if level > 0 else None,
            }
        )
    return records
