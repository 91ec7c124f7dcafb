"""Sizes as exact formulas of named input sizes: integer polynomials over floor atoms.

A formula is a sum of integer multiples of monomials; a monomial is a product of atoms,
each a name (`H`) or a floor division of a formula by a positive integer
(`floor((H - 1) / 2)`). That is enough for every size the convolution arithmetic makes
(floor and ceil divisions, strides, transposed strides, concatenation) and for the costs
computed from them (products of sizes).

Assumes names stand for integers. Guarantees exact arithmetic and evaluation, and one
written form per formula built the same way: a floor keeps its name terms' coefficients
in [0, m) and its constant as computed (so `floor((H - 11) / 4) + 1`, the textbook form,
stays as written), and a floor of a floor plus integers merges into one
(`floor((floor(E / a) + F) / b) = floor((E + aF) / ab)`, exact for integer F).
Deciding that two formulas are equal for every size is not done here (see
netspec.symbolic.sets, which decides it per residue class).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm

Atom = str  # a name; floors are Floor instances
Mono = tuple  # ((atom, power), ...) sorted by atom key; () is the constant monomial


@dataclass(frozen=True, slots=True)
class Floor:
    """floor(num / den), den >= 2."""

    num: Poly
    den: int

    def __str__(self) -> str:
        return f"floor({_wrapped(self.num)} / {self.den})"


def _key(atom: Atom | Floor) -> tuple[int, str]:
    return (0, atom) if isinstance(atom, str) else (1, str(atom))


@dataclass(frozen=True, slots=True)
class Poly:
    """sum of coeff * monomial: ((mono, coeff), ...), no zero coefficients, sorted."""

    terms: tuple[tuple[Mono, int], ...] = ()

    # --- building ------------------------------------------------------------------
    @staticmethod
    def const(c: int) -> Poly:
        return Poly((((), c),)) if c else Poly()

    @staticmethod
    def name(name: str) -> Poly:
        return Poly(((((name, 1),), 1),))

    @staticmethod
    def _of(table: dict[Mono, int]) -> Poly:
        items = [(m, c) for m, c in table.items() if c]
        items.sort(key=lambda mc: (-_degree(mc[0]), [(_key(a), p) for a, p in mc[0]]))
        return Poly(tuple(items))

    def __add__(self, other: Poly) -> Poly:
        table = dict(self.terms)
        for mono, c in other.terms:
            table[mono] = table.get(mono, 0) + c
        return Poly._of(table)

    def __neg__(self) -> Poly:
        return Poly(tuple((m, -c) for m, c in self.terms))

    def __sub__(self, other: Poly) -> Poly:
        return self + (-other)

    def scale(self, k: int) -> Poly:
        return Poly(tuple((m, c * k) for m, c in self.terms)) if k else Poly()

    def __mul__(self, other: Poly) -> Poly:
        table: dict[Mono, int] = {}
        for m1, c1 in self.terms:
            for m2, c2 in other.terms:
                mono = _mono_mul(m1, m2)
                table[mono] = table.get(mono, 0) + c1 * c2
        return Poly._of(table)

    def floordiv(self, m: int) -> Poly:
        """floor(self / m) for an integer m != 0, simplified where that is exact."""
        if m < 0:
            return (-self).floordiv(-m)
        if m == 1:
            return self
        outside: dict[Mono, int] = {}
        inside: dict[Mono, int] = {}
        for mono, c in self.terms:
            # the constant stays, floor((H - 11) / 4), unless m divides it
            q = (c // m if c % m == 0 else 0) if mono == () else c // m
            outside[mono], inside[mono] = q, c - q * m
        rest = Poly._of(inside)
        if rest.is_const():  # a constant in (-m, 0] floors to 0 or -1
            return Poly._of(outside) + Poly.const(rest.constant() // m)
        return Poly._of(outside) + _floor_of(rest, m)

    def exact_div(self, other: Poly) -> Poly | None:
        """self / other when other is one term (c * monomial) dividing every term of
        self exactly (a reshape's 24 * T / (6 * T) = 4); else None."""
        if len(other.terms) != 1:
            return None
        [(mono, c)] = other.terms
        powers = dict(mono)
        out: dict[Mono, int] = {}
        for m, k in self.terms:
            have = dict(m)
            if k % c or any(have.get(a, 0) < p for a, p in powers.items()):
                return None
            rest = {a: p - powers.get(a, 0) for a, p in have.items() if p - powers.get(a, 0)}
            out[tuple(sorted(rest.items(), key=lambda ap: _key(ap[0])))] = k // c
        return Poly._of(out)

    # --- reading -------------------------------------------------------------------
    def is_const(self) -> bool:
        return all(m == () for m, _ in self.terms)

    def constant(self) -> int:
        return dict(self.terms).get((), 0)

    def names(self) -> frozenset[str]:
        found: set[str] = set()
        for mono, _ in self.terms:
            for atom, _p in mono:
                found |= {atom} if isinstance(atom, str) else atom.num.names()
        return frozenset(found)

    def degree(self) -> int:
        """Degree in the names, a floor counting as its formula's degree."""
        return max((_degree(m) for m, _ in self.terms), default=0)

    def period(self) -> int:
        """A period of self minus its linear trend in every name: shifting any name by
        this leaves every floor's remainder unchanged (the product of floor divisors)."""
        p = 1
        for mono, _ in self.terms:
            for atom, _p in mono:
                if isinstance(atom, Floor):
                    p = lcm(p, atom.den * atom.num.period())
        return p

    def at(self, env: dict[str, int]) -> int:
        """The exact value with every name given."""
        total = 0
        for mono, c in self.terms:
            v = c
            for atom, p in mono:
                v *= (env[atom] if isinstance(atom, str) else atom.num.at(env) // atom.den) ** p
            total += v
        return total

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        out = ""
        for i, (mono, c) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            body = _mono_text(mono, abs(c))
            out += (f"-{body}" if c < 0 else body) if i == 0 else f" {sign} {body}"
        return out


def _degree(mono: Mono) -> int:
    return sum(p * (1 if isinstance(a, str) else max(a.num.degree(), 1)) for a, p in mono)


def _mono_mul(m1: Mono, m2: Mono) -> Mono:
    powers = dict(m1)
    for atom, p in m2:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items(), key=lambda ap: _key(ap[0])))


def _floor_of(rest: Poly, m: int) -> Poly:
    """floor(rest / m); a floor inside with coefficient 1 merges with this one."""
    for mono, c in rest.terms:
        if c == 1 and len(mono) == 1 and isinstance(mono[0][0], Floor) and mono[0][1] == 1:
            inner: Floor = mono[0][0]
            others = rest - Poly(((mono, 1),))
            return (inner.num + others.scale(inner.den)).floordiv(inner.den * m)
    return Poly(((((Floor(rest, m), 1),), 1),))


def _mono_text(mono: Mono, c: int) -> str:
    factors = [str(a) if p == 1 else f"{a}^{p}" for a, p in mono]
    if not factors:
        return str(c)
    return " * ".join(([str(c)] if c != 1 else []) + factors)


def _wrapped(p: Poly) -> str:
    text = str(p)
    return f"({text})" if len(p.terms) > 1 or text.startswith("-") else text
