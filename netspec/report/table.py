"""The terminal report: a rich table per network, its totals and the heaviest layers.

Assumes :class:`netspec.report.figures.Figures` of a checked analysis. Guarantees rows
that are statements (depth 0) or groups of layers by path prefix (depth N), each with
what it built (:mod:`netspec.report.describe`), the columns of Options.columns that fit
Options.width (:mod:`netspec.report.fit`; None keeps them all) and a line naming those
left out, costs and bytes rounded (`4.09 G`, `98 MiB`), parameters and connections
exact; rich is imported only when a table is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from netspec.analysis.receptive import Field
from netspec.errors import render
from netspec.ops import Counts
from netspec.report.describe import group_description, statement_description
from netspec.report.figures import Figures
from netspec.report.fit import Fit, choose, fold_lines, wrap_op
from netspec.units import per_axis, si, size
from netspec.values import Shape, show_shape, typed_shape


class Row(NamedTuple):
    """One row of the table: a statement, a group of layers, or one layer."""

    name: str
    op: str
    output_shape: Shape
    counts: Counts
    connections: int
    cost: int | None  # None: a layer without a formula under the convention
    field: Field | None
    activation_bytes: int


def _row(f: Figures, name: str, label: str, indices: list[int], shape: Shape | None = None) -> Row:
    """The row of `indices`; `shape` is the output of a statement that makes no layer."""
    layers = [f.analysis.layers[i] for i in indices]
    per_layer = [f.costs.per_layer[i] for i in indices]
    # `repeat 0`, a false `if` or an `if` of `let`s only: the stream passes unchanged.
    last = layers[-1] if layers else None
    return Row(
        name,
        label or "-",
        last.output_shape if last else shape,
        Counts.total(x.counts for x in layers),
        sum(x.connections for x in layers),
        None if None in per_layer else sum(per_layer),
        last.receptive_field if last else None,
        sum(f.activation_bytes(x) for x in layers),
    )


def rows(f: Figures, depth: int = 0) -> list[Row]:
    """Table rows: statements at depth 0; layers grouped by path prefix below that."""
    analysis = f.analysis
    if depth <= 0:
        out = []
        for index, s in enumerate(analysis.statements):
            label = statement_description(analysis, index)
            out.append(_row(f, s.name, label, list(s.layers), s.output_shape))
        return out
    groups: dict[str, list[int]] = {}
    for index, layer in enumerate(analysis.layers):
        key = ".".join(layer.path.split(".")[: depth + 1])
        groups.setdefault(key, []).append(index)
    return [_row(f, key, group_description(analysis, key, idx), idx) for key, idx in groups.items()]


def field_text(field: Field | None) -> str:
    """`212 /32 p90`; per-axis values joined by x where the axes differ."""
    if field is None:
        return "-"
    return f"{per_axis(field.size)} /{per_axis(field.stride)} p{per_axis(field.padding)}"


def _share(cost: int | None, total: int) -> str:
    if cost is None:
        return "?"
    return f"{100 * cost / total:.1f}%" if total else "-"


# column -> (heading, cell); "cost" takes its heading from the convention.
_CELLS = {
    "shape": ("output shape", lambda f, r: show_shape(r.output_shape)),
    "params": ("params", lambda f, r: _params(r.counts)),
    "connections": ("connections", lambda f, r: f"{r.connections:,}"),
    "cost": (None, lambda f, r: "no formula" if r.cost is None else si(r.cost)),
    "share": ("share", lambda f, r: _share(r.cost, f.costs.total)),
    "rf": ("receptive field", lambda f, r: field_text(r.field)),
    "memory": ("activations", lambda f, r: size(r.activation_bytes)),
}


def _params(counts: Counts) -> str:
    text = f"{counts.params:,}"
    return text + (f" ({counts.fixed:,} fixed)" if counts.fixed else "")


def table(f: Figures, failed: str = ""):
    """A rich renderable: the table, the columns it leaves out to fit Options.width,
    the totals, the heaviest layers and the warnings; `failed` names the statement of
    the network's first error, its last row, marked."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.text import Text

    analysis, options = f.analysis, f.options
    names, ops, cells = _cells(f, failed)
    columns = [c for c in options.columns if c in _CELLS]
    headings = {c: _CELLS[c][0] or f.costs.convention.title for c in columns}
    if options.width is None:  # --wide: every column, as wide as it needs
        fit = Fit(columns, None, 0, [])
    else:
        widths = {c: max(cell_len(x) for x in [headings[c], *cells[c]]) for c in columns}
        widths["name"] = max(cell_len(x) for x in ["name", *names])
        fit = choose(widths, columns, ops, options.width)
        ops = [wrap_op(op, fit.op) for op in ops] if fit.op is not None else []
    kept_op = fit.op is not None or options.width is None  # as _grid adds the column
    columns = [names, *([ops] if kept_op else []), *(cells[c] for c in fit.columns)]
    parts = [_Grid(lambda: _grid(f, fit, headings), columns, wraps=options.width is None)]
    width = options.width or 0
    if width and (fit.omitted or fit.op is None):
        parts.append(Text("\n".join(fold_lines([_omitted(fit, headings, width)], width, 0))))
    fold = (lambda x: x) if options.width is None else (lambda x: fold_lines(x, options.width))
    parts.append(Text("\n".join(fold(summary_lines(f)))))
    if options.top:
        parts.append(Text("\n".join(fold(top_lines(f, options.top)))))
    if analysis.warnings:
        # A diagnostic is laid out by its renderer (carets under columns, a gutter):
        # wrapping it at the width would break that, so its lines run as they are.
        text = "\n".join(render(w) + "\n" for w in analysis.warnings)
        parts.append(Text(text, no_wrap=True, overflow="ignore"))
    return Group(*parts)


