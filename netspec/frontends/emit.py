"""An imported model as spec text: `spec_text(imported)`.

Stages that each read the one before become one chain on one line (`conv(64, 7,
stride=2, padding=3, bias=false) bn relu maxpool(3, stride=2, padding=1)`); a tensor
read again later is a named statement; `from name` switches the stream; a merge whose
inputs start from one tensor takes branches (`add { conv bn relu conv bn | }`), any
other names its inputs (`concat(left, dim=1)`). The plan is netspec/frontends/plan.py.
A statement whose last stage makes several outputs names each (`seq, h, c = lstm(650)`);
an input of another type than float32 says it (`input ids: [1, 64] int64`).

A chain longer than a line is split into statements on several lines (the language
has no line continuation outside brackets; the stream carries over), the statement's
name on its last line.

A table argument (a conv's `connect`) is a `const` before the network, named after its
layer (`const C3_TABLE = [[0, 1, 2], ...]`), the argument naming it.

Repeated structure becomes blocks, calls and repeats (netspec/frontends/blocks.py, or
the source's own blocks where it has them, netspec/frontends/blocks_given.py; off
with `blocks=False`): the blocks stand before the network, a block's parameters marked
in its stages' arguments and named once the stages are written; a repeat is a statement
of its own. A merge's branch may hold calls and repeats too (`add {
linear_bottleneck(6, 24, 1) | }`, the source's calls there).

Assumes an :class:`Imported` whose stages are netspec ops with their arguments as the
spec writes them. Guarantees deterministic text (no date, no path but `source`) that
elaborates to one layer per stage, in :func:`netspec.frontends.plan.stage_order`; with
`checkpoints`, each named statement ends with its shape as `netspec check` gives it.
"""

from __future__ import annotations

import re
import textwrap

from netspec.frontends.blocks import Blocked, find_blocks
from netspec.frontends.blocks_given import given_blocks
from netspec.frontends.blocks_shape import Block, Call, Item, Ref, Repeat
from netspec.frontends.imported import Imported, Stage, Symbol
from netspec.frontends.pieces import INDENT, WIDTH, stage_call, unit_text, value_text, wrapped
from netspec.frontends.plan import Line, Unit, is_param, lines, referenced, units
from netspec.ops import REGISTRY

KEYWORDS = frozenset(
    ("const", "defaults", "block", "network", "let", "repeat", "as", "if", "else", "from")
    + ("true", "false", "none", "and", "or", "not")
)
# stages that finish the one before them (`conv bn relu`): a line is not broken before them
AVOIDED = KEYWORDS | {"in", "param", "input"}  # names that would read as something else


def spec_text(
    imported: Imported, checkpoints: bool = False, branches: bool = True, blocks: bool = True
) -> str:
    """The spec of `imported`; with `checkpoints`, `-> [dims]` after named statements
    (the text is checked once without them to learn the shapes); with `blocks`, repeated
    structure as blocks and repeats (netspec/frontends/blocks.py), else written out."""
    shapes = _shapes(imported, branches) if checkpoints else {}
    return _text(imported, branches, shapes, blocks)


def _blocks(imported: Imported, found: list[Line], taken: set[str]) -> Blocked:
    """The source's own blocks (an ONNX model's local functions) where it has them and
    they fit the statements; else the blocks the search finds."""
    given = given_blocks(imported, found, taken) if any(s.scope for s in imported.stages) else None
    return given if given is not None else find_blocks(imported, found, taken)


