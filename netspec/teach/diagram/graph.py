"""The network as boxes and edges: what `netspec draw SPEC` lays out, as plain data.

A box is one top-level statement at depth 0. At depth N >= 1 statements are opened and
block calls N levels deep are boxes of their own: a statement that is one block call
(`layer1 = stage(64, 2)`) opens with it, each further call nesting level costs one
depth, and every layer outside an unopened call is a box. Merges (`add`, `concat`) and
their branches are never hidden inside an opened scope, so Inception's four branches
show at depth 1 and ResNet's residual adds at depth 2 (ResNet-18: statement `layer1` ->
blocks `basic1`, `basic2` -> their layers). `netspec check --depth` groups rows by path
prefix instead, which counts merges and branch indices as levels too. Besides the
depth, a set of opened box keys (the playground's clicks) opens single boxes one level.

Edges follow the tensors: a box's layer reading a tensor made in another box is an edge
from that box (one per pair of boxes), from an input node for the network's inputs;
each output has a node fed by the box that makes it. Assumes an analysed Graph (its
calls are contiguous runs of layers, so boxes in execution order form a DAG).
Guarantees: every layer is in exactly one box, coloured by its op's declared family
(an op without one raises, naming it), and edges go from earlier boxes to later.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.analysis import Analysis
from netspec.errors import CallSite
from netspec.ir import BlockCall, Graph
from netspec.ops import REGISTRY, declared
from netspec.ops.arith import window_text
from netspec.values import Shape, show_value

_WINDOW_KEYS = ("kernel", "stride", "padding", "dilation")
_MAX_STAGES = 12


class Box(NamedTuple):
    """One drawn node: a statement, a block call, a layer, or an input or output."""

    key: str  # unique: a statement name, call path or layer path; `input:x`, `output:y`
    kind: str  # statement | call | layer | input | output
    name: str
    label: str  # the op, the block call, or the stages of a statement
    windows: tuple[str, ...]  # sliding windows worth a line (`5x5 /1`), at most two
    family: str  # a key of the legend: conv pool norm activation linear merge block other
    shape: Shape  # the output (an input node: the input)
    params: int
    layers: tuple[int, ...]  # indices into Analysis.layers; () for inputs and outputs


class Edge(NamedTuple):
    source: str  # box keys
    target: str
    tensor: int
    shape: Shape
    changed: bool  # the source box changed the shape: the edge is worth a shape label


class DiagramGraph(NamedTuple):
    name: str
    depth: int
    boxes: tuple[Box, ...]  # inputs, then boxes in execution order, then outputs
    edges: tuple[Edge, ...]

    def box(self, key: str) -> Box:
        return next(b for b in self.boxes if b.key == key)


def _own_calls(graph: Graph) -> set[str]:
    """Paths of the calls that are a whole statement (`layer1 = stage(...)`)."""
    own = set()
    for s in graph.statements:
        chains = [graph.nodes[i].chain for i in range(s.first, s.end)]
        if chains and all(chains) and len({c[0].path for c in chains}) == 1:
            own.add(chains[0][0].path)
    return own


def _scope(chain: tuple[CallSite, ...], own: set[str]) -> tuple[CallSite, ...]:
    return chain[1:] if chain and chain[0].path in own else chain


def levels(graph: Graph) -> list[list[tuple[str, str]]]:
    """Per layer, its (box key, kind) from the outside in: its statement, the calls it
    sits in (a statement's own call left out), the layer itself. Depth N draws level N
    (or the last); opening a box moves its layers one level in."""
    own = _own_calls(graph)
    return [
        [
            (node.statement, "statement"),
            *((c.path, "call") for c in _scope(node.chain, own)),
            (node.path, "layer"),
        ]
        for node in graph.nodes
    ]


def group_keys(
    graph: Graph, depth: int, opened: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(box key, kind) for every layer: its statement, unopened call, or itself. A box
    whose key is in `opened` is drawn open, one level further in (the playground opens
    the blocks a user clicks)."""
    if depth <= 0 and not opened:
        return [(n.statement, "statement") for n in graph.nodes]
    keys = []
    for chain in levels(graph):
        level = min(max(depth, 0), len(chain) - 1)
        while chain[level][0] in opened and level < len(chain) - 1:
            level += 1
        keys.append(chain[level])
    return keys


def box_count(graph: Graph, depth: int, opened: frozenset[str] = frozenset()) -> int:
    return len(set(group_keys(graph, depth, opened)))


def family(op: str) -> str:
    """The op's colour family in the legend, as the op declares it (`Op.family`)."""
    return declared(REGISTRY[op], "family")


def window(attrs) -> str | None:
    if not all(k in attrs for k in _WINDOW_KEYS):
        return None
    return window_text(attrs) + (" ceil" if attrs.get("ceil_mode") else "")


def _layer_label(op: str, description: str, attrs) -> str:
    if "out" in attrs:
        groups = attrs.get("groups", 1)
        return f"{op} {attrs['out']}" + (f", groups {groups}" if groups != 1 else "")
    if "units" in attrs:
        return f"{op} {attrs['units']}"
    return op if window(attrs) else description


def call_label(call: BlockCall) -> str:
    """`basic(width=64, stride=1)`; positional values where names make it long."""
    named = f"{call.block}(" + ", ".join(f"{k}={show_value(v)}" for k, v in call.args) + ")"
    if len(named) <= 30:
        return named
    return f"{call.block}(" + ", ".join(show_value(v) for _, v in call.args) + ")"


def _source(call: BlockCall) -> str:
    """A top-level call as written (`stage(64, 2, stride=1)`), if it fits on a line; the
    spaces that align a table of calls (`inception(64,  96, ...)`) left out."""
    text = " ".join(call.span.text().split())
    return text if "\n" not in text and len(text) <= 40 else call_label(call)


def _stages(analysis: Analysis, indices: list[int], own: set[str]) -> str:
    """The stages of a statement: ops, and block names for the calls (`conv · double_conv`)."""
    tokens: list[tuple[str, str]] = []
    for i in indices:
        scope = _scope(analysis.graph.nodes[i].chain, own)
        token = (scope[0].block, scope[0].path) if scope else (analysis.layers[i].op, str(i))
        if not tokens or tokens[-1] != token:
            tokens.append(token)
        if len(tokens) > _MAX_STAGES:  # a long repeat: the box shows a line's worth anyway
            return " · ".join(t for t, _ in tokens[:_MAX_STAGES]) + " · …"
    return " · ".join(t for t, _ in tokens)


def _composite_family(analysis: Analysis, indices: list[int]) -> str:
    graph = analysis.graph
    if any(graph.nodes[i].chain or family(graph.nodes[i].op) == "merge" for i in indices):
        return "block"
    heaviest = max(indices, key=lambda i: (analysis.layers[i].counts.params, -i))
    return family(analysis.layers[heaviest].op)


def _box(analysis: Analysis, key: str, kind: str, indices: list[int], own: set[str]) -> Box:
    graph, layers = analysis.graph, analysis.layers
    calls = {c.path: c for c in graph.calls}
    params = sum(layers[i].counts.params for i in indices)
    if kind == "layer":
        x = layers[indices[0]]
        w = window(x.attrs)
        label = _layer_label(x.op, x.description, x.attrs)
        return Box(key, kind, key, label, (w,) if w else (), family(x.op), x.output_shape,
                   params, tuple(indices))  # fmt: skip
    if kind == "statement":
        stmt = next(s for s in graph.statements if s.name == key)
        shape = graph.shape(stmt.output)
        whole = _single_call(graph, indices)
        label = _source(calls[whole]) if whole else _stages(analysis, indices, own)
    else:
        shape, label = graph.shape(calls[key].output), call_label(calls[key])
    windows = tuple(
        w
        for i in indices
        if not _scope(graph.nodes[i].chain, own) and (w := window(layers[i].attrs))
    )
    fam = "block" if kind == "call" else _composite_family(analysis, indices)
    shown = windows if len(windows) <= 2 and fam != "block" else ()
    return Box(key, kind, key, label, shown, fam, shape, params, tuple(indices))


def _single_call(graph: Graph, indices: list[int]) -> str | None:
    chains = [graph.nodes[i].chain for i in indices]
    if all(chains) and len({c[0].path for c in chains}) == 1:
        return chains[0][0].path
    return None


def diagram_graph(
    analysis: Analysis, depth: int = 0, opened: frozenset[str] = frozenset()
) -> DiagramGraph:
    """The boxes and edges of `analysis` at `depth`, with the boxes `opened` opened one
    level further (see the module docstring)."""
    graph = analysis.graph
    own = _own_calls(graph)
    members: dict[tuple[str, str], list[int]] = {}
    for index, key in enumerate(group_keys(graph, depth, opened)):
        members.setdefault(key, []).append(index)
    boxes = [_terminal("input", n, graph.shape(t)) for n, t in graph.inputs]
    boxes += [_box(analysis, k, kind, idx, own) for (k, kind), idx in members.items()]
    boxes += [_terminal("output", n, graph.shape(t)) for n, t in graph.outputs]
    owner = {i: key for (key, _), idx in members.items() for i in idx}
    return DiagramGraph(analysis.name, depth, tuple(boxes), _edges(graph, owner))


def _terminal(kind: str, name: str, shape: Shape) -> Box:
    return Box(f"{kind}:{name}", kind, name, kind, (), kind, shape, 0, ())


def _edges(graph: Graph, owner: dict[int, str]) -> tuple[Edge, ...]:
    """One edge per pair of boxes that a tensor connects, in the consumers' order."""
    maker: dict[int, str] = {t: f"input:{n}" for n, t in graph.inputs}
    for index, node in enumerate(graph.nodes):
        maker[node.output] = owner[index]
    entering: dict[str, Shape] = {}  # the first tensor each box reads from outside: its stream
    pairs: dict[tuple[str, str], int] = {}
    for index, node in enumerate(graph.nodes):
        box = owner[index]
        for t in node.inputs:
            if maker[t] != box:
                entering.setdefault(box, graph.shape(t))
                pairs.setdefault((maker[t], box), t)
    for name, t in graph.outputs:
        pairs.setdefault((maker[t], f"output:{name}"), t)
    return tuple(
        Edge(a, b, t, graph.shape(t), a in entering and graph.shape(t) != entering[a])
        for (a, b), t in pairs.items()
    )
