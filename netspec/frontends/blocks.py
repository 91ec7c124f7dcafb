"""Repeated structure of an imported model recovered as blocks, calls and repeats.

Each statement of the plan (a :class:`netspec.frontends.plan.Line`) is a sequence of
items: a :class:`Unit`, a :class:`Call` of a block, or a :class:`Repeat` of one call.
Runs of consecutive items that occur several times and are the same up to numbers
become one :class:`Block` (blocks_shape.py: its parameters are the values that differ
between the occurrences), and each occurrence becomes a call; runs of identical
consecutive calls become a repeat. The search is greedy, by the text a block saves:
windows of units first; once none is left that saves text, windows with calls and
repeats, so that a block can call blocks (a stage: one block's call, then a repeat of
another's). Readability rules: a block does not start with a stage that finishes the
one before (`bn`, `relu`) nor with a repeat, does not swallow a part that is written
twice in a row (`add{} relu add{} relu`: that part is the block, repeated), has at most
MAX_PARAMS parameters, and an occurrence that alone would need two parameters more
stays written out (a stem that has a block's shape by chance).

Assumes plan.py's units and lines. Guarantees the items of a statement, read in order
(a block's body for each call, its count of copies for a repeat), are the statement's
units in order, so the spec elaborates its layers in :func:`plan.stage_order` still;
no block holds a unit that reads a computed tensor by name, and a block holds a learned
tensor (`param`, which plan.py puts in the statement of the unit after it) with every
stage that reads it or neither: each call declares its own, as the zoo's ConvNeXt block
declares its layer scale. Pure: no text, no numpy.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.frontends.blocks_learned import declares, learned_span, reads
from netspec.frontends.blocks_shape import (
    FINISHERS,
    Block,
    Call,
    Item,
    Repeat,
    build,
    cost,
    item_key,
    parameters,
    slots,
    stage_count,
)
from netspec.frontends.imported import Imported
from netspec.frontends.plan import Line, Unit, learned
from netspec.ops import REGISTRY

MAX_BLOCKS = 32  # a bound on the search, far above what a model's text needs
MAX_WINDOW = 48  # items in one block's body
MAX_PARAMS = 6  # more, and a call says less than the layers written out
# what a block's header and closing line, a call and a parameter cost, in characters
BLOCK_COST, CALL_COST, PARAM_COST = 60, 8, 8


class Blocked(NamedTuple):
    """The blocks, and each statement as items."""

    blocks: list[Block]  # callees before callers
    statements: list[list[Item]]  # one per line of the plan


def find_blocks(imported: Imported, found: list[Line], taken=frozenset()) -> Blocked:
    """The blocks of the statements `found`; block names avoid `taken` and the ops."""
    seqs: list[list[Item]] = [list(line.units) for line in found]
    blocks: list[Block] = []
    names = set(taken) | set(REGISTRY)
    while len(blocks) < MAX_BLOCKS:
        seqs = [_repeats(seq) for seq in seqs]
        best = _best(imported, seqs, blocks)
        if best is None:
            break
        windows = [seqs[s][i : i + n] for s, i, n in best]
        block, calls = build(imported, blocks, windows, names, len(blocks))
        names.add(block.name)
        for (s, i, n), call in sorted(zip(best, calls, strict=True), reverse=True):
            seqs[s][i : i + n] = [call]
        blocks.append(block)
    return Blocked(blocks, [_repeats(seq) for seq in seqs])


def _repeats(seq: list[Item]) -> list[Item]:
    """Runs of identical calls (two or more) as repeats."""
    out: list[Item] = []
    for item in seq:
        last = out[-1] if out else None
        if isinstance(item, Call) and isinstance(last, Repeat) and _same(last.call, item):
            call = last.call._replace(stages=last.call.stages + item.stages)
            out[-1] = Repeat(last.count + 1, call)
        elif isinstance(item, Call) and isinstance(last, Call) and _same(last, item):
            out[-1] = Repeat(2, last._replace(stages=last.stages + item.stages))
        else:
            out.append(item)
    return out


def _same(a: Call, b: Call) -> bool:
    return a.block == b.block and a.args == b.args


def _best(imported: Imported, seqs: list[list[Item]], blocks: list[Block]):
    """The occurrences (seq, start, length) of the window that saves the most text, or
    None where no window saves any. Windows of units come first: a block of calls is
    made once no window of units is left to make a block of (a stage of bottlenecks, not
    a window from one bottleneck's middle to the next's)."""
    windows = _windows(imported, seqs)
    plain = [(length, starts) for length, starts, units_only in windows if units_only]
    calls = [(length, starts) for length, starts, units_only in windows if not units_only]
    return _chosen(imported, seqs, blocks, plain) or _chosen(imported, seqs, blocks, calls)


def _chosen(imported: Imported, seqs: list[list[Item]], blocks: list[Block], windows):
    best, saved = None, 0
    for length, starts in windows:
        occurrences = _apart(starts, length)
        first = seqs[occurrences[0][0]][occurrences[0][1] :][:length]
        if len(occurrences) < 2 or not _worth(imported, first):
            continue
        weight = sum(cost(imported, item) for item in first)
        if _gain(weight, len(occurrences), 0) <= saved:
            continue
        found = [seqs[s][i : i + length] for s, i in occurrences]
        values = slots(imported, blocks, found)
        kept = _usual(values)
        count = len(parameters([values[k] for k in kept]))
        gain = _gain(weight, len(kept), count)
        if count <= MAX_PARAMS and gain > saved:
            best, saved = [(*occurrences[k], length) for k in kept], gain
    return best


def _gain(weight: int, n: int, params: int) -> int:
    """About the characters a block of n calls saves over its body written n times."""
    upper = (n - 1) * weight - BLOCK_COST - n * CALL_COST
    return upper - params * (PARAM_COST + 4 * n)


def _usual(values: list[list]) -> list[int]:
    """The occurrences to call the block at: all but one that alone differs from all the
    others in two values or more (the stem that has a stage's shape by chance: it stays
    written out rather than give the block two parameters more), where three or more."""
    if len(values) < 3:
        return list(range(len(values)))
    alone = [0] * len(values)
    seen: set = set()
    for column in zip(*values, strict=True):
        counts: dict = {}
        for k, (_, v) in enumerate(column):
            counts.setdefault((type(v).__name__, v), []).append(k)
        vector = tuple(counts)
        if len(counts) == 2 and min(len(ks) for ks in counts.values()) == 1 and vector not in seen:
            seen.add(vector)  # positions that share their values are one parameter
            alone[min(counts.values(), key=len)[0]] += 1
    kept = [k for k in range(len(values)) if alone[k] < 2]
    return kept if len(kept) >= 2 else list(range(len(values)))


def _windows(imported: Imported, seqs: list[list[Item]]) -> list:
    """(length, starts) of every window of items that may form a block, by shape. A
    window holds a learned tensor (`param`) with every stage that reads it, or neither:
    the block declares it, each call its own."""
    ids: dict = {}
    keys = [_keys(ids, imported, seq) for seq in seqs]
    windows: dict[tuple, list[tuple[int, int]]] = {}
    for s, seq in enumerate(keys):
        first_read, last_read = learned_span(imported, seqs[s])
        big = [not isinstance(item, Unit) or item.branches is not None for item in seqs[s]]
        for i, first in enumerate(seq):
            if first is None or _finishes(imported, seqs[s][i]) or isinstance(seqs[s][i], Repeat):
                continue
            needed = i  # the window must reach past every reader of its params
            for j in range(i + 1, min(len(seq), i + MAX_WINDOW) + 1):
                if seq[j - 1] is None or first_read[j - 1] < i or _doubled(seq, big, i, j):
                    break
                needed = max(needed, last_read[j - 1])
                if needed < j:
                    windows.setdefault(tuple(seq[i:j]), []).append((s, i))
    pairs = [
        (item, k)
        for seq, found in zip(seqs, keys, strict=True)
        for item, k in zip(seq, found, strict=True)
    ]
    units_only = {k for item, k in pairs if isinstance(item, Unit)}
    return [(len(key), starts, units_only.issuperset(key)) for key, starts in windows.items()]


def _keys(ids: dict, imported: Imported, seq: list[Item]) -> list[int | None]:
    """A number per item's shape, the learned tensors it reads given by how far back
    they are declared; None for an item no block holds: a unit that reads a computed
    tensor by name (the block would need it as an argument)."""
    where = {item.output: p for p, item in enumerate(seq) if declares(imported, item)}
    params = learned(imported)
    out: list[int | None] = []
    for p, item in enumerate(seq):
        computed = [t for t in item.inputs if t not in params] if isinstance(item, Unit) else []
        if isinstance(item, Unit) and not declares(imported, item) and len(computed) != 1:
            out.append(None)
            continue
        back = tuple(p - where.get(t, p + 1) for t in reads(imported, item, params))
        out.append(ids.setdefault((item_key(imported, item), back), len(ids)))
    return out


def _doubled(seq: list, big: list[bool], i: int, j: int) -> bool:
    """Whether seq[i:j] ends with a part written twice in a row that holds a merge or a
    call (`add{} relu add{} relu`): that part is a block of its own, repeated, and a
    longer window would swallow it (nor would any longer window from i do better)."""
    for m in range(1, (j - i) // 2 + 1):
        if seq[j - 2 * m : j - m] == seq[j - m : j] and any(big[j - m : j]):
            return True
    return False


def _worth(imported: Imported, window: list[Item]) -> bool:
    """Three stages at least, and not one call or repeat alone (a block that only calls
    another says nothing new)."""
    if len(window) == 1 and not isinstance(window[0], Unit):
        return False
    return sum(stage_count(imported, item) for item in window) >= 3


def _apart(starts: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Occurrences that do not overlap, taken from the left."""
    kept: list[tuple[int, int]] = []
    for s, i in starts:
        if not kept or kept[-1][0] != s or kept[-1][1] + length <= i:
            kept.append((s, i))
    return kept


def _finishes(imported: Imported, item: Item) -> bool:
    return isinstance(item, Unit) and imported.stages[item.stage].op in FINISHERS
