"""Hierarchical paths for layers: the names in reports, PyTorch and ONNX.

Assumes the frame a statement is elaborated in and the set of paths already used.
Guarantees each layer a path by these rules (docs/language.md, "Names"), anonymous
ones skipping the paths in use:
- a named statement `C1 = conv(6, 5) scaled_tanh` names its stages `C1.conv`,
  `C1.scaled_tanh`; an op repeated in the chain is numbered (`b.conv1`, `b.conv2`);
  a one-stage named statement is the stage itself (`output = rbf(10)` -> `output`);
- an anonymous statement's stages are numbered per scope and op: `conv1`, `bn1`,
  `relu1`, `conv2`, ... (repeat and if bodies share their scope's counters);
- blocks, merge branches (`add1.0`, `add1.1`) and named statements open a scope;
- inside `repeat`, a named statement gets the iteration index: `unit.0`, `unit.1`.

Also :func:`definition_name_span`: where the name of a `block` / `network` / `const`
is written, so that diagnostics about a definition underline its name.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from netspec.source import Span
from netspec.syntax import ast

if TYPE_CHECKING:
    from netspec.elaborate.frame import Frame


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def stage_paths(frame: Frame, stmt: ast.ChainStmt, used: set[str]) -> list[str]:
    """One path per stage of the statement; anonymous names skip paths already used."""
    if stmt.name is None:
        return [auto_name(frame, stage.name, used) for stage in stmt.stages]
    base = join(frame.prefix, stmt.name + frame.suffix)
    if len(stmt.stages) == 1:
        return [base]
    total = Counter(stage.name for stage in stmt.stages)
    seen: Counter[str] = Counter()
    names: list[str] = []
    for stage in stmt.stages:
        seen[stage.name] += 1
        name = _numbered(stage.name, seen[stage.name]) if total[stage.name] > 1 else stage.name
        while name in names:  # `a = conv conv conv1`: the plain conv1 follows the numbered
            seen[stage.name] += 1
            name = _numbered(stage.name, seen[stage.name])
        names.append(name)
    return [join(base, name) for name in names]


def auto_name(frame: Frame, word: str, used: set[str]) -> str:
    """The next free `wordK` of the scope: not a path in use, not a statement's name."""
    while True:
        frame.counters[word] = frame.counters.get(word, 0) + 1
        name = _numbered(word, frame.counters[word])
        if join(frame.prefix, name) not in used and name not in frame.reserved:
            return join(frame.prefix, name)


def _numbered(word: str, k: int) -> str:
    """`conv` 2 -> `conv2`; a name ending in a digit takes an underscore: `relu6_2`."""
    return f"{word}_{k}" if word[-1].isdigit() else f"{word}{k}"


def statement_names(body: tuple[ast.Stmt, ...]) -> frozenset[str]:
    """Names of the named statements of a scope, in if and repeat bodies too."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.ChainStmt) and stmt.name is not None:
            names.add(stmt.name)
            names.update(n.id for n in stmt.names)
        elif isinstance(stmt, ast.ParamStmt):
            names.add(stmt.name)
        elif isinstance(stmt, ast.RepeatStmt):
            names |= statement_names(stmt.body)
        elif isinstance(stmt, ast.IfStmt):
            names |= statement_names(stmt.then) | statement_names(stmt.orelse)
    return frozenset(names)


_DEFINITION = re.compile(r"[A-Za-z_]+[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


def definition_name_span(span: Span, name: str) -> Span:
    """The span of `name` in `keyword name ...` starting at `span`; else `span` itself.

    The grammar keeps a definition's keyword and name on one line, so the name is found
    on the definition's first line.
    """
    match = _DEFINITION.match(span.source.line(span.line), span.column - 1)
    if match is None or match.group(1) != name:
        return span
    start = match.start(1) + 1
    return Span(span.source, span.line, start, span.line, start + len(name))
