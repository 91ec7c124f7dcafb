"""Dumoulin & Visin's 15 relationships ("A guide to convolution arithmetic for deep
learning", arXiv:1603.07285): which one a question is an instance of, and its formula.

Relationships 1-6 are convolutions without dilation (1-4 unit strides: no padding,
zero padding, half padding, full padding; 5-6 non-unit strides), 7 pooling, 8-14 the
transposed convolutions (8-11 of unit-stride convolutions, 12-14 of strided ones, on
an input stretched by s - 1 zeros between its cells), 15 dilated convolution. Each is
stated for one axis with symmetric padding p; a transposed convolution's input is i',
its output padding a. :func:`relationship_for` picks the most specific relationship,
and each names the more general ones that also hold. Pure data and integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

SOURCE = "Dumoulin & Visin, arXiv:1603.07285"


class Axis(NamedTuple):
    """One axis of a question: i is the input (i' for a transposed convolution)."""

    i: int
    k: int
    s: int = 1
    p: int = 0
    d: int = 1
    a: int = 0  # output padding of a transposed convolution


@dataclass(frozen=True)
class Relationship:
    number: int
    name: str
    formula: str  # as the paper writes it
    numbers: str  # the formula's right side with {i} {k} {s} {p} {d} {a} to fill in
    value: Callable[[Axis], int]
    also: tuple[int, ...] = ()  # more general relationships that hold too
    condition: str = ""  # what makes it apply, as the paper states it

    def filled(self, x: Axis) -> str:
        return self.numbers.format(**x._asdict())


_T = "transposed,"
RELATIONSHIPS = {
    r.number: r
    for r in (
        Relationship(1, "no zero padding, unit strides", "o = (i - k) + 1",
                     "({i} - {k}) + 1", lambda x: x.i - x.k + 1, (2, 6), "s = 1, p = 0"),
        Relationship(2, "zero padding, unit strides", "o = (i - k) + 2p + 1",
                     "({i} - {k}) + 2·{p} + 1", lambda x: x.i - x.k + 2 * x.p + 1, (6,), "s = 1"),
        Relationship(3, "half (same) padding", "o = i", "{i}", lambda x: x.i, (2, 6),
                     "s = 1, k odd (k = 2n + 1), p = n = floor(k/2)"),
        Relationship(4, "full padding", "o = i + (k - 1)", "{i} + ({k} - 1)",
                     lambda x: x.i + x.k - 1, (2, 6), "s = 1, p = k - 1"),
        Relationship(5, "no zero padding, non-unit strides", "o = floor((i - k)/s) + 1",
                     "floor(({i} - {k})/{s}) + 1", lambda x: (x.i - x.k) // x.s + 1, (6,),
                     "p = 0"),
        Relationship(6, "zero padding, non-unit strides", "o = floor((i + 2p - k)/s) + 1",
                     "floor(({i} + 2·{p} - {k})/{s}) + 1",
                     lambda x: (x.i + 2 * x.p - x.k) // x.s + 1, (15,), "any s, p; d = 1"),
        Relationship(7, "pooling", "o = floor((i - k)/s) + 1", "floor(({i} - {k})/{s}) + 1",
                     lambda x: (x.i - x.k) // x.s + 1, (), "any pooling, no padding"),
        Relationship(8, f"{_T} no padding, unit strides", "o' = i' + (k - 1)",
                     "{i} + ({k} - 1)", lambda x: x.i + x.k - 1, (9, 14),
                     "s = 1, p = 0: k' = k, s' = 1, p' = k - 1"),
        Relationship(9, f"{_T} zero padding, unit strides", "o' = i' + (k - 1) - 2p",
                     "{i} + ({k} - 1) - 2·{p}", lambda x: x.i + x.k - 1 - 2 * x.p, (14,),
                     "s = 1: k' = k, s' = 1, p' = k - p - 1"),
        Relationship(10, f"{_T} half padding", "o' = i'", "{i}", lambda x: x.i, (9, 14),
                     "s = 1, k = 2n + 1, p = n: k' = k, s' = 1, p' = p"),
        Relationship(11, f"{_T} full padding", "o' = i' - (k - 1)", "{i} - ({k} - 1)",
                     lambda x: x.i - x.k + 1, (9, 14), "s = 1, p = k - 1: k' = k, s' = 1, p' = 0"),
        Relationship(12, f"{_T} no padding, non-unit strides", "o' = s(i' - 1) + k",
                     "{s}·({i} - 1) + {k}", lambda x: x.s * (x.i - 1) + x.k, (13, 14),
                     "p = 0, (i - k) mod s = 0: stretched input, k' = k, s' = 1, p' = k - 1"),
        Relationship(13, f"{_T} zero padding, non-unit strides", "o' = s(i' - 1) + k - 2p",
                     "{s}·({i} - 1) + {k} - 2·{p}", lambda x: x.s * (x.i - 1) + x.k - 2 * x.p,
                     (14,), "(i + 2p - k) mod s = 0: stretched input, k' = k, s' = 1, "
                     "p' = k - p - 1"),
        Relationship(14, f"{_T} zero padding, non-unit strides, any input size",
                     "o' = s(i' - 1) + a + k - 2p", "{s}·({i} - 1) + {a} + {k} - 2·{p}",
                     lambda x: x.s * (x.i - 1) + x.a + x.k - 2 * x.p, (),
                     "a = (i + 2p - k) mod s: stretched input with a extra zeros at the bottom "
                     "and right, k' = k, s' = 1, p' = k - p - 1"),
        Relationship(15, "dilated convolution", "o = floor((i + 2p - k - (k - 1)(d - 1))/s) + 1",
                     "floor(({i} + 2·{p} - {k} - ({k} - 1)·({d} - 1))/{s}) + 1",
                     lambda x: (x.i + 2 * x.p - x.k - (x.k - 1) * (x.d - 1)) // x.s + 1, (),
                     "dilation d: the kernel's effective size k̂ = k + (k - 1)(d - 1)"),
    )
}  # fmt: skip


def relationship_for(x: Axis, transposed: bool = False, pool: bool = False) -> int:
    """The number of the most specific relationship the question is an instance of.

    Pooling is 7 whatever its padding (the paper states it without; the general formula
    holds), a transposed convolution with dilation 14 with k̂ for k (the paper's 8-14 are
    undilated).
    """
    if pool:
        return 7
    if transposed:
        return _transposed(x) if x.d == 1 else 14
    if x.d > 1:
        return 15
    if x.s == 1:
        if x.p == 0:
            return 1
        if x.k % 2 == 1 and x.p == x.k // 2:
            return 3
        return 4 if x.p == x.k - 1 else 2
    return 5 if x.p == 0 else 6


def _transposed(x: Axis) -> int:
    if x.s == 1 and x.a == 0:
        if x.p == 0:
            return 8
        if x.k % 2 == 1 and x.p == x.k // 2:
            return 10
        return 11 if x.p == x.k - 1 else 9
    if x.a == 0:
        return 12 if x.p == 0 else 13
    return 14


def dilated(x: Axis) -> Axis:
    """The axis with the dilated kernel's effective size k̂ = k + (k - 1)(d - 1) as k."""
    return x._replace(k=x.k + (x.k - 1) * (x.d - 1), d=1)
