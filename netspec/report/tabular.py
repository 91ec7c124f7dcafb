"""Analysis -> one row per layer: CSV (`--format csv`) and Markdown (`--format markdown`).

Assumes analyses that checked. Guarantees the same columns in both formats, in the
order of ``LAYER_COLUMNS``: CSV with exact integers and receptive fields as exact
fractions, Markdown with thousands separators and a paragraph of totals per network.
Nothing here prints; the CLI writes what these functions return.
"""

from __future__ import annotations

import csv
import io

from netspec.analysis import Analysis
from netspec.analysis.receptive import Field
from netspec.report.figures import DEFAULT, Figures, Options, figures
from netspec.values import show_shape, typed_shape

LAYER_COLUMNS = (
    "network",
    "path",
    "op",
    "statement",
    "description",
    "input_shapes",
    "output_shape",
    "params",
    "trainable_params",
    "fixed_params",
    "buffers",
    "connections",
    "macs",
    "flops",
    "cost",
    "rf_size",
    "rf_stride",
    "rf_padding",
    "activation_bytes",
)


def _rf_cells(field: Field | None) -> list[str]:
    if field is None:
        return ["", "", ""]
    from netspec.units import fraction

    parts = (field.size, field.stride, field.padding)
    return [" ".join(fraction(v) for v in part) for part in parts]


def _layer_row(f: Figures, index: int) -> list:
    layer = f.analysis.layers[index]
    c = layer.counts
    cost = f.costs.per_layer[index]
    return [
        f.analysis.name,
        layer.path,
        layer.op,
        layer.statement,
        layer.description,
        " ".join(show_shape(s) for s in layer.input_shapes),
        show_shape(layer.output_shape),
        c.params,
        c.trainable,
        c.fixed,
        c.buffers,
        layer.connections,
        layer.cost.macs,
        layer.cost.flops,
        "" if cost is None else cost,
        *_rf_cells(layer.receptive_field),
        f.activation_bytes(layer),
    ]


def to_csv(analyses: list[Analysis], options: Options = DEFAULT) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LAYER_COLUMNS)
    for analysis in analyses:
        f = figures(analysis, options)
        writer.writerows(_layer_row(f, i) for i in range(len(analysis.layers)))
    return out.getvalue()


_NUMERIC = {"params", "trainable_params", "fixed_params", "buffers", "connections", "macs"}
_NUMERIC |= {"flops", "cost", "activation_bytes"}


def to_markdown(analyses: list[Analysis], options: Options = DEFAULT) -> str:
    parts = []
    for analysis in analyses:
        f = figures(analysis, options)
        parts.append(f"## {analysis.name}\n")
        parts.append("| " + " | ".join(LAYER_COLUMNS[1:]) + " |")
        parts.append("|" + "---|" * (len(LAYER_COLUMNS) - 1))
        for index in range(len(analysis.layers)):
            cells = _layer_row(f, index)[1:]
            shown = [
                f"{x:,}" if name in _NUMERIC and isinstance(x, int) else str(x)
                for name, x in zip(LAYER_COLUMNS[1:], cells, strict=True)
            ]
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in shown) + " |")
        parts.append("\n" + _markdown_totals(f) + "\n")
    return "\n".join(parts)


def _markdown_totals(f: Figures) -> str:
    from netspec.units import size

    t, m, ct = f.analysis.totals, f.memory, f.costs
    graph = f.analysis.graph
    inputs = ", ".join(f"{n} {typed_shape(graph, i)}" for n, i in graph.inputs)
    complete = "" if ct.complete else f" (incomplete: no formula for {len(ct.uncounted)} layers)"
    return (
        f"Total: {t.params:,} parameters ({t.trainable_params:,} trainable, "
        f"{t.fixed_params:,} fixed), {t.buffers:,} buffers, {t.connections:,} connections.  \n"
        f"Cost: {ct.total:,} {ct.convention.title}{complete} under the convention "
        f"`{ct.convention.name}` ({ct.convention.definition}), input {inputs}; "
        f"{t.macs:,} multiply-adds, {t.flops:,} FLOPs.  \n"
        f"Memory ({m.dtype}): parameters and buffers {size(m.param_bytes + m.buffer_bytes)}, "
        f"activations {size(m.activation_bytes)}, inference peak "
        f"{size(m.peak_activation_bytes)}; training estimate "
        f"{size(m.training_bytes['sgd'])} (SGD with momentum), "
        f"{size(m.training_bytes['adam'])} (Adam)" + _cache(m) + "."
    )


def _cache(m) -> str:
    from netspec.units import size

    if m.kv_cache_bytes is None:
        return ""
    return f"; key/value cache {size(m.kv_cache_bytes)} for {m.kv_context:,} positions"
