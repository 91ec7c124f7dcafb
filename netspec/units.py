"""Readable numbers for tables: `4.09 G`, `98.0 MiB`, receptive fields as `212 /32 p90`.

Tables round; JSON and CSV always carry the exact integers. Nothing here is locale
dependent.
"""

from __future__ import annotations

from fractions import Fraction

_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def _three_digits(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def si(n: int) -> str:
    """3 significant digits with an SI prefix: 4089184256 -> '4.09 G'; below a million
    exact with thousands separators (117,600), as the course notes write them."""
    if n < 10**6:
        return f"{n:,}"
    for index, (scale, prefix) in enumerate(_SI):
        if n >= scale:
            value = float(f"{n / scale:.3g}")
            if value >= 1000 and index > 0:  # 999,999 rounds up to the next prefix
                scale, prefix = _SI[index - 1]
                value = float(f"{n / scale:.3g}")
            return f"{value:g} {prefix}" if value < 1e6 else f"{n // scale:,} {prefix}"
    return str(n)


def size(n: int) -> str:
    """Bytes in binary units: 102760448 -> '98 MiB', 1536 -> '1.5 KiB'."""
    for scale, unit in _BINARY:
        if n >= scale:
            return f"{_three_digits(n / scale)} {unit}"
    return f"{n} B"


def exact(value: Fraction) -> int | float:
    """A Fraction for JSON: an int when whole, otherwise the nearest float."""
    return value.numerator if value.denominator == 1 else float(value)


def fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(value)


def per_axis(values: tuple[Fraction, ...]) -> str:
    """One number when every axis agrees, else 'HxW' style."""
    shown = [fraction(v) for v in values]
    return shown[0] if len(set(shown)) == 1 else "x".join(shown)
