"""What the block finder (netspec/frontends/blocks.py) compares and builds: an item's
shape up to numbers, its values in a fixed order, and a block made of the occurrences
of one shape.

An item's shape is its ops, branches and arguments with every number left out (a
keyword argument the op may leave out is left out of the shape too: `conv(64, 3,
padding=1)` and `conv(128, 3, stride=2, padding=1)` have one shape, the first's stride
being its default 1). Its slots are its numbers, and the values of such keyword
arguments (the default where one occurrence leaves it out), in one walking order.

A merge's branch may hold calls and repeats (blocks_given.py puts them there): they
are values of the merge's shape as any other item's.

Assumes the occurrences given to :func:`build` have one shape. Guarantees the block's
body, with each call's arguments for its parameters, is each occurrence again: the
same stages with the same values, a left-out keyword argument written only where its
value is not the op's default.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Union

from netspec.frontends.blocks_learned import RESERVED, tensor_names
from netspec.frontends.imported import Imported, Stage, Value
from netspec.frontends.plan import Unit
from netspec.ops import REGISTRY

# stages that finish the one before them (as emit.FOLLOWERS): no block starts with one
FINISHERS = frozenset(("bn", "relu", "relu6", "sigmoid", "silu", "gelu", "tanh", "hardswish"))
REPEAT_COST = 80  # the characters a repeat costs beyond its call: it takes three lines


class Ref(NamedTuple):
    """A block parameter, where a value differs between the calls."""

    name: str  # the parameter, or a product of it (`out * 4`)


class Call(NamedTuple):
    block: int  # index into the blocks
    args: tuple  # one value (or Ref) per parameter, in order
    stages: tuple[int, ...]  # the stages it stands for


class Repeat(NamedTuple):
    count: int | Ref
    call: Call


Item = Union[Unit, Call, Repeat]  # noqa: UP007 (a runtime alias)


class Block(NamedTuple):
    name: str
    params: tuple[str, ...]
    body: tuple  # the first occurrence's items, Refs in calls and repeats where they differ
    stages: dict[int, Stage]  # the body's stages as the block writes them (Refs in them)
    # the learned tensors (`param`) the body declares: the first occurrence's tensor -> the
    # name the block gives it (each call declares its own, at its own path)
    tensors: tuple[tuple[str, str], ...] = ()


def item_key(imported: Imported, item: Item):
    """The item up to numbers (hashable)."""
    if isinstance(item, Call):
        return ("call", item.block, tuple(_kind(a) for a in item.args))
    if isinstance(item, Repeat):
        return ("repeat", item_key(imported, item.call))
    stage = imported.stages[item.stage]
    free = _defaults(stage.op)
    kwargs = tuple(sorted((k, _kind(v)) for k, v in stage.kwargs if k not in free))
    head = (stage.op, tuple(_kind(a) for a in stage.args), kwargs, len(stage.inputs))
    if item.branches is None:
        return head
    return (head, tuple(tuple(item_key(imported, u) for u in b) for b in item.branches))


def stage_count(imported: Imported, item: Item) -> int:
    if isinstance(item, Repeat):
        return len(item.call.stages)
    if isinstance(item, Call):
        return len(item.stages)
    return 1 + sum(stage_count(imported, u) for b in item.branches or () for u in b)


def cost(imported: Imported, item: Item) -> int:
    """About the characters the item takes written out."""
    if isinstance(item, Repeat):
        return REPEAT_COST + cost(imported, item.call)
    if isinstance(item, Call):
        return 8 + sum(len(str(a)) + 2 for a in item.args)
    stage = imported.stages[item.stage]
    own = len(stage.op) + 1 + sum(len(str(a)) + 2 for a in stage.args)
    own += sum(len(k) + len(str(v)) + 3 for k, v in stage.kwargs)
    inner = sum(cost(imported, u) + 1 for b in item.branches or () for u in b)
    return own + inner + 4 * len(item.branches or ())


def slots(imported: Imported, blocks: list[Block], windows: list[list[Item]]) -> list[list]:
    """Each occurrence's slots, (hint, value): hint names the op's (or block's)
    parameter the value is given to."""
    free = _free_keys(imported, windows)
    out = []
    for window in windows:
        found: list[tuple[str, Value]] = []
        _visit(imported, blocks, window, free, lambda h, v, f=found: f.append((h, v)) or v)
        out.append(found)
    return out


def parameters(found: list[list]) -> list[tuple[str, list[int]]]:
    """The parameters: (hint, slot positions), one per distinct column of values that is
    not the same at every occurrence, in the order they first come."""
    columns: dict[tuple, tuple[str, list[int]]] = {}
    for pos, column in enumerate(zip(*found, strict=True)):
        values = tuple((type(v).__name__, v) for _, v in column)
        if len(set(values)) > 1:
            columns.setdefault(values, (column[0][0], []))[1].append(pos)
    return list(columns.values())


def build(imported: Imported, blocks, windows: list[list[Item]], taken: set[str], index: int):
    """The block of the occurrences `windows` (one shape) and the call of each. A
    parameter whose values are those of an earlier one of its kind (both convolutions'
    `out`) times a whole number is written as that product (`conv(out * 4, 1)`)."""
    found = slots(imported, blocks, windows)
    names: list[str] = []
    given: list[tuple[str, str, tuple]] = []  # (hint, name, values) of those passed
    refs: dict[int, Ref] = {}
    for hint, positions in parameters(found):
        values = tuple(f[positions[0]][1] for f in found)
        ref = _product([(n, v) for h, n, v in given if h == hint], values)
        if ref is None:
            names.append(_fresh(hint, names))
            given.append((hint, names[-1], values))
            ref = Ref(names[-1])
        refs.update(dict.fromkeys(positions, ref))
    counter = iter(range(len(found[0])))
    free = _free_keys(imported, windows)
    body, stages = _visit(
        imported, blocks, windows[0], free, lambda h, v: refs.get(next(counter), v)
    )
    name = _name(imported, blocks, windows, taken, index)
    block = Block(name, tuple(names), tuple(body), stages, tensor_names(imported, windows, names))
    calls = [
        Call(index, tuple(values[k] for _, _, values in given), _covered(imported, w))
        for k, w in enumerate(windows)
    ]
    return block, calls


def _product(given: list[tuple[str, tuple]], values: tuple) -> Ref | None:
    """`name * k` where `values` are a passed parameter's times k (2 or more), else None."""
    if not all(type(v) is int and v > 0 for v in values):
        return None
    for name, earlier in given:
        if all(type(v) is int and v > 0 for v in earlier) and values[0] % earlier[0] == 0:
            k = values[0] // earlier[0]
            if k > 1 and all(v == e * k for v, e in zip(values, earlier, strict=True)):
                return Ref(f"{name} * {k}")
    return None


def _fresh(hint: str, names: list[str]) -> str:
    base = hint if hint.isidentifier() and hint not in RESERVED else f"{hint}_"
    name, k = base, 1
    while name in names:
        k += 1
        name = f"{base}{k}"
    return name


def _visit(imported: Imported, blocks, window: list[Item], free: list, fn):
    """Walk the window's values in one order, each replaced by fn(hint, value): the
    items rebuilt (calls and repeats, and merges whose branches hold them) and each
    unit's stage rebuilt, by stage index."""
    stages: dict[int, Stage] = {}
    order = iter(free)

    def unit(u: Unit) -> Unit:
        stage = imported.stages[u.stage]
        given, defaults = dict(stage.kwargs), _defaults(stage.op)
        names = [p.name for p in REGISTRY[stage.op].params]
        if stage.op == "param":  # its sizes: channels, as a conv's `out` (so `linear(out * 4)`)
            names = ["out"]
        args = tuple(
            _leaves(names[k] if k < len(names) else "arg", a, fn) for k, a in enumerate(stage.args)
        )
        kwargs = [(k, _leaves(k, v, fn)) for k, v in stage.kwargs if k not in defaults]
        for k in next(order):
            v = fn(k, given.get(k, defaults[k]))
            if isinstance(v, Ref) or _kind(v) != _kind(defaults[k]) or v != defaults[k]:
                kwargs.append((k, v))
        rank = {n: i for i, n in enumerate(names)}
        kwargs.sort(key=lambda kv: rank.get(kv[0], len(rank)))
        stages[u.stage] = stage._replace(args=args, kwargs=tuple(kwargs))
        if u.branches is None:
            return u
        # a branch may hold calls (blocks_given.py): their arguments are values too
        return u._replace(branches=tuple(tuple(rebuilt(x) for x in b) for b in u.branches))

    def call(c: Call) -> Call:
        hints = blocks[c.block].params
        return c._replace(args=tuple(fn(h, a) for h, a in zip(hints, c.args, strict=True)))

    def rebuilt(item: Item) -> Item:
        if isinstance(item, Repeat):
            return Repeat(fn("n", item.count), call(item.call))
        return call(item) if isinstance(item, Call) else unit(item)

    return [rebuilt(item) for item in window], stages


def _leaves(hint: str, v: Value, fn):
    if isinstance(v, (tuple, list)):
        return tuple(_leaves(hint, x, fn) for x in v)
    return fn(hint, v) if _kind(v) == "#" else v


def _free_keys(imported: Imported, windows: list[list[Item]]) -> list[list[str]]:
    """Per unit stage of a window (walking order): the keyword arguments that may be
    left out and that some occurrence gives, in the op's order."""
    per = [[imported.stages[i] for i in _unit_stages(w)] for w in windows]
    out = []
    for column in zip(*per, strict=True):
        defaults = _defaults(column[0].op)
        given = {k for stage in column for k, _ in stage.kwargs if k in defaults}
        out.append([k for k in defaults if k in given])
    return out


def _unit_stages(window: list[Item]) -> list[int]:
    """The stages of the window's units, each unit before its branches' units (a call
    in a branch aside: its stages are its block's)."""
    found: list[int] = []
    for item in window:
        if isinstance(item, Unit):
            found.append(item.stage)
            found += _unit_stages([x for b in item.branches or () for x in b])
    return found


def _covered(imported: Imported, window: list[Item]) -> tuple[int, ...]:
    """Every stage the window stands for, calls' (in branches too) included."""
    out: list[int] = []
    for item in window:
        if isinstance(item, Repeat):
            out += item.call.stages
        elif isinstance(item, Call):
            out += item.stages
        else:
            out.append(item.stage)
            out += _covered(imported, [x for b in item.branches or () for x in b])
    return tuple(out)


def _kind(v: Value):
    """A value up to numbers: a number is "#", anything else is itself."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return "#"
    if isinstance(v, (tuple, list)):
        return tuple(_kind(x) for x in v)
    return ("=", type(v).__name__, v)


def _defaults(op: str) -> dict[str, Value]:
    """The keyword arguments a call may leave out, with their values (a default of none
    is not one: it often means 'derived from others', not a value to write)."""
    return {
        p.name: p.default
        for p in REGISTRY[op].params
        if isinstance(p.default, (int, float, bool, str, tuple))
    }


def _name(imported: Imported, blocks, windows: list[list[Item]], taken: set[str], index: int):
    """The module name the source gives every occurrence (`layer1.bottleneck2.add1...`
    -> `bottleneck`), where they agree; else block1, block2, ..."""
    found = {_module(imported, _covered(imported, w)) for w in windows}
    base = found.pop() if len(found) == 1 and None not in found else f"block{index + 1}"
    name, k = base, 1
    while name in taken or name in RESERVED:
        k += 1
        name = f"{base}_{k}"
    return name


def _module(imported: Imported, stages: tuple[int, ...]) -> str | None:
    """The last part of the path the stages' sources share, without its number."""
    paths = [re.split(r"[./:]+", imported.stages[i].source.strip("/")) for i in stages]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    for part in reversed(common):
        name = re.sub(r"[_\d]+$", "", part)
        if name not in REGISTRY:  # `add1` is the merge the block holds: the one above
            # a bare index (torch's `layer1.0`) names no kind of module
            usable = name.isidentifier() and len(name) > 1 and name not in RESERVED
            return name if usable else None
    return None
