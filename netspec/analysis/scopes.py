"""The scopes of a graph as the PyTorch writer sees them, and the names it writes.

A scope is the network ("") or a block call that made layers; its items are its own
layers and its child calls, in execution order. A call's layers are contiguous in the
graph, so every question here is answered in one pass over the layers. Imports no torch.
"""

from __future__ import annotations

import keyword
from typing import NamedTuple

from netspec.ir import BlockCall, Graph, Node
from netspec.ops import REGISTRY

RESERVED = {"self", "torch", "nn", "F"}  # names the generated file already uses
INDENT = "    "


class Item(NamedTuple):
    """One step of a scope's forward: a layer or a child block call."""

    path: str
    inputs: tuple[int, ...]
    output: int
    node: Node | None = None
    call: BlockCall | None = None


def scope_items(graph: Graph, external: dict[str, list[int]]) -> dict[str, list[Item]]:
    """Per scope ("" = the network, else a block call's path): its steps in order."""
    calls = calls_with_layers(graph)
    items: dict[str, list[Item]] = {"": []}
    seen: set[str] = set()
    for node in graph.nodes:
        chain = [site.path for site in node.chain]
        scopes = ["", *chain]
        for depth, scope in enumerate(scopes):
            items.setdefault(scope, [])
            if depth == len(chain):
                items[scope].append(Item(node.path, node.inputs, node.output, node=node))
            elif chain[depth] not in seen:
                seen.add(chain[depth])
                call = calls[chain[depth]]
                items[scope].append(Item(call.path, (), call.output, call=call))
    return {
        s: [it if it.call is None else it._replace(inputs=tuple(external[it.path])) for it in its]
        for s, its in items.items()
    }


def joint_parts(graph: Graph) -> dict[str, tuple[Node, ...]]:
    """For each layer of a `joint` op whose later outputs the graph binds (`seq, h, c =
    lstm(650)`), by that part 0's path: the layers of parts 1, 2, ... in order, which
    elaboration appends right after part 0 (same op, input and span). Part 0 computes
    them all: the backends give the later parts no module or call of their own."""
    found: dict[str, tuple[Node, ...]] = {}
    nodes = graph.nodes
    for i, node in enumerate(nodes):
        if not REGISTRY[node.op].joint or node.attrs.get("part", 0) != 0:
            continue
        parts: list[Node] = []
        for later in nodes[i + 1 :]:
            same = (later.op, later.inputs, later.span) == (node.op, node.inputs, node.span)
            if not same or later.attrs.get("part") != len(parts) + 1:
                break
            parts.append(later)
        if parts:
            found[node.path] = tuple(parts)
    return found


def callee_first(graph: Graph, items: dict[str, list[Item]]) -> list[str]:
    """Block names ordered so that a block comes after every block its calls call (the
    call graph is acyclic: recursion is an error)."""
    inner: dict[str, set[str]] = {}
    for call in graph.calls:
        if call.path in items:
            inner.setdefault(call.block, set())
            children = (it.call.block for it in items[call.path] if it.call is not None)
            inner[call.block].update(children)
    order: list[str] = []
    while len(order) < len(inner):
        ready = [b for b in inner if b not in order and inner[b] <= set(order)]
        order += ready
    return order


def calls_with_layers(graph: Graph) -> dict[str, BlockCall]:
    """The calls that made layers (an identity call makes no module), by path."""
    made = {site.path for n in graph.nodes for site in n.chain}
    return {c.path: c for c in graph.calls if c.path in made}


def call_ranges(graph: Graph) -> dict[str, tuple[int, int]]:
    """Each call's layers as a range of graph.nodes (a call's layers are contiguous)."""
    ranges: dict[str, tuple[int, int]] = {}
    for i, node in enumerate(graph.nodes):
        for site in node.chain:
            start = ranges.get(site.path, (i, i))[0]
            ranges[site.path] = (start, i + 1)
    return ranges


def external_inputs(graph: Graph, call: BlockCall, span: tuple[int, int]) -> list[int]:
    """The tensors the call's layers read from outside it: the stream first."""
    inside = graph.nodes[span[0] : span[1]]
    made = {n.output for n in inside}
    read: list[int] = [call.input] if any(call.input in n.inputs for n in inside) else []
    for n in inside:
        read += [t for t in n.inputs if t not in made and t not in read]
    return read


def descendant_segments(paths: list[str]) -> dict[str, set[str]]:
    """For each path prefix, the next segments below it (`a` -> {`0`, `1`} for a.0, a.1)."""
    below: dict[str, set[str]] = {}
    for path in paths:
        segments = path.split(".")
        for j in range(1, len(segments)):
            below.setdefault(".".join(segments[:j]), set()).add(segments[j])
    return below


def relative(scope: str, path: str) -> str:
    return path[len(scope) + 1 :] if scope else path


def join(scope: str, rel: str) -> str:
    return f"{scope}.{rel}" if scope else rel


def access(rel: str) -> str:
    """`add1.0.conv1` -> `self.add1[0].conv1`."""
    return "self" + "".join(f"[{s}]" if s.isdigit() else f".{s}" for s in rel.split("."))


def variable(base: str, taken: set[str]) -> str:
    base = base if base.isidentifier() else "x"
    if keyword.iskeyword(base) or base in RESERVED:
        base += "_"
    if base not in taken:
        return base
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"
