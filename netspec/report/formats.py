"""Analysis -> what users read: JSON (REPORT.md), CSV and Markdown; the rich table is
in :mod:`netspec.report.table`.

Nothing here prints; the CLI writes what these functions return. Every report names
the cost convention and the input shapes it used. JSON and CSV carry exact integers
(receptive fields as numbers, fractional after upsampling); tables round.
"""

from __future__ import annotations

import csv
import io
import json
from typing import NamedTuple

from netspec._version import __version__
from netspec.analysis import Analysis, LayerFigures
from netspec.analysis.conventions import ConventionTotal, costs
from netspec.analysis.memory import DTYPE_BYTES, Memory
from netspec.analysis.receptive import Field
from netspec.values import Shape, show_shape

SCHEMA_VERSION = 1

COLUMNS = ("shape", "params", "connections", "cost", "share", "rf", "memory")


class Options(NamedTuple):
    """What a report shows: the cost convention, memory dtype and batch, table layout."""

    convention: str = "macs"
    dtype: str = "float32"
    batch: int = 1
    columns: tuple[str, ...] = COLUMNS
    top: int = 0
    depth: int = 0


DEFAULT = Options()


class Figures(NamedTuple):
    """An analysis with the option-dependent figures worked out once."""

    analysis: Analysis
    costs: ConventionTotal
    memory: Memory
    options: Options

    def activation_bytes(self, layer: LayerFigures) -> int:
        return layer.activations * DTYPE_BYTES[self.options.dtype] * self.options.batch


def figures(analysis: Analysis, options: Options = DEFAULT) -> Figures:
    return Figures(
        analysis,
        costs(analysis, options.convention),
        analysis.memory(options.dtype, options.batch),
        options,
    )


def _shape(shape: Shape) -> list:
    return list(shape)


def field_json(field: Field | None) -> dict | None:
    if field is None:
        return None
    from netspec.units import exact

    return {
        "size": [exact(v) for v in field.size],
        "stride": [exact(v) for v in field.stride],
        "padding": [exact(v) for v in field.padding],
    }


def layer_json(f: Figures, index: int) -> dict:
    layer = f.analysis.layers[index]
    c = layer.counts
    return {
        "path": layer.path,
        "op": layer.op,
        "statement": layer.statement,
        "description": layer.description,
        "input_shapes": [_shape(s) for s in layer.input_shapes],
        "output_shape": _shape(layer.output_shape),
        "params": c.params,
        "trainable_params": c.trainable,
        "fixed_params": c.fixed,
        "buffers": c.buffers,
        "connections": layer.connections,
        "macs": layer.cost.macs,
        "flops": layer.cost.flops,
        "cost": f.costs.per_layer[index],
        "receptive_field": field_json(layer.receptive_field),
        "activation_bytes": f.activation_bytes(layer),
    }


def _totals_json(f: Figures) -> dict:
    a, t, m, ct = f.analysis, f.analysis.totals, f.memory, f.costs
    graph = a.graph
    peak_layer = a.layers[m.peak_layer].path if m.peak_layer >= 0 else None
    return {
        "params": t.params,
        "trainable_params": t.trainable_params,
        "fixed_params": t.fixed_params,
        "buffers": t.buffers,
        "connections": t.connections,
        "param_bytes_fp32": t.param_bytes_fp32,
        "macs": t.macs,
        "flops": t.flops,
        "convention": ct.convention.name,
        "convention_definition": ct.convention.definition,
        "cost": ct.total,
        "cost_complete": ct.complete,
        "uncounted": list(ct.uncounted),
        "input_shapes": {name: _shape(graph.shape(i)) for name, i in graph.inputs},
        "receptive_field_input": a.field_input,
        "dtype": m.dtype,
        "batch": m.batch,
        "param_bytes": m.param_bytes,
        "buffer_bytes": m.buffer_bytes,
        "input_bytes": m.input_bytes,
        "activation_bytes": m.activation_bytes,
        "peak_activation_bytes": m.peak_activation_bytes,
        "peak_layer": peak_layer,
        "training_bytes_estimate": dict(m.training_bytes),
        "gradient_bytes": m.gradient_bytes,
        "optimizer_state_bytes": dict(m.optimizer_bytes),
    }


def network_json(analysis: Analysis, options: Options = DEFAULT) -> dict:
    f = figures(analysis, options)
    graph = analysis.graph
    return {
        "name": analysis.name,
        "parameters": dict(graph.parameters),
        "inputs": {name: _shape(graph.shape(i)) for name, i in graph.inputs},
        "outputs": {name: _shape(graph.shape(i)) for name, i in graph.outputs},
        "totals": _totals_json(f),
        "statements": [_statement_json(f, s) for s in analysis.statements],
        "layers": [layer_json(f, i) for i in range(len(analysis.layers))],
        "warnings": [w.to_json() for w in analysis.warnings],
    }


def _statement_json(f: Figures, s) -> dict:
    per_layer = [f.costs.per_layer[i] for i in s.layers]
    return {
        "name": s.name,
        "output_shape": _shape(s.output_shape),
        "params": s.counts.params,
        "trainable_params": s.counts.trainable,
        "fixed_params": s.counts.fixed,
        "buffers": s.counts.buffers,
        "connections": s.connections,
        "macs": s.cost.macs,
        "flops": s.cost.flops,
        "cost": None if None in per_layer else sum(per_layer),
        "activation_bytes": sum(f.activation_bytes(f.analysis.layers[i]) for i in s.layers),
    }


def to_json(analyses: list[Analysis], source: str, options: Options = DEFAULT) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "netspec_version": __version__,
        "source": source,
        "networks": [network_json(a, options) for a in analyses],
    }
    # No indent: json's C encoder only runs without one, 15x faster on 10,000 layers.
    return json.dumps(doc)


_LAYER_COLUMNS = (
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
    writer.writerow(_LAYER_COLUMNS)
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
        parts.append("| " + " | ".join(_LAYER_COLUMNS[1:]) + " |")
        parts.append("|" + "---|" * (len(_LAYER_COLUMNS) - 1))
        for index in range(len(analysis.layers)):
            cells = _layer_row(f, index)[1:]
            shown = [
                f"{x:,}" if name in _NUMERIC and isinstance(x, int) else str(x)
                for name, x in zip(_LAYER_COLUMNS[1:], cells, strict=True)
            ]
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in shown) + " |")
        parts.append("\n" + _markdown_totals(f) + "\n")
    return "\n".join(parts)


def _markdown_totals(f: Figures) -> str:
    from netspec.units import size

    t, m, ct = f.analysis.totals, f.memory, f.costs
    graph = f.analysis.graph
    inputs = ", ".join(f"{n} {show_shape(graph.shape(i))}" for n, i in graph.inputs)
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
        f"{size(m.training_bytes['adam'])} (Adam)."
    )