def _text(imported: Imported, branches: bool, shapes: dict[str, str], blocks: bool = True) -> str:
    imported, consts = _consts(imported)
    imported, defaults = _defaults(imported)
    top = units(imported, branches)
    found = lines(imported, top)
    names = _names(imported, top, found)
    taken = {*names.values(), *AVOIDED, _identifier(imported.name, KEYWORDS, "Imported")}
    blocked = _blocks(imported, found, taken) if blocks else None
    out = _comment(f"Imported by `netspec import` from {imported.source}.")
    for note in imported.notes:
        out += _comment(f"Note: {note}")
    out += consts + defaults
    for block in blocked.blocks if blocked else ():
        out += [*_block_text(imported, block, blocked.blocks), ""]
    out += [f"network {_identifier(imported.name, KEYWORDS, 'Imported')} {{"]
    out += [INDENT + _input_text(i, names[i.name]) for i in imported.inputs]
    for k, line in enumerate(found):
        if blocked is None:
            out += _statement(imported, line, names, shapes)
        else:
            items = blocked.statements[k]
            out += _blocked_statement(imported, line, items, names, shapes, blocked.blocks)
    outputs = [names[t] for t in imported.outputs]
    if outputs and outputs != [names.get(found[-1].units[-1].output) if found else None]:
        out.append(f"{INDENT}output {', '.join(outputs)}")
    return "\n".join(out) + "\n}\n"


def _consts(imported: Imported) -> tuple[Imported, list[str]]:
    """A table argument (a conv's `connect`) as a `const` before the network, named
    after its layer, the argument naming it (`conv(16, 5, connect=C3_TABLE)`, as
    LeNet-5's spec writes it): the stages that name them, and the const lines."""
    rows: list[str] = []
    named: dict[tuple, Symbol] = {}  # a table two layers share is one const
    stages = list(imported.stages)
    for k, stage in enumerate(stages):
        kinds = {p.name: p.kind for p in REGISTRY[stage.op].params}
        kwargs = list(stage.kwargs)
        for i, (key, value) in enumerate(kwargs):
            if kinds.get(key) != "table" or not isinstance(value, tuple):
                continue
            if value not in named:
                layer = re.sub(f"_{stage.op}$", "", stage.output)  # c3_conv: C3's
                name = _free(f"{_identifier(layer, (), 't').upper()}_TABLE", set(named.values()))
                named[value] = Symbol(name)
                rows += [*_table_text(name, value), ""]
            kwargs[i] = (key, named[value])
        stages[k] = stage._replace(kwargs=tuple(kwargs))
    return imported._replace(stages=tuple(stages)), rows


def _defaults(imported: Imported) -> tuple[Imported, list[str]]:
    """A keyword argument that every call of an op gives the same value (ViT's
    `layer_norm(eps=1e-06)`, ResNet's `conv(bias=false)`) said once, as the zoo's specs
    say it: `defaults op(key=value)` lines, and the stages without it. Only for an op
    called at least DEFAULTED times, not a merge, and the STYLE arguments."""
    calls: dict[str, list[Stage]] = {}
    for stage in imported.stages:
        if not REGISTRY[stage.op].merge and stage.op != "param":
            calls.setdefault(stage.op, []).append(stage)
    common: dict[str, tuple] = {}
    for op, stages in calls.items():
        shared = set.intersection(*(set(s.kwargs) for s in stages))
        keep = tuple((k, v) for k, v in stages[0].kwargs if (k, v) in shared and k in STYLE)
        if keep and len(stages) >= DEFAULTED:
            common[op] = keep
    if not common:
        return imported, []
    stages = tuple(
        s._replace(kwargs=tuple(kv for kv in s.kwargs if kv not in common.get(s.op, ())))
        for s in imported.stages
    )
    rows = [f"defaults {stage_call(op, [], _kwargs_text(kw))}" for op, kw in common.items()]
    return imported._replace(stages=stages), [*rows, ""]


DEFAULTED = 3
# the arguments that say how a layer computes, not what shapes it makes: a file-wide
# default for them reads as a convention (the zoo's `defaults conv(bias=false)`)
STYLE = frozenset({"bias", "eps", "momentum", "affine", "approximate"})


def _kwargs_text(kwargs: tuple) -> list[str]:
    return [f"{key}={value_text(v)}" for key, v in kwargs]


def _table_text(name: str, table: tuple) -> list[str]:
    """`const NAME = [[...], [...],` rows of at most WIDTH, aligned under the first."""
    head = f"const {name} = ["
    rows = [head]
    for k, row in enumerate(table):
        piece = value_text(row) + ("," if k < len(table) - 1 else "]")
        if rows[-1] != head and len(rows[-1]) + 1 + len(piece) > WIDTH:
            rows.append(" " * len(head))
        rows[-1] += piece if rows[-1].endswith(("[", " ")) else " " + piece
    return rows


