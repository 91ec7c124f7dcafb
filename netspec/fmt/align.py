"""The aligned columns of a run of statements, as the zoo writes network bodies.

A run is a sequence of statements of one body with no blank line between them (full-line
comments and statements that are not chains, such as `input`, `from` or `let`, stay in
it). A statement laid out on more than one line, or longer than the width by itself,
ends the run. Within a run, for the chain statements that take part:

- names are padded so that their `=` line up (`stem   = ...`);
- `->` checkpoints line up one space after the longest chain that has one;
- consecutive statements that are each one call of the same block with the same number
  of arguments (`bottleneck(6, 24,  2, 2)`) form a table: each argument is padded to the
  widest of its column.

Where an aligned line would pass the width, the statement with the longest chain
leaves the `->` column (one space before its `->`), until all fit; a line still too
long by its padded name alone, or over the width with no padding at all (a long
checkpoint: its shape is never wrapped), constrains nothing: its name is padded with
the others and its `->` follows its chain. All of this depends only on the tokens,
never on the source's spacing, so formatting twice changes nothing.

Assumes the tree of :mod:`netspec.fmt.tree` and a function measuring parts on one line.
Guarantees extra spaces to put before given parts (keyed by ``id`` of the part).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from netspec.fmt.tokens import Tok
from netspec.fmt.tree import Body, Break, Comment, Group, Item, Merge, Stmt

Measure = Callable[[Sequence[object], bool], int]
GAP = 1  # spaces at least between the longest chain and the aligned `->`


@dataclass(eq=False)
class _Member:
    stmt: Stmt
    targets: list[object]  # parts before `=` (empty: no targets)
    chain: list[object]
    arrow: Tok | None
    shape: list[object]
    table: list[list[object]] = field(default_factory=list)  # the call's arguments
    aligned_arrow: bool = True
    hopeless: bool = False  # over the width unpadded: padded, its `->` one space after


def runs(items: list[Item], simple: Callable[[Stmt], bool]) -> list[list[Stmt]]:
    """The runs of `items`: statements between blank lines and multi-line statements."""
    out: list[list[Stmt]] = [[]]
    for item in items:
        if item.blank_before and out[-1]:
            out.append([])
        if isinstance(item, Comment):
            continue
        if simple(item):
            out[-1].append(item)
        elif out[-1]:
            out.append([])
    return [run for run in out if run]


def extras(run: list[Stmt], indent: int, width: int, measure: Measure) -> dict[int, int]:
    """Extra spaces before parts of `run`'s statements that align its columns."""
    members = [m for m in map(_member, run) if m is not None]
    for m in members:  # over the width however it is padded: it constrains nothing
        m.hopeless = _natural(m, indent, measure) > width
        m.aligned_arrow = not m.hopeless
    while members:
        pads, ends, lengths = _layout(members, run, indent, measure)
        over = [i for i, n in enumerate(lengths) if n > width and not members[i].hopeless]
        if not over:
            return pads
        aligned = [i for i, m in enumerate(members) if m.arrow is not None and m.aligned_arrow]
        if any(i in aligned for i in over):
            # the statement with the longest chain sets the `->` column: it leaves first
            members[max(aligned, key=lambda i: ends[i])].aligned_arrow = False
        else:  # over by its padded name alone: it keeps the names' column all the same
            members[over[0]].hopeless = True
    return {}


def _natural(m: _Member, indent: int, measure: Measure) -> int:
    """The member's line length with no padding at all."""
    length = indent + measure(m.chain, False)
    if m.targets:
        length += measure(m.targets, False) + 3
    return length + (4 + measure(m.shape, False) if m.arrow is not None else 0)