class _Grid:
    """The table with its rows, added when the console's width is known.

    rich lays out a table without row lines the same whether its rows are added one by
    one or as one tall row per column, but spends ~0.6 ms a row on the cells' wrapping
    and measuring; the tall row makes a 10,000-row table ~15x faster (docs/
    performance.md, "Inside every limit"). It is exact where no cell wraps: always when
    the op column is no_wrap, and under --wide (where it wraps) when the table fits.
    """

    by_row = False  # always add the rows one by one (the tests compare the two layouts)

    def __init__(self, make: Callable[[], Any], columns: list[list[str]], wraps: bool) -> None:
        self.make, self.columns, self.wraps = make, columns, wraps

    def __rich_console__(self, console, options):
        grid = self.make()  # a new one each time: rendering twice must not add rows twice
        wrapped = self.wraps and _natural_width(grid, self.columns) > options.max_width
        if self.by_row or wrapped:
            for row in zip(*self.columns, strict=True):
                grid.add_row(*row)
        elif self.columns[0]:
            grid.add_row(*stacked(self.columns))
        yield grid


def _natural_width(grid, columns: list[list[str]]) -> int:
    """The table's width with no cell wrapped: its cells and headings, a space each side
    of every cell, a rule between and around the columns."""
    from rich.cells import cell_len

    widths = [
        max(cell_len(line) for cell in [c.header, *cells] for line in str(cell).split("\n"))
        for c, cells in zip(grid.columns, columns, strict=True)
    ]
    return sum(widths) + 3 * len(widths) + 1


def stacked(columns: list[list[str]]) -> list[str]:
    """Each column's cells as one multi-line cell, every row padded to its tallest cell."""
    heights = [max(cells.count("\n") for cells in row) + 1 for row in zip(*columns, strict=True)]

    def padded(cell: str, height: int) -> str:
        return cell + "\n" * (height - 1 - cell.count("\n"))

    return ["\n".join(map(padded, cells, heights)) for cells in columns]


