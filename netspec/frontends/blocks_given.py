"""Blocks given by the source: one block per function of an ONNX model's local functions
(`netspec export --functions`), each call node a call, instead of blocks.py's search.

Each stage's `scope` names the calls it lay in (function, call path). A call's stages are
located as a run of items in one statement (the calls inside it already made calls), and
the calls of one function become one block, named after the function (`basic_2`, the
exporter's second variant of `basic`, is `basic` again where its body has the same shape
up to numbers as the first's; else a block of its own). Its parameters are the numbers
that differ between its calls (blocks_shape.py: the exporter writes no function
attributes), and consecutive equal calls, in a block's body, a statement or a branch, a
repeat. A call inside a merge's branch (MobileNetV2's `add { linear_bottleneck(t, c,
stride) | }`) is located as a run of items of that branch, found by descending into the
one merge that holds all its stages: the merge's unit is rebuilt with the call in its
branch.

Assumes plan.py's lines and stages whose scopes, where given, nest (elaboration order
keeps a call's stages together). Guarantees a :class:`Blocked` as blocks.py's is, or
None where no call could be made (the caller then searches instead). A call whose
stages are not a run of items of one statement or of one branch (straddling a merge's
edge) or whose body would read a tensor by name (but a learned tensor it declares)
stays written out; the calls around it are still calls.
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
        done: list[tuple[Place, Call]] = []
        groups: dict[tuple, list[tuple[Place, list[Item]]]] = {}
        for function, stages, h in calls.values():
            if h != height:
                continue
            place = _locate(seqs, stages)
            if place is None:  # straddling a merge's edge: written out
                continue
            window = _deep_repeats(_items_at(seqs, place))
            if _by_name(imported, window):
                continue  # a body reading a tensor by name: written out
            key = (_clean(function), tuple(item_key(imported, it) for it in window))
            groups.setdefault(key, []).append((place, window))
        for key, found_ in groups.items():
            windows = [w for _, w in found_]
            block, made = build(imported, blocks, windows, names, len(blocks))
            name = _fresh(key[0], names)
            names.add(name)
            blocks.append(block._replace(name=name))
            done += [(place, call) for (place, _), call in zip(found_, made, strict=True)]
        # right to left within each list, so that the places still to replace stay put
        for place, call in sorted(done, key=lambda d: _order(d[0]), reverse=True):
            s, path, i, n = place
            seqs[s] = _replaced(seqs[s], path, i, n, call)
    return Blocked(blocks, [_deep_repeats(seq) for seq in seqs]) if blocks else None


# where a call's items lie: (statement, path of (item, branch) down to the branch that
# holds them, () at the statement's own level; start, length)
Place = tuple[int, tuple[tuple[int, int], ...], int, int]


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


def _locate(seqs: list[list[Item]], stages: frozenset[int]) -> Place | None:
    """Where the items that hold exactly `stages` lie, or None."""
    for s, seq in enumerate(seqs):
        if any(_covered(item) & stages for item in seq):
            found = _find(seq, stages)
            return None if found is None else (s, *found)
    return None


def _find(seq, stages: frozenset[int]) -> tuple[tuple, int, int] | None:
    """(path, start, length) of the run of `seq`'s items that hold exactly `stages`,
    descending into a merge's branches where the stages lie inside one merge but are
    not all of it."""
    inside = [i for i, item in enumerate(seq) if _covered(item) & stages]
    lo, hi = inside[0], inside[-1] + 1
    held = set().union(*(_covered(item) for item in seq[lo:hi]))
    if held == stages:
        return (), lo, hi - lo
    merge = seq[lo]
    if hi - lo != 1 or not isinstance(merge, Unit) or not merge.branches:
        return None
    for b, branch in enumerate(merge.branches):
        if any(_covered(item) & stages for item in branch):
            found = _find(branch, stages)
            return None if found is None else (((lo, b), *found[0]), found[1], found[2])
    return None


def _items_at(seqs: list[list[Item]], place: Place) -> list[Item]:
    s, path, i, n = place
    seq = seqs[s]
    for k, b in path:
        seq = seq[k].branches[b]
    return list(seq[i : i + n])


def _replaced(seq, path: tuple, i: int, n: int, call: Call) -> list[Item]:
    """`seq` with the items at (path, i, n) replaced by `call`: the merges on the path
    rebuilt, their branches holding it."""
    if not path:
        return [*seq[:i], call, *seq[i + n :]]
    (k, b), rest = path[0], path[1:]
    merge = seq[k]
    branches = list(merge.branches)
    branches[b] = tuple(_replaced(branches[b], rest, i, n, call))
    return [*seq[:k], merge._replace(branches=tuple(branches)), *seq[k + 1 :]]


def _order(place: Place) -> tuple[int, ...]:
    """A place's position: replacing in decreasing order keeps the others' indices."""
    s, path, i, _ = place
    return (s, *(x for step in path for x in step), i)


def _deep_repeats(seq) -> list[Item]:
    """Runs of identical calls as repeats, in `seq` and in every merge's branches in it."""
    out: list[Item] = []
    for item in seq:
        if isinstance(item, Unit) and item.branches:
            branches = tuple(tuple(_deep_repeats(b)) for b in item.branches)
            item = item._replace(branches=branches)
        out.append(item)
    return _repeats(out)


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