def _shapes(imported: Imported, branches: bool) -> dict[str, str]:
    """Each named statement's output shape, as `netspec check` of the plain text says."""
    from netspec.api import check
    from netspec.source import Source

    [analysis] = check(Source("<import>", _text(imported, branches, {})))
    graph = analysis.graph
    # a size traced as a formula (floor((H - 1) / 2) + 1) is not written: no checkpoint
    written = {s.name: [str(d) for d in graph.shape(s.output)] for s in graph.statements}
    return {
        name: "[" + ", ".join(dims) + "]"
        for name, dims in written.items()
        if all(d.isdigit() or d.isidentifier() for d in dims)
    }


def _names(imported: Imported, top: list[Unit], found: list[Line]) -> dict[str, str]:
    """Tensor -> its name in the spec: the inputs, and each statement's result that is
    read by name; names kept from the source where they are free, else suffixed."""
    taken = set(AVOIDED)
    for i in imported.inputs:
        taken.update(d for d in i.shape if isinstance(d, str))  # N, H: bound in the scope
    names: dict[str, str] = {}
    for i in imported.inputs:
        names[i.name] = _free(i.name, taken)
    wanted = referenced(imported, top, found)
    for line in found:
        for unit in line.units:  # a learned tensor is declared by its name
            if is_param(imported, unit) and unit.output not in names:
                names[unit.output] = _free(unit.output, taken)
        last = line.units[-1].output
        if last in wanted and last not in names:
            names[last] = _free(last, taken)
        for tensor in _parts(imported, line):  # `seq, h, c = lstm(...)` names every part
            if tensor not in names:
                names[tensor] = _free(tensor, taken)
    return names


def _parts(imported: Imported, line: Line) -> list[str]:
    """The outputs of a statement whose last stage makes several, in order ([] if not)."""
    unit = line.units[-1]
    return [unit.output, *(imported.stages[i].output for i in unit.more)] if unit.more else []


def _head(imported: Imported, line: Line, names: dict[str, str]) -> str:
    """`name = `, `seq, h, c = ` (several outputs), or nothing."""
    parts = _parts(imported, line)
    if parts:
        return ", ".join(names[t] for t in parts) + " = "
    name = names.get(line.units[-1].output)
    return f"{name} = " if name else ""


def _free(name: str, taken: set[str]) -> str:
    base = _identifier(name, (), "t")
    name, n = base, 1
    while name in taken or name in REGISTRY:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _identifier(name: str, avoid, fallback: str) -> str:
    name = re.sub(r"\W", "_", name, flags=re.ASCII).strip("_") or fallback
    if name[0].isdigit() or name in avoid:
        name = f"{fallback}_{name}"
    return name


def _comment(text: str) -> list[str]:
    """`text` as comment lines of at most WIDTH, on one line or several."""
    lines = textwrap.wrap(" ".join(str(text).split()), WIDTH - 2, break_on_hyphens=False)
    return [f"# {line}" for line in lines]


def _input_text(i, name: str) -> str:
    dims = ", ".join(str(d) for d in i.shape)
    dtype = "" if i.dtype == "float32" else f" {i.dtype}"
    return f"input {name}: [{dims}]{dtype}"


def _statement(imported: Imported, line: Line, names: dict[str, str], shapes) -> list[str]:
    out = [] if line.source is None else [f"{INDENT}from {names[line.source]}"]
    name = names.get(line.units[-1].output)
    head = _head(imported, line, names)
    tail = f" -> {shapes[name]}" if name in shapes else ""
    return out + _items_text(imported, list(line.units), names, [], INDENT, head, tail)


