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

from math import lcm
from typing import NamedTuple

from netspec.limits import MAX_INT
from netspec.symbolic.expr import Poly
from netspec.symbolic.polynomial import where

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
    """The t >= first (sorted intervals, None = no end) where expr(r + period t) rel 0:
    a polynomial in t, known by its values at degree + 1 points."""
    degree = max(expr.degree(), 0)
    names = frozenset({name}) if isinstance(name, str) else name
    values = [expr.at(dict.fromkeys(names, r + period * (first + k))) for k in range(degree + 1)]
    return where(values, rel, first)
