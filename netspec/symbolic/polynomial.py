"""Where an integer-valued polynomial is negative, zero or positive, exactly.

A polynomial is given by its values at first, first + 1, ..., first + degree (Newton's
forward differences give its coefficients, as Fractions). Assumes integer points t >=
first. Guarantees the exact set of t where `p(t) rel 0` (rel '==', '<' or '<=') as
sorted intervals: closed form for degree <= 1; above, the points are split where the
forward difference p(t + 1) - p(t) changes sign (found the same way, one degree lower)
and each monotone run is searched by bisection, up to Cauchy's root bound, past which
the sign is the leading coefficient's. O(degree^2 log bound) evaluations.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb, factorial

Intervals = list[tuple[int, int | None]]  # sorted, disjoint; None: no end


def where(values: list[int], rel: str, first: int) -> Intervals:
    """The t >= first where the polynomial through (first + k, values[k]) rel 0."""
    coeffs = _trimmed(_newton_to_power(values, first))
    if len(coeffs) <= 2:
        return _linear(coeffs[0], coeffs[1] if len(coeffs) == 2 else Fraction(0), rel, first)
    # no real root lies beyond Cauchy's bound: past it the sign is the leading term's
    last = max(first, int(1 + max(abs(c / coeffs[-1]) for c in coeffs[:-1])) + 1)
    found = solve(coeffs, rel, first, last)
    if holds(coeffs[-1], rel):
        found.append((last + 1, None))
    return _joined(found)


def _trimmed(coeffs: list[Fraction]) -> list[Fraction]:
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs = coeffs[:-1]
    return coeffs


def value(coeffs: list[Fraction], t: int) -> Fraction:
    v = Fraction(0)
    for c in reversed(coeffs):
        v = v * t + c
    return v


def solve(coeffs: list[Fraction], rel: str, lo: int, hi: int) -> list[tuple[int, int | None]]:
    """The integers t in lo..hi where the polynomial rel 0, as sorted intervals: split
    lo..hi where the forward difference p(t+1) - p(t) changes sign (found the same way,
    one degree lower), then search each monotone run by bisection."""
    coeffs = _trimmed(coeffs)
    if lo > hi:
        return []
    if len(coeffs) <= 2:
        found = _linear(coeffs[0], coeffs[1] if len(coeffs) == 2 else Fraction(0), rel, lo)
        return [(a, hi if b is None else min(b, hi)) for a, b in found if a <= hi]
    falling = solve(_difference(coeffs), "<", lo, hi - 1)
    cuts = sorted({lo, hi, *(c for a, b in falling for c in (a, b + 1) if lo <= c <= hi)})
    found: list[tuple[int, int | None]] = []
    for u, v in zip(cuts, cuts[1:], strict=False) if len(cuts) > 1 else [(lo, hi)]:
        down = any(a <= u <= b for a, b in falling)
        found.extend(_monotone(coeffs, rel, u, v, down))
    return _union(found)


def _monotone(coeffs, rel, u: int, v: int, down: bool) -> list[tuple[int, int]]:
    """Where p rel 0 on u..v, p monotone there (falling when `down`)."""
    at = (lambda t: value(coeffs, u + v - t)) if down else (lambda t: value(coeffs, t))
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


def holds(v, rel: str) -> bool:
    return v == 0 if rel == "==" else (v < 0 if rel == "<" else v <= 0)


def _linear(c0: Fraction, c1: Fraction, rel: str, first: int) -> list[tuple[int, int | None]]:
    """t >= first with c0 + c1 t rel 0."""
    if c1 == 0:
        return [(first, None)] if holds(c0, rel) else []
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