def _blocked_statement(imported: Imported, line: Line, items, names, shapes, blocks) -> list[str]:
    """A statement whose units are items (units, calls, repeats): a repeat stands as its
    own statement; a named statement ends with a call, not a repeat (a name in a repeat
    would get the copy's index in its paths). One of units alone is written as ever."""
    if list(items) == list(line.units):  # no call in it, nor in a branch of it
        return _statement(imported, line, names, shapes)
    out = [] if line.source is None else [f"{INDENT}from {names[line.source]}"]
    name = names.get(line.units[-1].output)
    items = list(items)
    if name and isinstance(items[-1], Repeat):
        last = items.pop()
        items += [last.call if last.count == 2 else last._replace(count=last.count - 1)]
        items.append(last.call)
    head = _head(imported, line, names)
    tail = f" -> {shapes[name]}" if name in shapes else ""
    return out + _items_text(imported, items, names, blocks, INDENT, head, tail)


def _items_text(imported, items: list[Item], names, blocks, indent, head="", tail="") -> list:
    """Items as statements at `indent`: chains of units and calls, and repeats; the last
    chain takes `head` and `tail` (the statement's name, its checkpoint)."""
    segments: list = []  # chains (lists), and repeats and params, which stand alone
    for item in items:
        alone = isinstance(item, Repeat) or isinstance(item, Unit) and is_param(imported, item)
        if alone or not segments or not isinstance(segments[-1], list):
            segments.append(item if alone else [item])
        else:
            segments[-1].append(item)
    rows: list[str] = []
    for k, segment in enumerate(segments):
        if isinstance(segment, Unit):  # `param name: [dims]`: the stream goes on
            stage = imported.stages[segment.stage]
            rows.append(f"{indent}param {names[stage.output]}: {value_text(stage.args[0])}")
            continue
        if isinstance(segment, Repeat):
            call = _call_text(segment.call, blocks)
            rows += [f"{indent}repeat {_arg(segment.count)} {{", indent + INDENT + call]
            rows.append(indent + "}")
            continue
        lead, end = (head, tail) if k == len(segments) - 1 else ("", "")
        pieces = [
            _call_text(item, blocks) if isinstance(item, Call) else
            unit_text(imported, item, names, indent, _branch_item(blocks))
            for item in segment
        ]  # fmt: skip
        groups = wrapped(pieces, len(indent), len(lead) + len(end))
        rows += [indent + group for group in groups[:-1]]
        rows.append(f"{indent}{lead}{groups[-1]}{end}")
    return rows


def _branch_item(blocks: list[Block]):
    """How a call or a repeat in a merge's branch is written, at the branch's indent: a
    repeat as the statement it is, over three lines."""

    def text(item: Call | Repeat, indent: str) -> str:
        if isinstance(item, Call):
            return _call_text(item, blocks)
        call = indent + INDENT + _call_text(item.call, blocks)
        return f"repeat {_arg(item.count)} {{\n{call}\n{indent}}}"

    return text


def _call_text(call: Call, blocks: list[Block]) -> str:
    return stage_call(blocks[call.block].name, [_arg(a) for a in call.args], [])


def _arg(v) -> str:
    return v.name if isinstance(v, Ref) else value_text(v)


# a block parameter in a stage's arguments, written as a string the emitter quotes, then
# replaced by the parameter's name: the stage is written as any other
_MARK = re.compile("([\"'])\x01([^\x02]+)\x02\\1")


def _block_text(imported: Imported, block: Block, blocks: list[Block]) -> list[str]:
    """`block name(params) { body }`: the body's stages as the block writes them."""
    stages = tuple(_marked(block.stages.get(i, s)) for i, s in enumerate(imported.stages))
    view = imported._replace(stages=stages)
    rows = [f"block {block.name}({', '.join(block.params)}) {{"]
    rows += _items_text(view, list(block.body), dict(block.tensors), blocks, INDENT)
    rows.append("}")
    return [_MARK.sub(r"\2", row) for row in rows]


def _marked(stage: Stage) -> Stage:
    args = tuple(_mark(a) for a in stage.args)
    return stage._replace(args=args, kwargs=tuple((k, _mark(v)) for k, v in stage.kwargs))


def _mark(v):
    if isinstance(v, Ref):
        return f"\x01{v.name}\x02"
    if isinstance(v, tuple):
        return tuple(_mark(x) for x in v)
    return v
