"""x positions for an ordered layered drawing: chains run straight, and every chain sits
as close to the nodes it branches from and merges into as the order and spacing allow.

Nodes linked one to one (the source has no other successor, the target no other
predecessor: a chain of layers, or the dummies of a long edge) form a *block* that is
drawn as one straight column. Each block wants the weighted mean x of the nodes its
ends connect to (a branch wants to sit under its fan-out and over its merge). Sweeps
down and up the layers place each layer by least squares towards those wishes under the
constraints "keep the order, at least the spacing apart": shifting node i by its
minimum distance from the layer's first node turns them into "non-decreasing", which is
isotonic regression, solved exactly by pool-adjacent-violators in linear time. A node
follows its block's previous node with an overwhelming weight, so a block bends only
where a layer has no room for it straight.

Assumes layers of node ids (dummies numbered from n_real) and edges between
consecutive layers. Guarantees that neighbours in a layer are at least their half
widths plus the gap apart, and that the leftmost edge of the drawing is at x = 0.
"""

from __future__ import annotations

GAP_BOX = 28.0  # between two boxes
GAP_DUMMY = 16.0  # next to a dummy (an edge passing through the layer)
ROUNDS = 10
FOLLOW = 1e6  # the weight of a block's straightness against any wish


def place(layers: list[list[int]], widths: list[float], edges, n_real: int) -> list[float]:
    n = len(widths)
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succs[a].append(b)
        preds[b].append(a)
    up = [p[0] if len(p) == 1 and len(succs[p[0]]) == 1 else -1 for p in preds]
    down = [s[0] if len(s) == 1 and len(preds[s[0]]) == 1 else -1 for s in succs]
    block = list(range(n))
    for layer in layers:
        for v in layer:
            if up[v] >= 0:
                block[v] = block[up[v]]
    x = [0.0] * n
    for layer in layers:
        _fit(layer, [0.0] * len(layer), [1.0] * len(layer), widths, n_real, x)
    for step in range(2 * ROUNDS + 1):
        wish = _wishes(block, preds, succs, up, down, x)
        going_down = step % 2 == 0  # the last sweep goes down: blocks hang from their tops
        follow = up if going_down else down
        for layer in layers if going_down else reversed(layers):
            desired, weights = [], []
            for v in layer:
                if follow[v] >= 0:
                    desired.append(x[follow[v]])
                    weights.append(FOLLOW)
                else:
                    want, weight = wish.get(block[v], (x[v], 0.0))
                    desired.append(want)
                    weights.append(weight or 0.01)
            _fit(layer, desired, weights, widths, n_real, x)
    left = min((x[v] - widths[v] / 2 for layer in layers for v in layer), default=0.0)
    return [v - left for v in x]


def _wishes(block, preds, succs, up, down, x) -> dict[int, tuple[float, float]]:
    """Each block's wish: the mean x of the nodes outside it that its nodes link to."""
    sums: dict[int, list[float]] = {}
    for v, b in enumerate(block):
        outside = [u for u in preds[v] if u != up[v]] + [w for w in succs[v] if w != down[v]]
        if outside:
            total = sums.setdefault(b, [0.0, 0.0])
            total[0] += sum(x[u] for u in outside)
            total[1] += len(outside)
    return {b: (s / count, count) for b, (s, count) in sums.items()}


def _gap(a: int, b: int, widths: list[float], n_real: int) -> float:
    gap = GAP_BOX if a < n_real and b < n_real else GAP_DUMMY
    return (widths[a] + widths[b]) / 2 + gap


def _fit(layer, desired, weights, widths, n_real, x) -> None:
    """Weighted least squares of x towards `desired` under order and spacing."""
    offsets, c = [], 0.0
    for i, v in enumerate(layer):
        if i:
            c += _gap(layer[i - 1], v, widths, n_real)
        offsets.append(c)
    blocks: list[list[float]] = []  # pooled runs: [weight, weighted sum, count]
    for d, w, c in zip(desired, weights, offsets, strict=True):
        blocks.append([w, w * (d - c), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, n2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += n2
    i = 0
    for w, s, count in blocks:
        for _ in range(int(count)):
            x[layer[i]] = s / w + offsets[i]
            i += 1
