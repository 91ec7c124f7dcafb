"""The layered layout (diagram_layout, diagram_order, diagram_place) on small and random
DAGs: geometry checked point by point, independently of the SVG."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.teach.diagram.layout import GAP_Y, curve, layout, ranks
from netspec.teach.diagram.order import crossings, order_layers
from netspec.teach.diagram.place import GAP_BOX, place


def test_ranks_are_longest_paths_and_sources_sit_above_their_first_use():
    #   0 -> 1 -> 2 -> 4, 0 -> 4 (a skip), 3 -> 4 (a second input, used late)
    edges = [(0, 1), (1, 2), (2, 4), (0, 4), (3, 4)]
    assert ranks(5, edges) == [0, 1, 2, 2, 3]
    with pytest.raises(ValueError, match="topological"):
        ranks(2, [(1, 0)])


def test_crossings_counts_inversions():
    layers = [[0, 1], [2, 3]]
    succs = [[3], [2], [], []]
    assert crossings(layers, succs) == 1
    assert crossings([[0, 1], [3, 2]], succs) == 0
    assert crossings([[0, 1], [2, 3]], [[2, 3], [2, 3], [], []]) == 1  # K2,2


def test_ordering_removes_a_crossing_the_numbering_makes():
    # 0 -> 3 and 1 -> 2: in numbering order the two edges cross
    rank = [0, 0, 1, 1]
    layers = order_layers(rank, [(0, 3), (1, 2)], 4)
    succs = [[3], [2], [], []]
    assert crossings(layers, succs) == 0


def test_place_keeps_order_and_spacing_and_centres_a_diamond():
    # 0 fans out to 1 and 2, which merge into 3: 1 and 2 either side of 0 and 3
    layers = [[0], [1, 2], [3]]
    x = place(layers, [100.0] * 4, [(0, 1), (0, 2), (1, 3), (2, 3)], 4)
    assert x[2] - x[1] == pytest.approx(100 + GAP_BOX)
    assert x[0] == pytest.approx((x[1] + x[2]) / 2) and x[3] == pytest.approx(x[0])
    assert min(x) - 50 == pytest.approx(0)


def test_a_chain_next_to_a_fan_stays_straight():
    # 0 -> 1 -> 2 -> 4 is a chain; 0 -> 3 -> 4 a branch: the chain must be one column
    sizes = [(120.0, 40.0)] * 5
    edges = [(0, 1), (1, 2), (2, 4), (0, 3), (3, 4)]
    placed = layout(sizes, edges)
    assert placed.x[1] == pytest.approx(placed.x[2])
    assert abs(placed.x[3] - placed.x[1]) >= 120 + GAP_BOX - 1e-6


@st.composite
def dags(draw):
    n = draw(st.integers(1, 14))
    edges = set()
    for b in range(1, n):
        for a in draw(st.lists(st.integers(0, b - 1), max_size=3)):
            edges.add((a, b))
    sizes = [
        (draw(st.sampled_from([60.0, 150.0, 220.0])), draw(st.sampled_from([30.0, 70.0])))
        for _ in range(n)
    ]
    return sizes, sorted(edges)


def _boxes(placed, sizes):
    return [
        (x - w / 2, y, x + w / 2, y + h)
        for x, y, (w, h) in zip(placed.x, placed.y, sizes, strict=True)
    ]


@settings(max_examples=60, deadline=None)
@given(dags())
def test_random_layouts_have_no_overlaps_and_routes_on_borders(case):
    sizes, edges = case
    placed = layout(sizes, edges)
    boxes = _boxes(placed, sizes)
    for i, a in enumerate(boxes):
        assert a[0] >= -1e-6 and a[2] <= placed.width + 1e-6 and a[3] <= placed.height + 1e-6
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    assert len(placed.routes) == len(edges)
    for (s, t), route in zip(edges, placed.routes, strict=True):
        (x0, y0), (x1, y1) = route[0], route[-1]
        assert y0 == pytest.approx(boxes[s][3]) and boxes[s][0] < x0 < boxes[s][2]
        assert y1 == pytest.approx(boxes[t][1]) and boxes[t][0] < x1 < boxes[t][2]
        for p, q in pairwise(route):
            assert q[1] >= p[1]  # always downwards
            _no_box_in_the_way(p, q, boxes, s, t)


def _no_box_in_the_way(p, q, boxes, s, t):
    """A vertical run crosses no box; a curve stays in a gap between layers, where no box
    is (its bounding rectangle meets boxes at most along their borders)."""
    left, right = min(p[0], q[0]), max(p[0], q[0])
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        inside_x = left < x1 - 1e-6 and right > x0 + 1e-6
        inside_y = p[1] < y1 - 1e-6 and q[1] > y0 + 1e-6
        if p[0] != q[0] or i not in (s, t):
            assert not (inside_x and inside_y), (p, q, (x0, y0, x1, y1))
    if p[0] != q[0]:
        assert q[1] - p[1] <= GAP_Y + 1e-6


def test_curve_draws_runs_as_lines_and_turns_as_curves():
    d = curve([(10.0, 0.0), (10.0, 20.0), (30.0, 60.0)])
    assert d == "M10.0,0.0 L10.0,20.0 C10.0,40.0 30.0,40.0 30.0,60.0"
