"""Completion and signature help: what may be written at the cursor.

- After `=` in an argument list's `key=`: nothing (a value); after `(` or `,` inside a
  stage's arguments: that op's (or block's) argument names, with type and default, and
  the names in scope.
- Elsewhere: op names, the file's blocks, the names in scope, and the keywords.
The stage whose arguments hold the cursor is found by matching brackets backwards on
the text before it (the text may not parse while it is being typed).

Assumes a snapshot (its index may be from an older version that parsed). Guarantees
plain items: a label, a kind, a detail, documentation.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.lsp.hover import WORD, _param, signature
from netspec.lsp.symbols import Index
from netspec.ops import REGISTRY

KEYWORDS = ("network", "block", "const", "defaults", "input", "output", "param", "let")
KEYWORDS += ("repeat", "as", "if", "else", "from", "true", "false", "none", "and", "or", "not")


class Item(NamedTuple):
    label: str
    kind: str  # op, block, argument, name, keyword
    detail: str
    documentation: str = ""


def call_at(before: str) -> tuple[str, int] | None:
    """The stage whose argument list the text `before` ends inside, and the index of the
    argument being written; None outside every argument list."""
    depth, commas = 0, 0
    for i in range(len(before) - 1, -1, -1):
        ch = before[i]
        if ch in ")]}":
            depth += 1
        elif ch in "[{":
            if depth == 0:
                return None
            depth -= 1
        elif ch == "(":
            if depth == 0:
                name = WORD.findall(before[:i].rstrip()[-64:])
                head = before[:i].rstrip()
                return (name[-1], commas) if name and head.endswith(name[-1]) else None
            depth -= 1
        elif ch == "," and depth == 0:
            commas += 1
    return None


def complete(before: str, names: Index | None, line: int) -> list[Item]:
    """The items for the cursor after the text `before` on line `line` (1-based)."""
    scope = names.scope_at(line) if names is not None else ""
    visible = names.visible(scope) if names is not None else []
    call = call_at(before)
    if call is not None:
        if before.rstrip().endswith("="):
            return _names(visible)
        return _arguments(call[0], names) + _names(visible)
    items = [Item(op, "op", REGISTRY[op].summary, signature(op)) for op in sorted(REGISTRY)]
    items += _names(visible)
    items += [Item(k, "keyword", "keyword") for k in KEYWORDS]
    return items


def _arguments(callee: str, names: Index | None) -> list[Item]:
    if callee in REGISTRY:
        return [
            Item(f"{p.name}=", "argument", f"{p.kind} · {_param(p)}", p.doc)
            for p in REGISTRY[callee].params
        ]
    if names is None:
        return []
    return [
        Item(f"{d.name}=", "argument", f"parameter of block {callee}")
        for d in names.definitions
        if d.scope == callee and d.kind == "parameter"
    ]


def _names(visible) -> list[Item]:
    return [Item(d.name, "block" if d.kind == "block" else "name", d.kind) for d in visible]


def signature_at(before: str, names: Index | None) -> tuple[str, list[str], int] | None:
    """Signature help: the callee's signature label, its parameters' labels, and the
    active one; None outside an argument list."""
    call = call_at(before)
    if call is None:
        return None
    callee, index = call
    if callee in REGISTRY:
        params = [_param(p) for p in REGISTRY[callee].params]
    elif names is not None:
        params = [d.name for d in names.definitions if d.scope == callee and d.kind == "parameter"]
        if not params and not any(
            d.name == callee and d.kind == "block" for d in names.definitions
        ):
            return None
    else:
        return None
    return f"{callee}({', '.join(params)})", params, min(index, max(len(params) - 1, 0))
