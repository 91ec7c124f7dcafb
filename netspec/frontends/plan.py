"""How an imported model's stages become spec statements: which stages chain, which
merges take branches, which statements are named, where `from` switches the stream.

A :class:`Unit` is one stage, or a merge written with branches (`add { conv bn | }`):
a merge whose inputs all trace back, through chains of one-input stages whose tensors
nothing else reads, to one tensor becomes a unit that reads that tensor alone, its
branches the chains. A :class:`Line` is one statement: a run of units where each reads
the one before it as its stream and that tensor is read nowhere else. A learned tensor
(`param`) reads nothing and leaves the stream alone: it stands in the line of the unit
after it, just before that unit, and a stage that reads one beside its stream (`mul(gamma)`)
chains as a one-input stage does, so that a layer scale stays in its block's branch.
A stage of a further output of an op that makes several (`Stage.part`: lstm's h and
c) joins the unit of its part 0 before it (`Unit.more`), which ends its statement
(`seq, h, c = lstm(650)`). A tensor an argument names (a tied linear's `tied=words`)
counts as read: it ends its statement, named.

Assumes `imported.stages` in topological order, tensor names unique. Guarantees that
the units, read in order (a merge's branches, in order, before the merge), are the
stages each once (:func:`stage_order`: the order of the layers the spec elaborates), and
that every tensor a statement reads by name is named (:func:`referenced`).
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from netspec.frontends.imported import Imported, TensorName


class Unit(NamedTuple):
    stage: int  # index into imported.stages
    inputs: tuple[str, ...]  # the stream first; a branch merge reads its root alone
    output: str
    # None: named inputs (or none); blocks_given.py may put calls and repeats in them
    branches: tuple[tuple[Unit, ...], ...] | None = None
    # the stages of its further outputs (`seq, h, c = lstm(650)`: h's and c's, in order),
    # written in its statement, which it ends
    more: tuple[int, ...] = ()


class Line(NamedTuple):
    units: tuple[Unit, ...]
    source: str | None  # `from` this tensor first; None: the stream carries over


def units(imported: Imported, branches: bool = True) -> list[Unit]:
    """The top-level units, in an order the spec can run them in."""
    top: list[Unit] = []
    for i, s in enumerate(imported.stages):
        if s.part and top and imported.stages[top[-1].stage].op == s.op:
            top[-1] = top[-1]._replace(more=(*top[-1].more, i))  # a part of the call before
        else:
            top.append(Unit(i, s.inputs, s.output))
    return _fold_branches(top, imported, learned(imported)) if branches else top


def learned(imported: Imported) -> frozenset[str]:
    """The tensors that are learned (`param`s)."""
    return frozenset(s.output for s in imported.stages if s.op == "param")


def lines(imported: Imported, top: list[Unit]) -> list[Line]:
    """The statements: a unit joins the one before it where it reads that unit's tensor
    as its stream and nothing else reads it (nor is it a network output)."""
    uses = _uses(top, imported.outputs, tied(imported))
    stream = imported.inputs[0].name if imported.inputs else ""
    found: list[list] = []  # [units, source]
    joinable = False  # whether the next unit may join the last line
    waiting: list[Unit] = []  # params, which go in the line of the unit after them
    for unit in top:
        if is_param(imported, unit):  # the stream goes on
            waiting.append(unit)
            continue
        head = unit.inputs[0] if unit.inputs else stream
        if any(w.output == head for w in waiting):  # `from cls` after `param cls` (ViT)
            found.append([waiting, None])
            waiting = []
        if joinable and head == stream and uses[stream] == 1:
            found[-1][0] += [*waiting, unit]
        else:
            found.append([[*waiting, unit], None if head == stream else head])
        # a statement naming several outputs ends with them (the stream goes on with the first)
        stream, joinable, waiting = unit.output, not unit.more, []
    if waiting:  # read by no stage: a line of its own
        found.append([waiting, None])
    return [Line(tuple(units_), source) for units_, source in found]


def is_param(imported: Imported, unit: Unit) -> bool:
    """A learned tensor (`param name: [dims]`): it reads nothing and leaves the stream."""
    return imported.stages[unit.stage].op == "param"


def referenced(imported: Imported, top: list[Unit], found: list[Line]) -> set[str]:
    """The tensors a statement names: `from` sources, merges' named inputs, outputs,
    learned tensors."""
    named = {line.source for line in found if line.source is not None}
    named.update(t for unit in top if unit.branches is None for t in unit.inputs[1:])
    return named | set(imported.outputs) | learned(imported) | tied(imported)


def tied(imported: Imported) -> frozenset[str]:
    """The tensors an argument names (a tied linear's `tied=words`): each ends a
    statement of its own, so that its name is the layer's."""
    return frozenset(v for s in imported.stages for _, v in s.kwargs if isinstance(v, TensorName))


def stage_order(imported: Imported, branches: bool = True) -> list[int]:
    """The stages in the order the spec's layers are elaborated."""
    order: list[int] = []
    for unit in units(imported, branches):
        _flatten(unit, order)
    return order


def _flatten(unit: Unit, order: list[int]) -> None:
    for branch in unit.branches or ():
        for inner in branch:
            _flatten(inner, order)
    order.append(unit.stage)
    order.extend(unit.more)


def _uses(top: list[Unit], outputs: tuple[str, ...], named=frozenset()) -> Counter:
    """How often each tensor is read (a network output, and a tensor an argument names,
    count as reads)."""
    uses = Counter(t for unit in top for t in unit.inputs)
    uses.update(outputs)
    uses.update(named)  # a tensor an argument names is read by name
    return uses


def _fold_branches(top: list[Unit], imported: Imported, params: frozenset[str]) -> list[Unit]:
    """Merges whose inputs start from one tensor, as branch merges. Earlier merges fold
    first, so that a folded one (one input) can sit inside a later one's branch; but a
    skip (a merge with an empty branch) inside a skip of its own kind, U-Net's levels,
    stays unfolded, and so does the inner one: long skips read by name, as U-Net's spec
    writes them, not branches nested level in level."""
    uses = _uses(top, imported.outputs, tied(imported))
    kept: list[Unit] = []
    producer: dict[str, Unit] = {}
    for unit in top:
        if _streams(unit, params) > 1:
            unit = _folded(unit, producer, uses, kept, params, imported)
        kept.append(unit)
        producer[unit.output] = unit
    return kept


def _folded(
    merge: Unit, producer: dict, uses: Counter, kept: list[Unit], params, imported: Imported
) -> Unit:
    traced = [_trace(t, producer, uses, params) for t in merge.inputs]
    roots = {root for root, _ in traced}
    if len(roots) != 1:
        return merge
    root = roots.pop()
    chains = tuple(chain for _, chain in traced)
    op = imported.stages[merge.stage].op
    nested = [u for c in chains for u in c if _skip(imported, u, op)]
    for skip in nested:
        _unfold(skip, producer, uses, kept, imported)
    if nested:
        return merge
    gone = {u.stage for chain in chains for u in chain}
    kept[:] = [u for u in kept if u.stage not in gone]
    # the chains' reads vanish from the top level, and the merge now reads its root once
    for unit in (merge, *(u for chain in chains for u in chain)):
        uses.subtract(unit.inputs)
    uses[root] += 1
    return Unit(merge.stage, (root,), merge.output, chains)


def _skip(imported: Imported, unit: Unit, op: str) -> bool:
    """Whether `unit` is a branch merge of `op` with an empty branch (a skip)."""
    return imported.stages[unit.stage].op == op and any(not b for b in unit.branches or ())


def _unfold(skip: Unit, producer: dict, uses: Counter, kept: list[Unit], imported: Imported):
    """The branch merge `skip` back as its branches' units and a merge of named inputs."""
    merge = Unit(skip.stage, imported.stages[skip.stage].inputs, skip.output)
    inner = [u for branch in skip.branches or () for u in branch]
    at = next(k for k, u in enumerate(kept) if u.stage == skip.stage)
    kept[at : at + 1] = [*inner, merge]
    uses.subtract(skip.inputs)
    for unit in (merge, *inner):
        uses.update(unit.inputs)
    producer[merge.output] = merge


def _trace(
    tensor: str, producer: dict[str, Unit], uses: Counter, params: frozenset[str]
) -> tuple[str, tuple[Unit, ...]]:
    """Back from `tensor` through one-input units (a learned tensor read beside the
    stream aside) whose output only the next reads: the tensor where that stops (the
    branch's start) and the units passed, first first."""
    chain: list[Unit] = []
    while (
        uses[tensor] == 1
        and tensor in producer
        and _streams(producer[tensor], params) == 1
        and not producer[tensor].more  # several names: a statement, never in a branch
    ):
        unit = producer[tensor]
        chain.append(unit)
        tensor = unit.inputs[0]
    return tensor, tuple(reversed(chain))


def _streams(unit: Unit, params: frozenset[str]) -> int:
    """The tensors a unit reads that are computed (its stream first), learned ones aside."""
    if unit.inputs and unit.inputs[0] in params:
        return len(unit.inputs)  # a learned tensor as the stream: no chain goes through
    return sum(1 for t in unit.inputs if t not in params)
