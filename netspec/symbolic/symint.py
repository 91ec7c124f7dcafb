"""A size that is an int and a formula at once, and the guards that one elaboration took.

`SymInt(224, H)` behaves as the int 224 everywhere (every op's shape rule, cost and
message runs unchanged), while its arithmetic also builds the exact formula of the
result in the input's named sizes. Every decision taken on such a value (a comparison,
`bool`, a use as an index or a float) is recorded, inside :func:`tracing`, as a
:class:`Guard`: the elaboration is the same, step for step, for every size that gives
every guard the same outcome. A decision the formulas cannot express (dividing by a
size, a float scale) pins the size: the guard says the formula equals its value.

Assumes ints are combined with `+ - * // % divmod abs` and compared (what the op
rules do); anything else is pinned, which is exact but gives up generality. Guarantees
that without an active trace a SymInt is just its value with a formula attached, and
that the numeric path never creates one (this module is imported only when sizes are
symbolic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from netspec.symbolic import TRACE
from netspec.symbolic.expr import Poly


class Guard(NamedTuple):
    """`expr rel 0` had the outcome `holds`; rel is '==', '<' or '<='."""

    expr: Poly
    rel: str
    holds: bool


class Trace:
    """The guards of one elaboration, each recorded once."""

    def __init__(self) -> None:
        self.guards: dict[tuple[Poly, str], bool] = {}
        self.pinned = False  # some size was fixed at its value (its formula was lost)

    def record(self, expr: Poly, rel: str, holds: bool) -> None:
        if expr.is_const():
            return  # a decision on numbers alone holds at every size
        self.guards.setdefault((expr, rel), holds)

    def list(self) -> list[Guard]:
        return [Guard(e, r, h) for (e, r), h in self.guards.items()]


@contextmanager
def tracing() -> Iterator[Trace]:
    """Record the guards of everything computed inside."""
    trace = Trace()
    token = TRACE.set(trace)
    try:
        yield trace
    finally:
        TRACE.reset(token)


def _record(expr: Poly, rel: str, holds: bool) -> bool:
    trace = TRACE.get()
    if trace is not None:
        trace.record(expr, rel, holds)
    return holds


def formula(x: int) -> Poly:
    """The formula of an int: its own for a SymInt, a constant otherwise."""
    return x.expr if isinstance(x, SymInt) else Poly.const(int(x))


def symbolic(hint: int, expr: Poly) -> int:
    """`hint` with the formula `expr`; a plain int where the formula is a constant."""
    return int(hint) if expr.is_const() else SymInt(hint, expr)


def _lift(x: object) -> Poly | None:
    if isinstance(x, SymInt):
        return x.expr
    if isinstance(x, int):
        return Poly.const(int(x))
    return None


class SymInt(int):
    """An int (its value at the size being traced) with its formula."""

    expr: Poly

    def __new__(cls, hint: int, expr: Poly) -> SymInt:
        obj = super().__new__(cls, hint)
        obj.expr = expr
        return obj

    @property
    def hint(self) -> int:
        return int.__index__(self)

    def pin(self) -> int:
        """The plain value, recording that the formula equals it."""
        trace = TRACE.get()
        if trace is not None:
            trace.pinned = True
        _record(self.expr - Poly.const(self.hint), "==", True)
        return self.hint

    # --- arithmetic builds formulas -------------------------------------------------
    def _binary(self, other, op, poly_op):
        rhs = _lift(other)
        if rhs is None:
            return op(self.pin(), other)  # a float or another type: pinned
        return symbolic(op(self.hint, int.__index__(other)), poly_op(self.expr, rhs))

    def __add__(self, other):
        return self._binary(other, lambda a, b: a + b, lambda a, b: a + b)

    def __radd__(self, other):
        return self._binary(other, lambda a, b: b + a, lambda a, b: b + a)

    def __sub__(self, other):
        return self._binary(other, lambda a, b: a - b, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._binary(other, lambda a, b: b - a, lambda a, b: b - a)

    def __mul__(self, other):
        return self._binary(other, lambda a, b: a * b, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._binary(other, lambda a, b: b * a, lambda a, b: b * a)

    def __floordiv__(self, other):
        if isinstance(other, SymInt):
            quotient = self.expr.exact_div(other.expr)  # 24 * T // (6 * T): exactly 4
            if quotient is not None:
                return symbolic(self.hint // other.hint, quotient)
            other = other.pin()  # a size divided by a size: not a formula of ours
        if isinstance(other, bool) or not isinstance(other, int) or other == 0:
            return self.pin() // other
        return symbolic(self.hint // other, self.expr.floordiv(int(other)))

    def __rfloordiv__(self, other):
        if isinstance(other, int) and not isinstance(other, bool):
            quotient = Poly.const(int(other)).exact_div(self.expr)
            if quotient is not None:
                return symbolic(int(other) // self.hint, quotient)
        return other // self.pin()

    def __mod__(self, other):
        if isinstance(other, SymInt):
            if self.expr.exact_div(other.expr) is not None:
                return 0  # a multiple of it at every size
            other = other.pin()
        if isinstance(other, bool) or not isinstance(other, int) or other == 0:
            return self.pin() % other
        return self - (self // other) * other

    def __rmod__(self, other):
        return other % self.pin()

    def __divmod__(self, other):
        return self // other, self % other

    def __neg__(self):
        return symbolic(-self.hint, -self.expr)

    def __pos__(self):
        return self

    def __abs__(self):
        return -self if self < 0 else self

    def __pow__(self, other, mod=None):
        if mod is None and not isinstance(other, bool) and isinstance(other, int) and other >= 0:
            other = int(other) if not isinstance(other, SymInt) else other.pin()
            result: int = 1
            for _ in range(other):
                result = result * self
            return result
        return pow(self.pin(), other, mod)

    # --- decisions are guards -------------------------------------------------------
    def _compare(self, other, rel: str, swap: bool, negate: bool = False):
        rhs = _lift(other)
        if rhs is None and not isinstance(other, float):
            return NotImplemented  # None, a string, a tuple: not a number to compare with
        if rhs is None:
            return _float_compare(self.pin(), other, rel, swap, negate)
        left, right = (rhs, self.expr) if swap else (self.expr, rhs)
        diff = left - right
        a, b = (int.__index__(other), self.hint) if swap else (self.hint, int.__index__(other))
        holds = {"==": a == b, "<": a < b, "<=": a <= b}[rel]
        _record(diff, rel, holds)
        return holds != negate

    def __eq__(self, other):
        return self._compare(other, "==", False)

    def __ne__(self, other):
        return self._compare(other, "==", False, negate=True)

    def __lt__(self, other):
        return self._compare(other, "<", False)

    def __le__(self, other):
        return self._compare(other, "<=", False)

    def __gt__(self, other):
        return self._compare(other, "<", True)

    def __ge__(self, other):
        return self._compare(other, "<=", True)

    __hash__ = int.__hash__

    def __bool__(self) -> bool:
        return self != 0

    # --- uses that need the number itself pin it -------------------------------------
    def __index__(self) -> int:
        return self.pin()

    def __int__(self) -> int:
        return self.pin()

    def __float__(self) -> float:
        return float(self.pin())

    def __truediv__(self, other):
        if isinstance(other, int) and not isinstance(other, (bool, SymInt)) and other:
            return SymRatio(self, int(other))  # pinned only once used as a number
        return self.pin() / other

    def __rtruediv__(self, other):
        return other / self.pin()

    def __round__(self, ndigits=None):
        return self if ndigits is None or ndigits >= 0 else round(self.pin(), ndigits)

    def __trunc__(self):
        return self

    def __floor__(self):
        return self

    def __ceil__(self):
        return self

    def __lshift__(self, other):
        return self.pin() << other

    def __rshift__(self, other):
        return self.pin() >> other

    def __and__(self, other):
        return self.pin() & other

    def __or__(self, other):
        return self.pin() | other

    def __xor__(self, other):
        return self.pin() ^ other

    def bit_length(self) -> int:
        return self.pin().bit_length()

    # --- shown as its formula (`floor((H - 11) / 4) + 1`): every report shows formulas --
    def __repr__(self) -> str:
        return str(self.expr)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        text = str(self.expr)
        try:  # `{:>12,}` for a number: the alignment applies, the digit grouping cannot
            return format(text, spec.replace(",", "").replace("_", "").rstrip("dn"))
        except ValueError:
            return text

    def __reduce__(self):
        return (int, (self.hint,))


class SymRatio(float):
    """A size divided by an int that may not divide it (`image.h / 4` in a checkpoint):
    the float, whose every use as a number pins the size. Shown, or asked whether it
    is whole (decided already by the divisibility guard that made it), it pins nothing.
    """

    def __new__(cls, size: SymInt, den: int) -> SymRatio:
        obj = super().__new__(cls, size.hint / den)
        obj.size, obj.den = size, den
        return obj

    def pinned(self) -> float:
        return self.size.pin() / self.den


def _pinning(name: str):
    def method(self, *args):
        return getattr(float(self.pinned()), name)(*args)

    return method


for _name in [
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__neg__",
    "__abs__",
    "__int__",
    "__round__",
    "__trunc__",
    "__floor__",
    "__ceil__",
    "__bool__",
    "__pow__",
    "__divmod__",
]:
    setattr(SymRatio, _name, _pinning(_name))
SymRatio.__hash__ = float.__hash__


def _float_compare(value: int, other, rel: str, swap: bool, negate: bool) -> bool:
    a, b = (other, value) if swap else (value, other)
    holds = {"==": a == b, "<": a < b, "<=": a <= b}[rel]
    return holds != negate
