"""What a row of the report built, in a few words: the table's op column and the JSON
statements' `description`.

Assumes an :class:`netspec.analysis.Analysis` whose layers are its graph's nodes, in
order. Guarantees the compact form of every layer a row holds (`conv 3x3 /1, 16 p1 · bn
· relu`), a block call as its own call with every argument bound by name
(`stage(width=64, blocks=3, stride=1)`), a whole repeated sequence once with its count
(`3 × (conv 3x3 /1, 8 p1 · relu)`), the statement as written (its first line) only where
it is a `repeat` or an `if` whose compact form would be longer, and "-" for a row without layers.
"""

from __future__ import annotations

from netspec.analysis import Analysis
from netspec.ir import BlockCall, Node
from netspec.source import Span
from netspec.values import show_value


def call_text(call: BlockCall) -> str:
    """`stage(width=64, blocks=3, stride=1)`: the block with its bound arguments."""
    args = [f"{k}={show_value(v)}" for k, v in call.args]
    args += [f"{k}=<tensor>" for k, _ in call.tensor_args]
    return f"{call.block}({', '.join(args)})"


def _items(analysis: Analysis, indices: list[int], within: str) -> list[str]:
    """One text per layer or per outermost block call below `within` (a path prefix)."""
    calls = {c.path: c for c in analysis.graph.calls}
    items: list[str] = []
    last = None
    for i in indices:
        node: Node = analysis.graph.nodes[i]
        site = next((c for c in node.chain if not _encloses(c.path, within)), None)
        if site is None:
            items.append(analysis.layers[i].description)
            last = None
        elif site.path != last:  # the layers of one call make one item
            call = calls.get(site.path)
            items.append(call_text(call) if call else site.block)
            last = site.path
    return items


def _encloses(path: str, within: str) -> bool:
    return bool(within) and (within == path or within.startswith(path + "."))


def _fold(items: list[str]) -> str:
    """The items joined by ·; a sequence that is one part repeated, once with its count."""
    n = len(items)
    for period in range(1, n // 2 + 1):
        if n % period == 0 and items == items[:period] * (n // period):
            part = " · ".join(items[:period])
            return f"{n // period} × " + (f"({part})" if period > 1 else part)
    return " · ".join(items)


def statement_description(analysis: Analysis, index: int) -> str:
    """The op text of top-level statement `index`."""
    figures = analysis.statements[index]
    if not figures.layers:
        return "-"
    compact = _fold(_items(analysis, list(figures.layers), ""))
    body = analysis.graph.statements[index].body
    if body.text().split(None, 1)[0] not in ("repeat", "if"):
        return compact
    return min(compact, source_label(body), key=len)  # a repeat or an if as written


def source_label(span: Span) -> str:
    """A statement as written; a long one is cut after its first line."""
    if span.line == span.end_line:
        return span.text()
    return span.source.line(span.line)[span.column - 1 :].strip() + " ..."


def group_description(analysis: Analysis, key: str, indices: list[int]) -> str:
    """The op text of the `--depth` row of the layers under path `key`."""
    for call in analysis.graph.calls:
        if call.path == key:
            return call_text(call)
    return _fold(_items(analysis, indices, key)) if indices else "-"
