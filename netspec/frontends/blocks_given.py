"""Blocks given by the source: one block per function of an ONNX model's local functions
(`netspec export --functions`), each call node a call, instead of blocks.py's search.

Each stage's `scope` names the calls it lay in (function, call path). A call's stages are
located as a run of items in one statement (the calls inside it already made calls), and
the calls of one function become one block, named after the function (`basic_2`, the
exporter's second variant of `basic`, is `basic` again where its body has the same shape
up to numbers as the first's; else a block of its own). Its parameters are the numbers
that differ between its calls (blocks_shape.py: the exporter writes no function
attributes), and consecutive equal calls, in a block's body or in a statement, a repeat.

Assumes plan.py's lines and stages whose scopes, where given, nest (elaboration order
keeps a call's stages together). Guarantees a :class:`Blocked` as blocks.py's is, or
None where no call could be made (the caller then searches instead). A call whose
stages are not a run of items of one statement (a call inside a merge's branch: the
branch holds stages only) or whose body would read a tensor by name (but a learned
tensor it declares) stays written out; the calls around it are still calls.
"""

from __future__ import annotations

import re

from netspec.frontends.blocks import Blocked, _repeats
from netspec.frontends.blocks_learned import declares, reads
from netspec.frontends.blocks_shape import RESERVED, Block, Call, Item, Repeat, build, item_key
from netspec.frontends.imported import Imported
from netspec.frontends.plan import Line, Unit, learned
from netspec.ops import REGISTRY


def given_blocks(imported: Imported, found: list[Line], taken=frozenset()) -> Blocked | None:
    """The blocks the stages' scopes give, or None where they do not fit the statements."""
    calls = _calls(imported)
    if not calls:
        return None
    seqs: list[list[Item]] = [list(line.units) for line in found]
    blocks: list[Block] = []
    names = set(taken) | set(REGISTRY) | set(RESERVED)
    for height in sorted({h for _, _, h in calls.values()}):
        done: list[tuple[int, int, int, Call]] = []
        groups: dict[tuple, list[tuple[int, int, int, list[Item]]]] = {}
        for function, stages, h in calls.values():
            if h != height:
                continue
            where = _locate(seqs, stages)
            if where is None:  # inside a merge's branch, or straddling one: written out
                continue
            s, i, n = where
            window = _repeats(seqs[s][i : i + n])
            if _by_name(imported, window):
                continue  # a body reading a tensor by name: written out
            key = (_clean(function), tuple(item_key(imported, it) for it in window))
            groups.setdefault(key, []).append((s, i, n, window))
        for key, found_ in groups.items():
            windows = [w for _, _, _, w in found_]
            block, made = build(imported, blocks, windows, names, len(blocks))
            name = _fresh(key[0], names)
            names.add(name)
            blocks.append(block._replace(name=name))
            done += [(s, i, n, call) for (s, i, n, _), call in zip(found_, made, strict=True)]
        for s, i, n, call in sorted(done, key=lambda d: (d[0], d[1]), reverse=True):
            seqs[s][i : i + n] = [call]
    return Blocked(blocks, [_repeats(seq) for seq in seqs]) if blocks else None


def _calls(imported: Imported) -> dict[str, tuple[str, frozenset[int], int]]:
    """Each call path: its function, its stages, and its height (1: it calls no block)."""
    stages: dict[str, set[int]] = {}
    function: dict[str, str] = {}
    for k, stage in enumerate(imported.stages):
        for name, path in stage.scope:
            stages.setdefault(path, set()).add(k)
            function[path] = name
    height: dict[str, int] = {}
    for stage in imported.stages:
        for up, (_, path) in enumerate(reversed(stage.scope), 1):
            height[path] = max(height.get(path, 0), up)
    return {p: (function[p], frozenset(stages[p]), height[p]) for p in stages}


def _by_name(imported: Imported, window: list[Item]) -> bool:
    """Whether a unit of `window` reads a computed tensor besides its stream, or a learned
    tensor (`param`) the window does not declare."""
    params = learned(imported)
    declared = {u.output for u in window if declares(imported, u)}
    for u in window:
        if not isinstance(u, Unit) or declares(imported, u):
            continue
        if sum(1 for t in u.inputs if t not in params) != 1:
            return True
        if not set(reads(imported, u, params)) <= declared:
            return True
    return False


def _locate(seqs: list[list[Item]], stages: frozenset[int]) -> tuple[int, int, int] | None:
    """(statement, start, length) of the items that hold exactly `stages`, or None."""
    for s, seq in enumerate(seqs):
        inside = [i for i, item in enumerate(seq) if _covered(item) & stages]
        if not inside:
            continue
        lo, hi = inside[0], inside[-1] + 1
        held = set().union(*(_covered(item) for item in seq[lo:hi]))
        return (s, lo, hi - lo) if held == stages else None
    return None


def _covered(item: Item) -> set[int]:
    if isinstance(item, Repeat):
        return set(item.call.stages)
    if isinstance(item, Call):
        return set(item.stages)
    out = {item.stage}
    for branch in item.branches or ():
        for inner in branch:
            out |= _covered(inner)
    return out


def _clean(function: str) -> str:
    """The block a function stands for: `basic_2` (an exporter's second variant) is
    `basic`; anything else made an identifier."""
    text = re.sub(r"_\d+$", "", function)
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return text if text and not text[0].isdigit() else f"block_{text}"


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    return name