def _cells(f: Figures, failed: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Names, op texts and every column's cells; the row of the statement a failing
    network stopped at is marked, and where it made no layer shows only the mark (its
    shape would be the stream it never replaced)."""
    names, ops, cells = [], [], {c: [] for c in _CELLS}
    for row in rows(f, f.options.depth):
        marked = bool(failed) and row.name == failed and f.options.depth <= 0
        names.append(f"✗ {row.name}" if marked else row.name)
        ops.append("not accepted" if marked and row.op == "-" else row.op)
        for c, (_, cell) in _CELLS.items():
            cells[c].append("-" if marked and row.op == "-" else cell(f, row))
    return names, ops, cells


def _grid(f: Figures, fit: Fit, headings: dict[str, str]):
    from rich.cells import cell_len
    from rich.table import Table

    graph = f.analysis.graph
    params = ", ".join(f"{k}={v}" for k, v in graph.parameters.items())
    inputs = ", ".join(f"{n}: {typed_shape(graph, i)}" for n, i in graph.inputs)
    title = f"{f.analysis.name}" + (f"({params})" if params else "") + f"  input {inputs}"
    # A table narrower than its title would wrap the title inside a shape.
    width = f.options.width
    grid = Table(title=title, title_justify="left", title_style="bold")
    if width is not None:
        grid.min_width = min(cell_len(title), width)
    grid.add_column("name", style="bold", no_wrap=True)
    if fit.op is not None or width is None:
        grid.add_column("op", no_wrap=width is not None)
    for column in fit.columns:
        justify = "left" if column == "shape" else "right"
        grid.add_column(headings[column], justify=justify, no_wrap=True)
    if width is not None and fit.width > width:
        grid.width = fit.width  # too narrow even for name, shape and params: never cut them
    return grid


def _omitted(fit: Fit, headings: dict[str, str], width: int) -> str:
    left = ([] if fit.op is not None else ["op"]) + [headings[c] for c in fit.omitted]
    return (
        f"left out to fit {width} columns: {', '.join(left)} "
        "(--wide shows every column, --columns chooses)"
    )


def _sizes_counted_as_one(graph) -> str:
    """The symbolic sizes of the inputs other than the batch axis (`H, W`), or ''."""
    names = dict.fromkeys(
        d for _, t in graph.inputs for d in graph.shape(t)[1:] if isinstance(d, str)
    )
    return " and ".join([", ".join(list(names)[:-1]), list(names)[-1]] if len(names) > 1 else names)


def summary_lines(f: Figures) -> list[str]:
    """The totals: parameters, connections, cost under its named convention, memory."""
    a, t, m, ct = f.analysis, f.analysis.totals, f.memory, f.costs
    inputs = ", ".join(f"{n} {typed_shape(a.graph, i)}" for n, i in a.graph.inputs)
    cost = _exact_and_readable(ct.total)
    if not ct.complete:
        shown = ", ".join(ct.uncounted[:3]) + (" ..." if len(ct.uncounted) > 3 else "")
        cost += f"  INCOMPLETE: no formula for {len(ct.uncounted)} layers ({shown})"
    batch = f" x batch {m.batch}" if m.batch != 1 else ""
    lines = [
        f"parameters     {_count(t.params):>18}   trainable "
        f"{t.trainable_params:,}, fixed {t.fixed_params:,}",
        f"buffers        {t.buffers:>18,}",
        f"connections    {_count(t.connections):>18}",
        f"{ct.convention.title:<14} {cost:>18}   convention '{ct.convention.name}', "
        f"input {inputs}, batch 1 where N is symbolic",
        f"{'':33}({ct.convention.definition})",
    ]
    symbols = "" if a.graph.sizes else _sizes_counted_as_one(a.graph)
    if a.graph.sizes:
        lines.append(_symbolic_line(a.graph.sizes, t.params))
    if symbols:
        verb, them = ("count", "them") if " and " in symbols else ("counts", "it")
        lines.append(
            f"{'':33}NOTE: {symbols} {verb} as 1 here: these figures are a size-1 input's, "
            f"not formulas of {them}"
        )
    if ct.convention.name != "macs":
        lines.append(f"multiply-adds  {_exact_and_readable(t.macs):>18}")
    if ct.convention.name != "flops":
        lines.append(f"FLOPs          {_exact_and_readable(t.flops):>18}")
    lines += [
        f"param memory   {size(m.param_bytes + m.buffer_bytes):>18}   {m.dtype}, buffers included",
        f"activations    {size(m.activation_bytes):>18}   all layer outputs{batch}; "
        f"peak {size(m.peak_activation_bytes)} at inference (tensor lifetimes)",
        f"training (est.) {size(m.training_bytes['sgd']):>17}   SGD with momentum; "
        f"Adam {size(m.training_bytes['adam'])} (weights, gradients, optimizer state, "
        "saved activations)",
    ]
    if m.internal_bytes:
        lines.append(
            f"{'':33}of which {size(m.internal_bytes)} kept inside layers for the backward "
            "pass (attention's q, k, v and L x L weights)"
        )
    if m.kv_cache_bytes is not None:
        lines.append(
            f"kv cache       {size(m.kv_cache_bytes):>18}   keys and values of "
            f"{m.kv_context:,} positions{batch}, to generate (--context sets it)"
        )
    return lines


def _count(n: int) -> str:
    """A count as the summary writes it: exact, or a formula with its value."""
    return f"{n:,}" if getattr(n, "hint", None) is None else _exact_and_readable(n)


def _exact_and_readable(n: int) -> str:
    exact = f"{n:,}"
    hint = getattr(n, "hint", None)  # a formula of the symbolic sizes (a SymInt)
    if hint is not None:
        if len(exact) > LONGEST_FORMULA:
            exact = f"a formula of {len(n.expr.terms)} terms (--format json writes it)"
        return f"{exact} (= {hint:,} at the size shown)"
    return exact if si(n) == exact else f"{exact} ({si(n)})"


LONGEST_FORMULA = 160  # characters of a total's formula the summary shows


def _symbolic_line(sizes, params: int) -> str:
    """What symbolic sizes mean for the figures above and below."""
    from netspec.report.accepted import describe

    names = ", ".join(sizes.names)
    every = " = ".join(sizes.names)
    accepted = describe(sizes.accepted) if sizes.complete else "not found exactly"
    holds = describe(sizes.region) if sizes.region is not None else "not found exactly"
    fixed = "; some sizes were fixed at the size shown" if sizes.pinned else ""
    if getattr(params, "hint", None) is not None:
        fixed += "; the parameter count depends on the sizes: a model fits one size only"
    if sizes.joint:
        fixed += f"; the network couples them: {'; '.join(sizes.joint[:3])}"
    return (
        f"sizes          {names} symbolic: every figure is a formula of them, exact for "
        f"{every} = s with s in {holds}{fixed}; numbers are at {every} = {sizes.hint}; "
        f"accepted: s in {accepted} (netspec sizes)"
    )


def top_lines(f: Figures, k: int) -> list[str]:
    """The k layers with the largest cost under the convention, with their share."""
    ranked = sorted(
        (
            (c, i)
            for i, c in enumerate(f.costs.per_layer)
            if c  # layers without a formula or with none of this cost are not "heavy"
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )[:k]
    if not ranked:
        return [f"heaviest layers: none has a {f.costs.convention.title} cost"]
    total = f.costs.total
    lines = [f"heaviest layers ({f.costs.convention.title}):"]
    for cost, index in ranked:
        layer = f.analysis.layers[index]
        lines.append(
            f"  {layer.path:<32} {si(cost):>9}  {_share(cost, total):>6}  {layer.description}"
        )
    covered = sum(c for c, _ in ranked)
    lines.append(f"  top {len(ranked)} together: {_share(covered, total)} of {si(total)}")
    return lines
