"""A layered top-to-bottom layout of a DAG, written for the network diagrams.

The classic Sugiyama steps, kept small: longest-path layering (a source sits just above
its first consumer), one dummy node per layer an edge skips (shared by the edges of one
source, so a tensor read by many later layers is one trunk), a few barycentre sweeps to
order each layer with few crossings (:mod:`netspec.teach.diagram.order`), x positions
that pull every node towards its neighbours under order and spacing constraints, and
edge routes through the dummies' reserved slots.

Assumes nodes 0..n-1 numbered in a topological order (every edge goes from a lower to a
higher number) with their (width, height). Guarantees: no two boxes overlap; each route
starts on its source's bottom border and ends on its target's top border; between two
consecutive points of a route either x is equal (a vertical run inside a reserved slot)
or the run lies in the empty gap between two layers, so a curve with vertical tangents
drawn there (:func:`curve`) crosses no box.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from netspec.teach.diagram.order import order_layers
from netspec.teach.diagram.place import place

GAP_Y = 44.0  # between layers: room for the curves and the shape labels
DUMMY_WIDTH = 14.0
PORT_SPACING = 14.0

Point = tuple[float, float]


class Layout(NamedTuple):
    x: list[float]  # centre of each real node
    y: list[float]  # top of each real node
    width: float
    height: float
    routes: list[list[Point]]  # one per edge, in the order given


def ranks(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest-path layers from the sources; a source moves down to just above its
    earliest consumer (a second input is drawn where it is used, not at the top)."""
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        if not a < b:
            raise ValueError(f"edge {a} -> {b} is not in topological order")
        preds[b].append(a)
        succs[a].append(b)
    rank = [0] * n
    for v in range(n):
        rank[v] = max((rank[u] + 1 for u in preds[v]), default=0)
    for v in range(n):
        if not preds[v] and succs[v]:
            rank[v] = min(rank[w] for w in succs[v]) - 1
    return rank


def layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]]) -> Layout:
    """Positions for the nodes and a route for every edge (see the module docstring)."""
    n = len(sizes)
    rank = ranks(n, edges)
    widths = [w for w, _ in sizes]
    vrank, chains = list(rank), []
    trunk: dict[tuple[int, int], int] = {}  # (source, layer) -> dummy
    for a, b in edges:
        chain = [a]
        for r in range(rank[a] + 1, rank[b]):
            if (a, r) not in trunk:
                trunk[(a, r)] = len(vrank)
                vrank.append(r)
                widths.append(DUMMY_WIDTH)
            chain.append(trunk[(a, r)])
        chains.append([*chain, b])
    vedges = sorted({(c[i], c[i + 1]) for c in chains for i in range(len(c) - 1)})
    layers = order_layers(vrank, vedges, n)
    xs = place(layers, widths, vedges, n)
    tops, bottoms = _bands(rank, sizes)
    x = xs[:n]
    y = [tops[rank[v]] for v in range(n)]
    routes = _routes(chains, xs, vrank, sizes, tops, bottoms)
    width = max((xs[v] + widths[v] / 2 for v in range(len(xs))), default=0.0)
    height = bottoms[-1] if bottoms else 0.0
    return Layout(x, y, width, height, routes)


def _bands(rank: list[int], sizes: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Top and bottom of each layer: as tall as its tallest box."""
    count = max(rank, default=-1) + 1
    heights = [0.0] * count
    for r, (_, h) in zip(rank, sizes, strict=True):
        heights[r] = max(heights[r], h)
    tops, bottoms, y = [], [], 0.0
    for h in heights:
        tops.append(y)
        bottoms.append(y + h)
        y += h + GAP_Y
    return tops, bottoms


def _ports(centre: float, width: float, hops: list[tuple[float, int]]) -> dict[int, float]:
    """Entry or exit x for each neighbouring hop, spread around the centre in x order."""
    ordered = sorted(set(hops))
    spacing = min(PORT_SPACING, (width - 16) / max(1, len(ordered) - 1))
    start = centre - spacing * (len(ordered) - 1) / 2
    return {hop: start + i * spacing for i, (_, hop) in enumerate(ordered)}


def _routes(chains, xs, vrank, sizes, tops, bottoms) -> list[list[Point]]:
    outs: dict[int, list[tuple[float, int]]] = {}
    ins: dict[int, list[tuple[float, int]]] = {}
    for c in chains:
        outs.setdefault(c[0], []).append((xs[c[1]], c[1]))
        ins.setdefault(c[-1], []).append((xs[c[-2]], c[-2]))
    out_ports = {v: _ports(xs[v], sizes[v][0], hops) for v, hops in outs.items()}
    in_ports = {v: _ports(xs[v], sizes[v][0], hops) for v, hops in ins.items()}
    routes = []
    for c in chains:
        a, b = c[0], c[-1]
        sx = out_ports[a][c[1]]
        points = [(sx, tops[vrank[a]] + sizes[a][1])]
        if points[0][1] < bottoms[vrank[a]]:
            points.append((sx, bottoms[vrank[a]]))
        for d in c[1:-1]:
            points += [(xs[d], tops[vrank[d]]), (xs[d], bottoms[vrank[d]])]
        points.append((in_ports[b][c[-2]], tops[vrank[b]]))
        routes.append(_straighten(points))
    return routes


def _straighten(points: list[Point]) -> list[Point]:
    """The route without the inner points of its vertical runs (a long trunk is 2 points)."""
    kept = points[:1]
    for i in range(1, len(points) - 1):
        if not (points[i - 1][0] == points[i][0] == points[i + 1][0]):
            kept.append(points[i])
    return kept + points[-1:]


def curve(points: list[Point]) -> str:
    """SVG path data: vertical runs as lines, the rest as curves with vertical tangents."""
    (x0, y0), parts = points[0], []
    parts.append(f"M{x0:.1f},{y0:.1f}")
    for (x1, y1), (x2, y2) in pairwise(points):
        if abs(x1 - x2) < 0.05:
            parts.append(f"L{x2:.1f},{y2:.1f}")
        else:
            ym = (y1 + y2) / 2
            parts.append(f"C{x1:.1f},{ym:.1f} {x2:.1f},{ym:.1f} {x2:.1f},{y2:.1f}")
    return " ".join(parts)
