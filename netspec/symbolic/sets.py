"""Exact sets of input sizes: finitely many pieces, each a range with a period.

A :class:`SizeSet` is a union of disjoint pieces `{s : lo <= s <= hi, s mod period in
residues}` of the sizes 1..MAX_INT. The set of sizes on which one guard keeps its
outcome is such a set, and so are their unions, intersections and complements: that is
why the accepted sizes of a network are "finitely many exceptions, then a period".

Assumes guards whose formula has one name (the size being varied). Guarantees exact
answers: on a residue class of the formula's period, its value is a polynomial in the
class's index (every floor is affine there), so a linear guard is solved in closed form
and a higher-degree one is evaluated up to its Cauchy root bound, past which its sign
is its leading coefficient's. Raises :class:`Unsupported` where that bound is too far
to evaluate, or the formula has other names.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb, factorial, lcm
from typing import NamedTuple

from netspec.limits import MAX_INT
from netspec.symbolic.expr import Poly

TOP = MAX_INT  # the largest size: above any a spec can write
MAX_PERIOD = 4096  # a longer period (many strides of 3, 5, 7 ...) is not analysed


class Unsupported(Exception):
    """A guard this module cannot turn into a set exactly."""


class Piece(NamedTuple):
    lo: int
    hi: int
    period: int
    residues: frozenset[int]

    def has(self, s: int) -> bool:
        return self.lo <= s <= self.hi and s % self.period in self.residues


class SizeSet:
    """An exact set of sizes in 1..TOP."""

    def __init__(self, pieces: tuple[Piece, ...] = ()):
        self.pieces = pieces

    @staticmethod
    def all(lo: int = 1, hi: int = TOP) -> SizeSet:
        return SizeSet((Piece(lo, hi, 1, frozenset({0})),)) if lo <= hi else SizeSet()

    def __contains__(self, s: int) -> bool:
        return any(p.has(s) for p in self.pieces)

    def __or__(self, other: SizeSet) -> SizeSet:
        return _combine(self, other, lambda a, b: a or b)

    def __and__(self, other: SizeSet) -> SizeSet:
        return _combine(self, other, lambda a, b: a and b)

    def __sub__(self, other: SizeSet) -> SizeSet:
        return _combine(self, other, lambda a, b: a and not b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SizeSet) and self.pieces == other.pieces

    def __hash__(self) -> int:
        return hash(self.pieces)

    def count(self) -> int | None:
        """How many sizes the set has; None when it reaches the largest size."""
        total = 0
        for p in self.pieces:
            if p.hi >= TOP:
                return None
            full, rest = divmod(p.hi - p.lo + 1, p.period)
            total += full * len(p.residues)
            total += sum(1 for s in range(p.hi - rest + 1, p.hi + 1) if s % p.period in p.residues)
        return total

    def is_empty(self) -> bool:
        return not self.pieces

    def smallest(self, at_least: int = 1) -> int | None:
        for p in self.pieces:
            if p.hi < at_least:
                continue
            start = max(p.lo, at_least)
            for s in range(start, min(p.hi, start + p.period - 1) + 1):
                if s % p.period in p.residues:
                    return s
        return None

    def members(self, lo: int, hi: int) -> list[int]:
        """The members in lo..hi, in order."""
        return [s for s in range(lo, hi + 1) if s in self]

    def nearest(self, target: int, count: int = 2) -> list[int]:
        """Up to `count` members nearest to `target`, nearest first (below first on a
        tie): each piece's members nearest to target lie within a period of it."""
        candidates: set[int] = set()
        for p in self.pieces:
            middle = min(max(target, p.lo), p.hi)
            reach = p.period * (count + 1)
            candidates.update(
                s
                for s in range(max(p.lo, middle - reach), min(p.hi, middle + reach) + 1)
                if p.has(s)
            )
        return sorted(candidates, key=lambda s: (abs(s - target), s))[:count]


def _combine(a: SizeSet, b: SizeSet, keep) -> SizeSet:
    cuts = sorted({1, TOP + 1, *(c for p in a.pieces + b.pieces for c in (p.lo, p.hi + 1))})
    pieces: list[Piece] = []
    for lo, nxt in zip(cuts, cuts[1:], strict=False):
        pa, pb = _covering(a, lo), _covering(b, lo)
        period = _period(lcm(pa.period if pa else 1, pb.period if pb else 1))
        residues = frozenset(
            r
            for r in range(period)
            if keep(
                bool(pa and r % pa.period in pa.residues), bool(pb and r % pb.period in pb.residues)
            )
        )
        pieces.extend(_normal(Piece(lo, nxt - 1, period, residues)))
    return SizeSet(_merged(pieces))


def _period(period: int) -> int:
    if period > MAX_PERIOD:
        raise Unsupported(f"a period of {period:,} sizes, more than {MAX_PERIOD:,}")
    return period


