"""How an imported model's stages become spec statements: which stages chain, which
merges take branches, which statements are named, where `from` switches the stream.

A :class:`Unit` is one stage, or a merge written with branches (`add { conv bn | }`):
a merge whose inputs all trace back, through chains of one-input stages whose tensors
nothing else reads, to one tensor becomes a unit that reads that tensor alone, its
branches the chains. A :class:`Line` is one statement: a run of units where each reads
the one before it as its stream and that tensor is read nowhere else.

Assumes `imported.stages` in topological order, tensor names unique. Guarantees that
the units, read in order (a merge's branches, in order, before the merge), are the
stages each once (:func:`stage_order`: the order of the layers the spec elaborates), and
that every tensor a statement reads by name is named (:func:`referenced`).
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from netspec.frontends.imported import Imported


class Unit(NamedTuple):
    stage: int  # index into imported.stages
    inputs: tuple[str, ...]  # the stream first; a branch merge reads its root alone
    output: str
    branches: tuple[tuple[Unit, ...], ...] | None = None  # None: named inputs (or none)


class Line(NamedTuple):
    units: tuple[Unit, ...]
    source: str | None  # `from` this tensor first; None: the stream carries over


def units(imported: Imported, branches: bool = True) -> list[Unit]:
    """The top-level units, in an order the spec can run them in."""
    top = [Unit(i, s.inputs, s.output) for i, s in enumerate(imported.stages)]
    return _fold_branches(top, imported.outputs) if branches else top


def lines(imported: Imported, top: list[Unit]) -> list[Line]:
    """The statements: a unit joins the one before it where it reads that unit's tensor
    as its stream and nothing else reads it (nor is it a network output)."""
    uses = _uses(top, imported.outputs)
    stream = imported.inputs[0].name if imported.inputs else ""
    found: list[list] = []  # [units, source]
    joinable = False  # whether the next unit may join the last line
    for unit in top:
        if is_param(imported, unit):  # a statement of its own; the stream goes on
            found.append([[unit], None])
            joinable = False
            continue
        head = unit.inputs[0] if unit.inputs else stream
        if joinable and head == stream and uses[stream] == 1:
            found[-1][0].append(unit)
        else:
            found.append([[unit], None if head == stream else head])
        stream, joinable = unit.output, True
    return [Line(tuple(units_), source) for units_, source in found]


def is_param(imported: Imported, unit: Unit) -> bool:
    """A learned tensor (`param name: [dims]`): it reads nothing and leaves the stream."""
    return imported.stages[unit.stage].op == "param"


def referenced(imported: Imported, top: list[Unit], found: list[Line]) -> set[str]:
    """The tensors a statement names: `from` sources, merges' named inputs, outputs."""
    named = {line.source for line in found if line.source is not None}
    named.update(t for unit in top if unit.branches is None for t in unit.inputs[1:])
    return named | set(imported.outputs)


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


def _uses(top: list[Unit], outputs: tuple[str, ...]) -> Counter:
    """How often each tensor is read (a network output counts as a read)."""
    uses = Counter(t for unit in top for t in unit.inputs)
    uses.update(outputs)
    return uses


def _fold_branches(top: list[Unit], outputs: tuple[str, ...]) -> list[Unit]:
    """Merges whose inputs start from one tensor, as branch merges. Earlier merges fold
    first, so that a folded one (one input) can sit inside a later one's branch."""
    uses = _uses(top, outputs)
    kept: list[Unit] = []
    producer: dict[str, Unit] = {}
    for unit in top:
        if len(unit.inputs) > 1:
            unit = _folded(unit, producer, uses, kept)
        kept.append(unit)
        producer[unit.output] = unit
    return kept


def _folded(merge: Unit, producer: dict[str, Unit], uses: Counter, kept: list[Unit]) -> Unit:
    traced = [_trace(t, producer, uses) for t in merge.inputs]
    roots = {root for root, _ in traced}
    if len(roots) != 1:
        return merge
    root = roots.pop()
    chains = tuple(chain for _, chain in traced)
    gone = {u.stage for chain in chains for u in chain}
    kept[:] = [u for u in kept if u.stage not in gone]
    # the chains' reads vanish from the top level, and the merge now reads its root once
    for unit in (merge, *(u for chain in chains for u in chain)):
        uses.subtract(unit.inputs)
    uses[root] += 1
    return Unit(merge.stage, (root,), merge.output, chains)


def _trace(tensor: str, producer: dict[str, Unit], uses: Counter) -> tuple[str, tuple[Unit, ...]]:
    """Back from `tensor` through one-input units whose output only the next reads: the
    tensor where that stops (the branch's start) and the units passed, first first."""
    chain: list[Unit] = []
    while uses[tensor] == 1 and tensor in producer and len(producer[tensor].inputs) == 1:
        unit = producer[tensor]
        chain.append(unit)
        tensor = unit.inputs[0]
    return tensor, tuple(reversed(chain))
