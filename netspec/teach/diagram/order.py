"""The order of the nodes within each layer of a layered drawing: few edge crossings.

Barycentre heuristic (Sugiyama, Tagawa and Toda 1981): sweep down and up, sorting each
layer by the mean position of its neighbours in the layer just swept, and keep the order
with the fewest crossings seen. Ties keep the previous order, and the first order is
the nodes' numbering (execution order for a network), so a drawing that needs no
reordering keeps branches in the order the spec writes them.

Assumes `rank` gives every node's layer and every edge joins consecutive layers.
Guarantees a permutation of each layer's nodes; never more crossings than the first
order.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from itertools import pairwise

SWEEPS = 6  # down-and-up rounds; more rarely helps the drawings of real networks


def order_layers(rank: list[int], edges: list[tuple[int, int]], n_real: int) -> list[list[int]]:
    """Nodes of each layer, left to right; dummies are the ids from n_real on."""
    preds: list[list[int]] = [[] for _ in rank]
    succs: list[list[int]] = [[] for _ in rank]
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    layers: list[list[int]] = [[] for _ in range(max(rank, default=-1) + 1)]
    for v in sorted(range(len(rank)), key=lambda v: _first_key(v, preds, succs, n_real)):
        layers[rank[v]].append(v)
    best, best_crossings = [list(layer) for layer in layers], crossings(layers, succs)
    for _ in range(SWEEPS):
        for down in (True, False):
            _sweep(layers, preds if down else succs, down)
            count = crossings(layers, succs)
            if count < best_crossings:
                best, best_crossings = [list(layer) for layer in layers], count
        if best_crossings == 0:
            break
    return best


def _first_key(v: int, preds: list[list[int]], succs: list[list[int]], n_real: int) -> float:
    """Real nodes by number. A dummy continuing a chain comes right after its source; one
    of a skip (its source fans out) just before its target, after the branch it skips."""
    if v < n_real:
        return float(v)
    source, target = v, v
    while source >= n_real and preds[source]:
        source = preds[source][0]
    while target >= n_real and succs[target]:
        target = succs[target][0]
    return target - 0.5 if len(succs[source]) > 1 else source + 0.5


def _sweep(layers: list[list[int]], neighbours: list[list[int]], down: bool) -> None:
    indices = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
    for r in indices:
        fixed = layers[r - 1] if down else layers[r + 1]
        pos = {v: i for i, v in enumerate(fixed)}
        keys = {}
        for i, v in enumerate(layers[r]):
            near = [pos[u] for u in neighbours[v] if u in pos]
            keys[v] = (sum(near) / len(near) if near else i, i)
        layers[r].sort(key=keys.__getitem__)


def crossings(layers: list[list[int]], succs: list[list[int]]) -> int:
    """Edge crossings between consecutive layers (inversions, counted with bisect)."""
    total = 0
    for upper, lower in pairwise(layers):
        pos = {v: i for i, v in enumerate(lower)}
        seen: list[int] = []
        for v in upper:
            targets = sorted(pos[w] for w in succs[v] if w in pos)
            for t in targets:
                total += len(seen) - bisect_right(seen, t)
            for t in targets:
                insort(seen, t)
    return total
