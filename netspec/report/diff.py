"""`netspec diff A B`: two analyses side by side, statement by statement.

Assumes the analyses of two specs (or of one spec with two parameter sets). Guarantees
networks paired by name (or by position when the names differ), statements matched by
name, A's order first, then those only in B; figures compared: parameters (trainable,
buffers), connections, the cost under the chosen convention and activation elements,
deltas B - A (null where a side lacks the figure). The JSON form is the contract of
:class:`netspec.report.schema.DiffReport`; the table is rich's, imported when made.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.analysis import Analysis
from netspec.analysis.conventions import costs
from netspec.units import si

FIELDS = ("params", "trainable_params", "buffers", "connections", "cost", "activations")


class Pair(NamedTuple):
    a: Analysis
    b: Analysis


def pair_networks(a: list[Analysis], b: list[Analysis]) -> list[Pair]:
    by_name = {x.name: x for x in b}
    if all(x.name in by_name for x in a):
        return [Pair(x, by_name[x.name]) for x in a]
    return [Pair(x, y) for x, y in zip(a, b, strict=False)]


def _statement_figures(analysis: Analysis, convention: str) -> dict[str, dict]:
    per_layer = costs(analysis, convention).per_layer
    out = {}
    for s in analysis.statements:
        layer_costs = [per_layer[i] for i in s.layers]
        out[s.name] = {
            "params": s.counts.params,
            "trainable_params": s.counts.trainable,
            "buffers": s.counts.buffers,
            "connections": s.connections,
            "cost": None if None in layer_costs else sum(layer_costs),
            "activations": sum(analysis.layers[i].activations for i in s.layers),
        }
    return out


def _complete_total(analysis: Analysis, convention: str) -> int | None:
    result = costs(analysis, convention)
    return result.total if result.complete else None  # never a partial sum as a total


def _totals(analysis: Analysis, convention: str) -> dict:
    t = analysis.totals
    return {
        "params": t.params,
        "trainable_params": t.trainable_params,
        "buffers": t.buffers,
        "connections": t.connections,
        "cost": _complete_total(analysis, convention),
        "activations": t.activations,
    }


def _delta(a: dict | None, b: dict | None) -> dict:
    a, b = a or {}, b or {}
    return {
        k: None if a.get(k) is None or b.get(k) is None else b[k] - a[k]
        for k in FIELDS
        if k in a or k in b
    }


def compare(pair: Pair, convention: str) -> dict:
    """The JSON form of one pair: statements (a, b, delta) and totals."""
    sa = _statement_figures(pair.a, convention)
    sb = _statement_figures(pair.b, convention)
    names = list(sa) + [n for n in sb if n not in sa]
    ta, tb = _totals(pair.a, convention), _totals(pair.b, convention)
    return {
        "a": pair.a.name,
        "b": pair.b.name,
        "convention": convention,
        "statements": [
            {"name": n, "a": sa.get(n), "b": sb.get(n), "delta": _delta(sa.get(n), sb.get(n))}
            for n in names
        ],
        "totals": {"a": ta, "b": tb, "delta": _delta(ta, tb)},
    }


def to_json(pairs: list[Pair], convention: str) -> dict:
    return {"diff": [compare(p, convention) for p in pairs]}


def _signed(value: int | None, readable: bool = False) -> str:
    if value is None:
        return "?"
    if value == 0:
        return "0"
    text = si(abs(value)) if readable else f"{abs(value):,}"
    return ("+" if value > 0 else "-") + text


def _cell(figures: dict | None, key: str, readable: bool = False) -> str:
    if figures is None:
        return "absent"
    value = figures[key]
    return "?" if value is None else (si(value) if readable else f"{value:,}")


def _title(analysis: Analysis) -> str:
    params = ", ".join(f"{k}={v}" for k, v in analysis.graph.parameters.items())
    return f"{analysis.name}({params})"


def table(pair: Pair, convention: str):
    """A rich table: per statement, A, B and B - A for parameters and cost."""
    from rich.table import Table

    doc = compare(pair, convention)
    title = costs(pair.a, convention).convention.title
    grid = Table(title=f"{_title(pair.a)} -> {_title(pair.b)}", title_justify="left")
    for heading in ("statement", "params A", "params B", "Δ params"):
        grid.add_column(heading, justify="left" if heading == "statement" else "right")
    for heading in (f"{title} A", f"{title} B", "Δ"):
        grid.add_column(heading, justify="right")
    rows = [*doc["statements"], {"name": "total", **doc["totals"]}]
    for row in rows:
        grid.add_row(
            row["name"],
            _cell(row["a"], "params"),
            _cell(row["b"], "params"),
            _signed(row["delta"].get("params")),
            _cell(row["a"], "cost", True),
            _cell(row["b"], "cost", True),
            _signed(row["delta"].get("cost"), True),
            style="bold" if row["name"] == "total" else None,
        )
    return grid
