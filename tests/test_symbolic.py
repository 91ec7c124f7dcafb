"""Symbolic sizes (netspec/symbolic): formulas in their written form, a traced int that
computes exactly what the int would at every size, guards turned into exact sets, and set
algebra, each against brute force over a window of sizes.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from netspec.symbolic import polynomial, sets
from netspec.symbolic.expr import Poly
from netspec.symbolic.sets import SizeSet, guard_set
from netspec.symbolic.symint import SymInt, tracing

H = Poly.name("H")


def conv(i, k, s=1, p=0):
    return (i + 2 * p - k) // s + 1


@pytest.mark.parametrize(
    ("make", "written"),
    [
        (lambda x: conv(x, 3, 2, 1), "floor((H - 1) / 2) + 1"),
        (lambda x: conv(conv(x, 7, 2, 3), 3, 2, 1), "floor((H - 1) / 4) + 1"),
        (lambda x: conv(x, 2, 2), "floor(H / 2)"),  # the stride divides the constant
        (lambda x: -(-x // 2), "H - floor(H / 2)"),  # ceil(H / 2)
        (lambda x: (x - 1) * 2 + 2, "2 * H"),
        (
            lambda x: conv(x, 11, 4) * conv(x, 11, 4),
            "floor((H - 11) / 4)^2 + 2 * floor((H - 11) / 4) + 1",
        ),
        (lambda x: x % 4, "H - 4 * floor(H / 4)"),
    ],
)
def test_written_forms(make, written):
    assert str(make(SymInt(224, H)).expr) == written


OPS = [
    lambda a: a + 3,
    lambda a: a - 5,
    lambda a: 2 * a,
    lambda a: a // 2,
    lambda a: a // 3 + a,
    lambda a: -(-a // 4),
    lambda a: (a + 1) // 2 * 3 - a,
    lambda a: a % 5,
    lambda a: a * (a // 2),
    lambda a: abs(a - 50),
]


def test_a_traced_int_computes_what_the_int_would_at_every_size():
    rng = random.Random(7)
    for _ in range(300):
        chain = [rng.choice(OPS) for _ in range(rng.randint(1, 5))]

        def run(x, chain=chain):
            for op in chain:
                x = op(x)
            return x

        hint = rng.randint(1, 200)
        with tracing() as trace:
            traced = run(SymInt(hint, H))
        region = SizeSet.all()
        for g in trace.list():
            region = region & guard_set(g.expr, g.rel, g.holds, "H")
        formula = traced.expr if isinstance(traced, SymInt) else Poly.const(traced)
        assert hint in region
        for s in region.members(1, 400):  # where the decisions match, so does the formula
            assert formula.at({"H": s}) == run(s), (s, formula)


def test_guard_sets_against_brute_force():
    rng = random.Random(3)
    for _ in range(400):
        x = SymInt(1, H)
        for op in [rng.choice(OPS[:8]) for _ in range(rng.randint(1, 4))]:
            x = op(x)
        expr = (x - rng.randint(-20, 60)).expr if isinstance(x, SymInt) else H
        rel, holds = rng.choice(["==", "<", "<="]), rng.choice([True, False])
        got = guard_set(expr, rel, holds, "H")
        for s in range(1, 300):
            v = expr.at({"H": s})
            truth = v == 0 if rel == "==" else (v < 0 if rel == "<" else v <= 0)
            assert (s in got) == (truth == holds), (str(expr), rel, holds, s)


def test_polynomial_solving_against_brute_force():
    rng = random.Random(1)
    for _ in range(2000):
        coeffs = [Fraction(rng.randint(-50, 50)) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.3:
            coeffs[0] = Fraction(rng.randint(-(10**6), 10**6))
        rel = rng.choice(["<", "<=", "=="])
        lo = rng.randint(0, 5)
        hi = lo + rng.randint(0, 60)
        got = [t for a, b in polynomial.solve(coeffs, rel, lo, hi) for t in range(a, b + 1)]
        want = [t for t in range(lo, hi + 1) if polynomial.holds(polynomial.value(coeffs, t), rel)]
        assert got == want, (coeffs, rel, lo, hi)


def test_set_algebra_against_python_sets():
    rng = random.Random(5)

    def random_set() -> SizeSet:
        out = SizeSet()
        for _ in range(rng.randint(0, 3)):
            lo = rng.randint(1, 150)
            period = rng.choice([1, 2, 3, 4, 8])
            residues = frozenset(rng.sample(range(period), rng.randint(1, period)))
            hi = rng.choice([lo + rng.randint(0, 100), sets.TOP])
            out = out | SizeSet(tuple(sets._normal(sets.Piece(lo, hi, period, residues))))
        return out

    for _ in range(300):
        a, b = random_set(), random_set()
        sa, sb = set(a.members(1, 400)), set(b.members(1, 400))
        assert set((a | b).members(1, 400)) == sa | sb
        assert set((a & b).members(1, 400)) == sa & sb
        assert set((a - b).members(1, 400)) == sa - sb
        if sa:
            assert a.smallest() == min(sa)
            near = a.nearest(200, 1)[0]
            if near <= 400:
                assert abs(near - 200) == min(abs(s - 200) for s in sa)


def test_a_size_divided_by_a_multiple_of_itself_is_exact_not_pinned():
    """A reshape's -1: 24 * T elements over 6 * T is 4 at every T, no guard."""
    t = SymInt(8, Poly.name("T"))
    with tracing() as trace:
        assert (24 * t) // (6 * t) == 4 and (24 * t) % (6 * t) == 0
    assert not trace.pinned and not trace.list()
    with tracing() as trace:
        (24 * t) // (5 * t + 1)  # not a multiple: the size is pinned
    assert trace.pinned
