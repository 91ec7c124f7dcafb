"""Sets of input sizes written for people: `227-230`, `32-262144 step 32`, `from 605396`.

Assumes a SizeSet (netspec.symbolic.sets). Guarantees a short exact text: each piece as
a range, a range with a step (one residue), or a range with its residues; a piece that
runs to the largest size as `from N`; and :func:`pattern`, the period and residues
that hold over the longest stretch, as `netspec sizes` prints them; :func:`nearest`, the
members nearest a size.
"""

from __future__ import annotations

from netspec.symbolic.sets import TOP, Piece, SizeSet


def describe(sizes: SizeSet) -> str:
    """Every piece, in order: `1-10, 231-428086`; 'none' for the empty set."""
    return ", ".join(_piece(p) for p in sizes.pieces) or "none"


def pattern(sizes: SizeSet) -> tuple[int, tuple[int, ...], Piece] | None:
    """The period, residues and piece of the longest stretch with a period above 1."""
    periodic = [p for p in sizes.pieces if p.period > 1]
    if not periodic:
        return None
    p = max(periodic, key=lambda q: q.hi - q.lo)
    return p.period, tuple(sorted(p.residues)), p


def nearest(sizes: SizeSet, target: int) -> list[int]:
    """The accepted sizes at the smallest distance from target (one or two)."""
    found = sizes.nearest(target, 2)
    if len(found) == 2 and abs(found[1] - target) != abs(found[0] - target):
        found = found[:1]
    return sorted(found)


def _piece(p: Piece) -> str:
    end = "" if p.hi >= TOP else str(p.hi)
    if p.period == 1:
        if p.lo == p.hi:
            return str(p.lo)
        return f"{p.lo}-{end}" if end else f"from {p.lo}"
    first = next(s for s in range(p.lo, p.lo + p.period) if s % p.period in p.residues)
    if end and len(p.residues) == 1:  # the last member, not the range's end
        end = str(next(s for s in range(p.hi, p.hi - p.period, -1) if s % p.period in p.residues))
    span = f"{first}-{end}" if end else f"from {first}"
    if len(p.residues) == 1:
        return f"{span} step {p.period}"
    if len(p.residues) == p.period - 1:
        missing = next(r for r in range(p.period) if r not in p.residues)
        return f"{span} except {_residue(missing, p.period)}"
    shown = ", ".join(str(r) for r in sorted(p.residues))
    return f"{span} with s mod {p.period} in {{{shown}}}"


def _residue(r: int, period: int) -> str:
    return f"multiples of {period}" if r == 0 else f"s = {r} mod {period}"
