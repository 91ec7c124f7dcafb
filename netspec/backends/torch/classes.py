"""One class for the calls of a block that differ only in numbers.

The calls of a block (`basic(64)`, `basic(128, stride=2)`, ...) lower to class bodies
that may differ. Bodies whose `forward` is the same and whose `__init__` differs only
in numeric literals become one class whose constructor takes those numbers, named as a
reader would name them: after the block's own parameter when the number equals that
argument in every call (`width`), `in_channels` when it is the channels of the block's
input, else after the module and argument it sets (`conv1_out_channels`). Bodies that
differ in structure (a shortcut present or not) get a class each.

Works on source text with Python's `tokenize` and `ast`; imports no torch.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from typing import NamedTuple

from netspec.backends.torch.lowering import POSITIONAL
from netspec.ir import BlockCall

# The writer's own container (runtime.Scope) takes the count of its numbered children;
# the modules the lowerings write name their positional parameters in lowering/.
_SCOPE = {"Scope": ("copies",)}


class Variant(NamedTuple):
    """One call and the class body it lowers to."""

    call: BlockCall
    init: str  # the __init__ method's text
    forward: str  # the forward method's text
    in_channels: object  # dim 1 of the call's input, if any


class ClassPlan(NamedTuple):
    """A class to write: its calls, its body, and each call's constructor arguments."""

    calls: list[BlockCall]
    body: str
    arguments: dict[str, str]  # call path -> "width=64, stride=2"


def plan_classes(variants: list[Variant]) -> list[ClassPlan]:
    """Group the calls of one block into classes, in order of first appearance."""
    groups: dict[tuple, list[Variant]] = {}
    for v in variants:
        groups.setdefault((v.forward, _shape(v.init)), []).append(v)
    return [_plan(group) for group in groups.values()]


def _plan(group: list[Variant]) -> ClassPlan:
    calls = [v.call for v in group]
    numbers = [_numbers(v.init) for v in group]
    differing = [j for j in range(len(numbers[0])) if len({n[j][1] for n in numbers}) > 1]
    if not differing:
        return ClassPlan(
            calls, group[0].init + "\n" + group[0].forward, {c.path: "" for c in calls}
        )
    names = _names(group, numbers, differing)
    init = _substitute(group[0].init, [(*numbers[0][j], names[j]) for j in differing])
    params = list(dict.fromkeys(names[j] for j in differing))
    init = init.replace("def __init__(self):", f"def __init__(self, {', '.join(params)}):", 1)
    first = {names[j]: j for j in reversed(differing)}
    arguments = {
        v.call.path: ", ".join(f"{p}={numbers[i][first[p]][1]}" for p in params)
        for i, v in enumerate(group)
    }
    return ClassPlan(calls, init + "\n" + group[0].forward, arguments)


def _shape(text: str) -> tuple:
    """The token stream with every number blanked: equal shapes differ only in numbers."""
    return tuple((t.type, "#" if t.type == tokenize.NUMBER else t.string) for t in _tokens(text))


def _numbers(text: str) -> list[tuple[tuple[int, int], str]]:
    return [(t.start, t.string) for t in _tokens(text) if t.type == tokenize.NUMBER]


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO("if 1:\n" + text).readline))[3:]


def _names(group: list[Variant], numbers, differing: list[int]) -> dict[int, str]:
    """A parameter name per differing position; positions with equal values share one."""
    by_values: dict[tuple, str] = {}
    taken: set[str] = set()
    names: dict[int, str] = {}
    lines = ("if 1:\n" + group[0].init).splitlines()
    for j in differing:
        values = tuple(n[j][1] for n in numbers)
        if values not in by_values:
            name = _meaning(group, values) or _context(lines, numbers[0][j][0])
            name = _fresh(name, taken)
            taken.add(name)
            by_values[values] = name
        names[j] = by_values[values]
    return names


def _meaning(group: list[Variant], values: tuple[str, ...]) -> str | None:
    """The block parameter, or `in_channels`, that equals these numbers in every call."""
    for key, _ in group[0].call.args:
        given = [dict(v.call.args).get(key) for v in group]
        if all(_same(g, x) for g, x in zip(given, values, strict=True)):
            return key
    if all(_same(v.in_channels, x) for v, x in zip(group, values, strict=True)):
        return "in_channels"
    return None


def _same(value: object, literal: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return repr(value) == literal or str(value) == literal


def _context(lines: list[str], at: tuple[int, int]) -> str:
    """`self.conv1 = nn.Conv2d(64, 128, ...)` at 128 -> `conv1_out_channels`."""
    row, col = at
    line = lines[row - 1]
    indent = len(line) - len(line.lstrip())
    code = line.strip().split("  # ", 1)[0]
    try:
        statement = ast.parse(code).body[0]
    except (SyntaxError, IndexError):
        return "value"
    target = _target_name(statement)
    for call in ast.walk(statement):
        if isinstance(call, ast.Call):
            argument = _argument_at(call, col - indent)
            if argument and isinstance(call.func, ast.Name) and argument != "branches":
                return argument  # a block class's own parameter name says it already
            if argument:
                return f"{target}_{argument}" if target else argument
    return target or "value"


def _target_name(statement: ast.stmt) -> str:
    if not isinstance(statement, ast.Assign):
        return ""
    node = statement.targets[0]
    parts: list[str] = []
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    return parts[0] if parts else ""


def _argument_at(call: ast.Call, col: int) -> str:
    func = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    key = func.replace("2d", "1d").replace("3d", "1d")
    positional = POSITIONAL.get(key) or _SCOPE.get(key, ())
    for i, arg in enumerate(call.args):
        if _covers(arg, col):
            return positional[i] if i < len(positional) else f"arg{i}"
    for kw in call.keywords:
        if _covers(kw.value, col):
            return kw.arg or "value"
    return ""


def _covers(node: ast.expr, col: int) -> bool:
    return node.col_offset <= col < (node.end_col_offset or node.col_offset + 1)


def _fresh(name: str, taken: set[str]) -> str:
    name = name if name.isidentifier() else "value"
    if keyword.iskeyword(name) or name in ("self", "torch", "nn", "F"):
        name += "_"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


def _substitute(text: str, replacements: list[tuple[tuple[int, int], str, str]]) -> str:
    """Put names for the number tokens at (row, col) of the `if 1:`-prefixed text."""
    lines = text.splitlines(keepends=True)
    for (row, col), literal, name in sorted(replacements, reverse=True):
        i = row - 2  # row 1 is the prefix
        lines[i] = lines[i][:col] + name + lines[i][col + len(literal) :]
    return "".join(lines)