def _covering(s: SizeSet, x: int) -> Piece | None:
    for p in s.pieces:
        if p.lo <= x <= p.hi:
            return p
    return None


def _normal(p: Piece) -> list[Piece]:
    """The same sizes with the smallest period; a piece no longer than its period as
    runs of consecutive sizes."""
    if not p.residues:
        return []
    if p.hi - p.lo < p.period:
        members = [s for s in range(p.lo, p.hi + 1) if s % p.period in p.residues]
        runs: list[Piece] = []
        for s in members:
            if runs and runs[-1].hi == s - 1:
                runs[-1] = runs[-1]._replace(hi=s)
            else:
                runs.append(Piece(s, s, 1, frozenset({0})))
        return runs
    for d in range(1, p.period + 1):
        if p.period % d == 0:
            small = frozenset(r % d for r in p.residues)
            if all((r % d in small) == (r in p.residues) for r in range(p.period)):
                return [Piece(p.lo, p.hi, d, small)]
    return [p]


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Adjacent pieces joined where one rule describes both (a short piece whose sizes
    follow its neighbour's period: 32, then 64, 96, ... is one progression)."""
    out: list[Piece] = []
    for p in pieces:
        last = out[-1] if out else None
        if last and last.hi + 1 == p.lo:
            for rule in (p, last):
                joined = rule._replace(lo=last.lo, hi=p.hi)
                if _follows(last, joined) and _follows(p, joined):
                    out[-1] = joined
                    break
            else:
                out.append(p)
        else:
            out.append(p)
    return tuple(out)


def _follows(part: Piece, rule: Piece) -> bool:
    """Whether `rule` has exactly the sizes of `part` within part's range."""
    if (part.period, part.residues) == (rule.period, rule.residues):
        return True
    if part.hi - part.lo > 4 * max(part.period, rule.period):
        p = lcm(part.period, rule.period)
        return all(
            ((r % part.period) in part.residues) == ((r % rule.period) in rule.residues)
            for r in range(p)
        )
    return all(part.has(s) == rule.has(s) for s in range(part.lo, part.hi + 1))


# --- one guard ---------------------------------------------------------------------------


def guard_set(expr: Poly, rel: str, holds: bool, name: str | frozenset[str]) -> SizeSet:
    """The sizes s (1..TOP) at which `expr(s) rel 0` is `holds`; several names are all
    set to s (a square input's H = W = s)."""
    names = frozenset({name}) if isinstance(name, str) else name
    others = expr.names() - names
    if others:
        raise Unsupported(
            f"the condition {expr} {rel} 0 couples {', '.join(sorted(names))} with "
            f"{', '.join(sorted(others))}"
        )
    period = _period(expr.period())
    runs: list[tuple[int, int, int]] = []  # (lo, hi, residue): sizes of one class
    for r in range(period):
        first = 0 if r >= 1 else 1  # sizes start at 1
        taken = _class_solutions(expr, rel, name, r, period, first)
        for t_lo, t_hi in taken if holds else _gaps(taken, first):
            lo, hi = r + period * t_lo, TOP if t_hi is None else min(TOP, r + period * t_hi)
            if lo <= hi:
                runs.append((lo, hi, r))
    return _from_runs(runs, period)


def _from_runs(runs: list[tuple[int, int, int]], period: int) -> SizeSet:
    """The union of runs {lo..hi, s = r mod period}, piece by piece between their ends."""
    cuts = sorted({c for lo, hi, _ in runs for c in (lo, hi + 1)})
    pieces: list[Piece] = []
    for lo, nxt in zip(cuts, cuts[1:], strict=False):
        residues = frozenset(r for a, b, r in runs if a <= lo <= b)
        pieces.extend(_normal(Piece(lo, nxt - 1, period, residues)))
    return SizeSet(_merged(pieces))


def _gaps(taken: list[tuple[int, int | None]], first: int) -> list[tuple[int, int | None]]:
    """The t >= first outside the sorted intervals `taken`."""
    gaps, at = [], first
    for lo, hi in taken:
        if lo > at:
            gaps.append((at, lo - 1))
        if hi is None:
            return gaps
        at = max(at, hi + 1)
    gaps.append((at, None))
    return gaps


def _class_solutions(expr, rel, name, r, period, first) -> list[tuple[int, int | None]]:
    """The t >= first (sorted intervals, None = no end) where expr(r + period t) rel 0."""
    degree = max(expr.degree(), 0)
    names = frozenset({name}) if isinstance(name, str) else name
    values = [expr.at(dict.fromkeys(names, r + period * (first + k))) for k in range(degree + 1)]
    coeffs = _trimmed(_newton_to_power(values, first))
    if len(coeffs) <= 2:
        return _linear(coeffs[0], coeffs[1] if len(coeffs) == 2 else Fraction(0), rel, first)
    # no real root lies beyond Cauchy's bound: past it the sign is the leading term's
    last = max(first, int(1 + max(abs(c / coeffs[-1]) for c in coeffs[:-1])) + 1)
    found = _solve(coeffs, rel, first, last)
    if _holds(coeffs[-1], rel):
        found.append((last + 1, None))
    return _joined(found)


def _trimmed(coeffs: list[Fraction]) -> list[Fraction]:
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs = coeffs[:-1]
    return coeffs


def _value(coeffs: list[Fraction], t: int) -> Fraction:
    v = Fraction(0)
    for c in reversed(coeffs):
        v = v * t + c
    return v


def _solve(coeffs: list[Fraction], rel: str, lo: int, hi: int) -> list[tuple[int, int | None]]:
    """The integers t in lo..hi where the polynomial rel 0, as sorted intervals: split
    lo..hi where the forward difference p(t+1) - p(t) changes sign (found the same way,
    one degree lower), then search each monotone run by bisection."""
    coeffs = _trimmed(coeffs)
    if lo > hi:
        return []
    if len(coeffs) <= 2:
        found = _linear(coeffs[0], coeffs[1] if len(coeffs) == 2 else Fraction(0), rel, lo)
        return [(a, hi if b is None else min(b, hi)) for a, b in found if a <= hi]
    falling = _solve(_difference(coeffs), "<", lo, hi - 1)
    cuts = sorted({lo, hi, *(c for a, b in falling for c in (a, b + 1) if lo <= c <= hi)})
    found: list[tuple[int, int | None]] = []
    for u, v in zip(cuts, cuts[1:], strict=False) if len(cuts) > 1 else [(lo, hi)]:
        down = any(a <= u <= b for a, b in falling)
        found.extend(_monotone(coeffs, rel, u, v, down))
    return _union(found)


def _monotone(coeffs, rel, u: int, v: int, down: bool) -> list[tuple[int, int]]:
    """Where p rel 0 on u..v, p monotone there (falling when `down`)."""
    at = (lambda t: _value(coeffs, u + v - t)) if down else (lambda t: _value(coeffs, t))
    start = _first(lambda t: at(t) >= 0, u, v)  # rising: p < 0 before, p >= 0 from here
    above = _first(lambda t: at(t) > 0, u, v)
    keep = {"<": (u, start - 1), "<=": (u, above - 1), "==": (start, above - 1)}[rel]
    a, b = keep
    if a > b:
        return []
    return [(u + v - b, u + v - a)] if down else [(a, b)]


def _first(pred, u: int, v: int) -> int:
    """The first t in u..v where a monotone pred is true (v + 1 if none)."""
    lo, hi = u, v + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _difference(coeffs: list[Fraction]) -> list[Fraction]:
    """Coefficients of p(t + 1) - p(t)."""
    out = [Fraction(0)] * len(coeffs)
    for i, c in enumerate(coeffs):
        for j in range(i):
            out[j] += c * comb(i, j)
    return _trimmed(out[:-1] or [Fraction(0)])


def _union(intervals: list[tuple[int, int]]) -> list[tuple[int, int | None]]:
    out: list[tuple[int, int | None]] = []
    for lo, hi in sorted(intervals):
        if out and out[-1][1] >= lo - 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _holds(v, rel: str) -> bool:
    return v == 0 if rel == "==" else (v < 0 if rel == "<" else v <= 0)


def _linear(c0: Fraction, c1: Fraction, rel: str, first: int) -> list[tuple[int, int | None]]:
    """t >= first with c0 + c1 t rel 0."""
    if c1 == 0:
        return [(first, None)] if _holds(c0, rel) else []
    root = -c0 / c1
    if rel == "==":
        t = int(root)
        return [(t, t)] if root.denominator == 1 and t >= first else []
    # c0 + c1 t < 0 (or <= 0): below the root when c1 > 0, above it when c1 < 0
    strict = rel == "<"
    if c1 > 0:
        last = _ceil(root) - 1 if strict else _floor(root)
        return [(first, last)] if last >= first else []
    start = _floor(root) + 1 if strict else _ceil(root)
    return [(max(first, start), None)]


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _joined(intervals: list[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    out: list[tuple[int, int | None]] = []
    for lo, hi in intervals:
        if out and out[-1][1] is not None and out[-1][1] + 1 == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _newton_to_power(values: list[int], first: int) -> list[Fraction]:
    """Coefficients in t of the polynomial through (first + k, values[k])."""
    diffs, row = [], [Fraction(v) for v in values]
    while row:
        diffs.append(row[0])
        row = [b - a for a, b in zip(row, row[1:], strict=False)]
    coeffs = [Fraction(0)] * len(values)
    for k, d in enumerate(diffs):  # d * C(t - first, k), expanded
        basis = [Fraction(1)]
        for j in range(k):  # multiply by (t - first - j)
            basis = [Fraction(0), *basis]
            for i in range(len(basis) - 1):
                basis[i] -= (first + j) * basis[i + 1]
        for i, b in enumerate(basis):
            coeffs[i] += d * b / factorial(k)
    return coeffs
