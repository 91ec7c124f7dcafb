"""Pieces of spec text: a stage as a call (`conv(64, 3, stride=2)`), a merge with its
branches, and chains broken into lines of at most WIDTH characters.

Assumes the records of netspec/frontends/imported.py and plan.py. Guarantees text the
language parses (numbers, booleans, lists and names as the spec writes them; an
argument naming a tensor, `tied=words`, by the tensor's name in the spec), a line
never broken inside `conv bn relu` where it fits, and nothing else: which statements
there are, and their names, is emit.py's business.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from netspec.frontends.imported import Imported, Stage, Symbol, TensorName, Value
from netspec.frontends.plan import Unit
from netspec.ops import REGISTRY

WIDTH = 100  # the longest line written, where a chain can be split
INDENT = "    "
# docs/language.md §2.3: reserved words, never names
FOLLOWERS = frozenset(("bn", "relu", "relu6", "sigmoid", "silu", "gelu", "tanh", "hardswish"))
# how a branch's item that is not a unit is written, at an indent (emit.py knows the blocks)
Other = Callable[[Any, str], str] | None


def wrapped(pieces: list[str], indent: int, lead: int = 0) -> list[str]:
    """The pieces joined into lines of at most WIDTH after `indent` (a branch merge over
    several lines stands alone); the last line leaves room for `lead` (`name = `)."""
    groups: list[list[str]] = [[]]
    for piece in pieces:
        current = groups[-1]
        fits = indent + len(" ".join([*current, piece])) <= WIDTH
        if current and ("\n" in piece or "\n" in current[-1]):
            groups.append([])
        elif current and not fits:
            groups.append(_carried(current, piece, indent))
        groups[-1].append(piece)
    # the name goes in front of the last line: move its first piece up if it overflows
    while len(groups[-1]) > 1 and indent + lead + len(" ".join(groups[-1])) > WIDTH:
        groups.insert(-1, [groups[-1].pop(0)])
    return [" ".join(group) for group in groups]


def _carried(line: list[str], piece: str, indent: int) -> list[str]:
    """What of a full line goes on to the next with `piece`: where `piece` finishes the
    stages before it (a bn, an activation), those from the last that does not, so that
    `conv bn relu` stays on one line where it fits (taken off `line`)."""
    if _op(piece) not in FOLLOWERS:
        return []
    k = len(line) - 1
    while k > 0 and _op(line[k]) in FOLLOWERS:
        k -= 1
    if k == 0 or indent + len(" ".join([*line[k:], piece])) > WIDTH:
        return []
    carried = line[k:]
    del line[k:]
    return carried


def _op(piece: str) -> str:
    return piece.split("(")[0].split(" ")[0]


def unit_text(
    imported: Imported, unit: Unit, names: dict[str, str], indent: str, other: Other = None
) -> str:
    """The unit as a call; a merge with branches on one line where it fits, else one
    branch after another under it. A branch's items other than units (a block's call, a
    repeat: blocks_given.py) are `other`'s text, given the branch's indent."""
    stage = imported.stages[unit.stage]
    if unit.branches is None:
        # a merge names its other inputs; any other op names them by keyword
        # (`attention(2, memory=enc)`, a TensorName)
        others = [names[t] for t in stage.inputs[1:]] if REGISTRY[stage.op].merge else []
        return stage_call(stage.op, others + _args(stage), _kwargs(stage, names))
    head = stage_call(stage.op, [], _kwargs(stage, names))
    inner = indent + INDENT
    bodies = [
        [
            unit_text(imported, u, names, inner, other) if isinstance(u, Unit) else other(u, inner)
            for u in b
        ]
        for b in unit.branches
    ]
    flat = [" ".join(body) for body in bodies]
    one = f"{head} {{ {' | '.join(flat).strip()} }}"
    if len(indent) + len(one) <= WIDTH and not any("\n" in b for b in flat):
        return one
    out = [f"{head} {{"]
    for k, body in enumerate(bodies):
        groups = wrapped(body, len(indent) + len(INDENT)) if body else []
        rows = [indent + INDENT + g for g in groups]
        if k:
            bar = indent + "  |"
            rows = [bar + (" " + rows[0].lstrip() if rows else ""), *rows[1:]]
        out += rows
    return "\n".join([*out, indent + "}"])


def _args(stage: Stage) -> list[str]:
    """Positional arguments, except a merge's: its positionals are the names of its
    inputs, so its own arguments go by keyword (see _kwargs)."""
    if REGISTRY[stage.op].merge:
        return []
    return [value_text(v) for v in stage.args]


def _kwargs(stage: Stage, names: dict[str, str]) -> list[str]:
    """Keyword arguments; one that names a tensor (`tied=words`) by the spec's name."""
    kwargs = list(stage.kwargs)
    if REGISTRY[stage.op].merge and stage.args:
        params = [p.name for p in REGISTRY[stage.op].params]
        kwargs = list(zip(params, stage.args, strict=False)) + kwargs
    return [
        f"{key}={names.get(v, v) if isinstance(v, TensorName) else value_text(v)}"
        for key, v in kwargs
    ]


def stage_call(op: str, args: list[str], kwargs: list[str]) -> str:
    every = args + kwargs
    return f"{op}({', '.join(every)})" if every else op


def value_text(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, Symbol):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} cannot be written in a spec (no literal for it)")
        return re.sub(r"e([+-])0(\d)", r"e\1\2", repr(v))  # 1e-06 as 1e-6
    if isinstance(v, str):
        return f"'{v}'" if '"' in v else f'"{v}"'
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    if hasattr(v, "item"):  # a numpy scalar
        return value_text(v.item())
    raise ValueError(f"{v!r} ({type(v).__name__}) cannot be written as a spec argument")
