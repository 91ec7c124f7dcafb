"""Which table columns fit a width, and the op column wrapped to its share of it.

Assumes the cell widths of every column (heading included) and the op texts of the
rows. Guarantees name, output shape and params are always kept; the others are kept in
the order of :data:`STEPS` while the table still fits: the op column at least
:data:`OP_MIN` characters wide, then the cost, then the op column up to
:data:`OP_WIDE`, then activations, receptive field, share and connections; what is left
over widens the op column up to its longest text. The op column breaks only between
its parts (where ` · ` joined them), and inside a part only after a comma, so no shape,
number or layer name is ever split across lines.
"""

from __future__ import annotations

import re
from typing import NamedTuple

OP_MIN = 18  # below this, a call such as `stage(width=64,` no longer fits one line
OP_WIDE = 40  # the op column gets this much before the less-read columns come in
STEPS = ("op", "cost", "op+", "memory", "rf", "share", "connections")
ALWAYS = ("shape", "params")


class Fit(NamedTuple):
    """The columns kept (in the order asked), the op column's width (None: left out),
    the table's width, and the columns left out (in the order asked)."""

    columns: list[str]
    op: int | None
    width: int
    omitted: list[str]


def _pieces(item: str) -> list[str]:
    """A part of an op text split after its commas: `stage(width=64,`, `blocks=3,`, ..."""
    words = item.split(", ")
    return [w + "," for w in words[:-1]] + [words[-1]]


def op_floor(texts: list[str]) -> int:
    """The narrowest op column that breaks no piece: its longest piece."""
    longest = max((len(p) for t in texts for i in t.split(" · ") for p in _pieces(i)), default=1)
    natural = max((len(t) for t in texts), default=1)
    return min(natural, max(longest, OP_MIN))


def choose(widths: dict[str, int], columns: list[str], ops: list[str], width: int) -> Fit:
    """Keep columns in the order of STEPS while the table fits `width`."""
    natural = max((len(t) for t in ops), default=1)
    floor = op_floor(ops)
    kept = [c for c in columns if c in ALWAYS]
    total = 1 + (widths["name"] + 3) + sum(widths[c] + 3 for c in kept)
    op = None
    for step in STEPS:
        if step == "op":
            extra, grown = floor + 3, floor
        elif step == "op+":
            grown = max(floor, min(natural, OP_WIDE)) if op else None
            extra = grown - op if op and grown else 0
        elif step in columns:
            extra, grown = widths[step] + 3, op
        else:
            continue
        if total + extra > width:
            break
        total += extra
        if step.startswith("op"):
            op = grown
        else:
            kept.append(step)
    if op is not None:
        grow = min(natural - op, width - total)
        op, total = op + max(grow, 0), total + max(grow, 0)
    shown = [c for c in columns if c in kept]
    return Fit(shown, op, total, [c for c in columns if c not in kept])


def wrap_op(text: str, width: int) -> str:
    """`text` in lines of at most `width` characters (but for a piece longer than that),
    broken between its parts, where the ` · ` is dropped, or inside a part longer than a
    line, after a comma."""
    lines: list[str] = []
    line = ""
    for item in text.split(" · "):
        joined = f"{line} · {item}" if line else item
        if len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for piece in _pieces(item):
            joined = f"{line} {piece}" if line else piece
            if line and len(joined) > width:
                lines.append(line)
                joined = piece
            line = joined
    lines.append(line)
    return "\n".join(lines)


def fold_lines(lines: list[str], width: int, indent: int = 33) -> list[str]:
    """Lines longer than `width` broken between words, never inside a `[...]` shape,
    continued under column `indent` (4 where that leaves too little room)."""
    out: list[str] = []
    indent = indent if width - indent >= 24 else 4
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        current = ""
        for word in _WORD.findall(line):  # each with the spaces before it
            if current.strip() and len(current + word) > width:
                out.append(current)
                current = " " * indent + word.lstrip()
            else:
                current += word
        out.append(current)
    return out


_WORD = re.compile(r"\s*(?:\[[^\]]*\]|[^\s\[])+")