def _layout(
    members: list[_Member], run: list[Stmt], indent: int, measure: Measure
) -> tuple[dict[int, int], list[int], list[int]]:
    """The padding of `members`, where each one's chain ends and its line length."""
    pads: dict[int, int] = {}
    for rows in _tables(members, run):
        _pad_table(rows, pads, measure)
    named = [measure(m.targets, False) for m in members if m.targets]
    name_width = max(named, default=0)
    ends = []
    for m in members:
        if m.targets:
            pads[id(_equal(m))] = name_width - measure(m.targets, False)
        prefix = name_width + 3 if m.targets else 0
        chain = measure(m.chain, False) + sum(pads.get(id(p), 0) for p in _walk(m.chain))
        ends.append(indent + prefix + chain)
    column = max(
        (e for e, m in zip(ends, members, strict=True) if m.arrow and m.aligned_arrow), default=0
    )
    column += GAP
    lengths = []
    for end, m in zip(ends, members, strict=True):
        if m.arrow is None:
            lengths.append(end)
            continue
        if not m.aligned_arrow:
            lengths.append(end + 4 + measure(m.shape, False))
            continue
        pads[id(m.arrow)] = column - end - 1
        lengths.append(column + 3 + measure(m.shape, False))
    return pads, ends, lengths


def _equal(m: _Member) -> Tok:
    return next(p for p in m.stmt.parts if isinstance(p, Tok) and p.kind == "EQUAL")


def _member(stmt: Stmt) -> _Member | None:
    """A chain statement's parts, or None for other statements."""
    parts = [p for p in stmt.parts if not isinstance(p, Comment)]
    first = parts[0]
    if not isinstance(first, Tok) or first.kind != "NAME":
        return None
    if len(parts) > 1 and isinstance(parts[1], Tok) and parts[1].kind == "NAME":
        return None  # input / output / param: a soft keyword and a name
    kinds = [p.kind if isinstance(p, Tok) else "" for p in parts]
    eq = kinds.index("EQUAL") if "EQUAL" in kinds else -1
    arrow = kinds.index("ARROW") if "ARROW" in kinds else len(parts)
    member = _Member(stmt, parts[: max(eq, 0)], parts[eq + 1 : arrow], None, parts[arrow + 1 :])
    if arrow < len(parts):
        member.arrow = parts[arrow]  # type: ignore[assignment]
    chain = member.chain
    if len(chain) == 2 and isinstance(chain[1], Group) and chain[1].open.kind == "LPAR":
        member.table = _arguments(chain[1])
    return member


def _arguments(group: Group) -> list[list[object]]:
    args: list[list[object]] = [[]]
    for part in group.parts:
        if isinstance(part, Tok) and part.kind == "COMMA":
            args.append([])
        elif not isinstance(part, Break | Comment):
            args[-1].append(part)
    return [a for a in args if a]


def _tables(members: list[_Member], run: list[Stmt]) -> list[list[_Member]]:
    """Consecutive members calling the same block with as many arguments."""
    position = {id(s): i for i, s in enumerate(run)}
    tables: list[list[_Member]] = []
    for m in members:
        prev = tables[-1][-1] if tables else None
        if (
            prev is not None
            and m.table
            and _same_call(prev, m)
            and (position[id(m.stmt)] == position[id(prev.stmt)] + 1)
        ):
            tables[-1].append(m)
        else:
            tables.append([m])
    return [t for t in tables if len(t) > 1 and t[0].table]


def _same_call(a: _Member, b: _Member) -> bool:
    return bool(a.table) and len(a.table) == len(b.table) and _name(a) == _name(b)


def _name(m: _Member) -> str:
    first = m.chain[0]
    return first.text if isinstance(first, Tok) else ""


def _pad_table(rows: list[_Member], pads: dict[int, int], measure: Measure) -> None:
    for column in range(1, len(rows[0].table)):
        widths = [measure(row.table[column - 1], True) for row in rows]
        for row, w in zip(rows, widths, strict=True):
            pads[id(row.table[column][0])] = max(widths) - w


def _walk(parts: Sequence[object]):
    for p in parts:
        yield p
        if isinstance(p, Group):
            yield from _walk(p.parts)
        elif isinstance(p, Body | Merge):
            continue
