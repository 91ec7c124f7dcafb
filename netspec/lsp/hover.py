"""Hover: what the word under the pointer is, in Markdown.

- An op: its signature (each argument with its type and default), what it computes.
- A statement's name (where defined or read): its output shape, parameters,
  multiply-adds and receptive field, from the analysis `netspec check` runs.
- A block: its parameters and where it is called.
- Any other name the spec defines: what it is and where.

Assumes a snapshot and its name index. Guarantees None where there is nothing to say.
"""

from __future__ import annotations

import re

from netspec.lsp.state import Snapshot
from netspec.lsp.symbols import Definition, Index
from netspec.ops import REGISTRY
from netspec.ops.records import REQUIRED
from netspec.units import si
from netspec.values import show_shape

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def word_at(line_text: str, column: int) -> tuple[str, int, int] | None:
    """The identifier at a 1-based column, with its start and end columns."""
    for m in WORD.finditer(line_text):
        if m.start() + 1 <= column <= m.end() + 1:
            return m.group(), m.start() + 1, m.end() + 1
    return None


def hover(snapshot: Snapshot, names: Index | None, line: int, column: int) -> str | None:
    lines = list(snapshot.source.lines)
    found = word_at(lines[line - 1], column) if 0 < line <= len(lines) else None
    if found is None:
        return None
    word = found[0]
    target = names.at(line, column) if names is not None else None
    if target is not None:
        return _definition(snapshot, names, target)
    if word in REGISTRY and _called(lines[line - 1], found[2]):
        return signature(word)
    return None


def _called(text: str, end: int) -> bool:
    """A stage's name: followed by `(`, or standing alone in a chain (not `key=`)."""
    rest = text[end - 1 :].lstrip()
    return not rest.startswith("=") or rest.startswith("==")


def signature(op_name: str) -> str:
    op = REGISTRY[op_name]
    params = ", ".join(_param(p) for p in op.params)
    lines = [f"```netspec\n{op_name}({params})\n```", op.summary]
    docs = [f"- `{p.name}` ({p.kind}): {p.doc}" for p in op.params if p.doc]
    return "\n\n".join([*lines, "\n".join(docs)] if docs else lines)


def _param(p) -> str:
    if p.default is REQUIRED:
        return p.name
    return f"{p.name}={_value(p.default)}"


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "none" if v is None else repr(v) if isinstance(v, str) else str(v)


def _definition(snapshot: Snapshot, names: Index, d: Definition) -> str:
    head = f"**{d.kind}** `{d.name}`" + (f" in `{d.scope}`" if d.scope else "")
    if d.kind == "statement":
        figures = _statement(snapshot, d)
        return head + ("\n\n" + figures if figures else "")
    if d.kind == "block":
        calls = [r.place.line for r in names.references if r.target == d]
        params = [x.name for x in names.definitions if x.scope == d.name and x.kind == "parameter"]
        return (
            f"{head}({', '.join(params)})\n\ncalled on lines {', '.join(map(str, calls)) or 'none'}"
        )
    return f"{head}, line {d.place.line}"


def _statement(snapshot: Snapshot, d: Definition) -> str:
    for analysis in snapshot.analyses:
        if analysis.graph.name != d.scope:
            continue
        for statement, figures in zip(analysis.graph.statements, analysis.statements, strict=False):
            if statement.name != d.name:
                continue
            field = _field(analysis, figures)
            return "\n".join(
                [
                    f"- output `{show_shape(figures.output_shape)}`",
                    f"- parameters {figures.counts.trainable:,} trainable"
                    + (f", {figures.counts.fixed:,} fixed" if figures.counts.fixed else "")
                    + (f", {figures.counts.buffers:,} buffers" if figures.counts.buffers else ""),
                    f"- multiply-adds {figures.cost.macs:,} ({si(figures.cost.macs)})",
                    f"- layers {len(figures.layers)}"
                    + (f"; receptive field {field}" if field else ""),
                ]
            )
    return ""


def _field(analysis, figures) -> str:
    """The receptive field of the statement's last layer on the input, if it has one."""
    if not figures.layers:
        return ""
    layer = analysis.layers[figures.layers[-1]]
    field = layer.receptive_field
    if field is None or field.whole:
        return "the whole input" if field is not None else ""
    return " x ".join(str(a.size) for a in field.axes)
