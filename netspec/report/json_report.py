"""Analysis -> the JSON report of `netspec check --format json` (REPORT.md).

Assumes analyses that checked, or the diagnostics of a spec that did not with the
analyses of what elaborated before its first error. Guarantees
one JSON document per call, with exact integers (receptive fields as numbers,
fractional after upsampling), whose keys are exactly those of the pydantic models in
:mod:`netspec.report.schema` for :data:`SCHEMA_VERSION` (tests/test_schema.py holds the
two together). Imports neither pydantic nor rich.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from netspec._version import __version__
from netspec.analysis import Analysis
from netspec.analysis.receptive import Field
from netspec.errors import Diagnostic
from netspec.report.describe import statement_description
from netspec.report.figures import DEFAULT, Figures, Options, figures
from netspec.values import Shape

# Raised when a key is removed or renamed or its meaning changes; the writer and the
# schema (`netspec schema`) both read it from here.
# 2: the error document gained `partial`, the report of a failing spec up to its error;
#    statements gained `description`, what the table's op column says.
# 3: a size or a figure may be a string, a formula of the input's symbolic sizes
#    (`floor((H - 1) / 2) + 1`); a network with symbolic sizes has `sizes`; every network
#    has `input_dtypes` (float32, int64 token ids, bool masks).
SCHEMA_VERSION = 3


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
        "internal_bytes": m.internal_bytes,
        "kv_cache_bytes": m.kv_cache_bytes,
        "kv_cache_context": m.kv_context,
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
        "statements": [_statement_json(f, i) for i in range(len(analysis.statements))],
        "layers": [layer_json(f, i) for i in range(len(analysis.layers))],
        "warnings": [w.to_json() for w in analysis.warnings],
        "sizes": sizes_json(graph.sizes),
        "input_dtypes": {name: graph.dtype(i) for name, i in graph.inputs},
    }


def _statement_json(f: Figures, index: int) -> dict:
    s = f.analysis.statements[index]
    per_layer = [f.costs.per_layer[i] for i in s.layers]
    return {
        "name": s.name,
        "description": statement_description(f.analysis, index),
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
    """The report of a spec that checked: one network object per analysis."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "netspec_version": __version__,
        "source": source,
        "networks": [network_json(a, options) for a in analyses],
    }
    if any(a.graph.sizes for a in analyses):
        doc = _formulas(doc)
    # No indent: json's C encoder only runs without one, 15x faster on 10,000 layers.
    return json.dumps(doc)


def errors_json(diagnostics: Iterable[Diagnostic], source: str, partial: dict | None = None) -> str:
    """The document printed instead of the report when the spec is not accepted, with
    :func:`partial_json`'s report up to the error (None where nothing elaborated)."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "netspec_version": __version__,
        "source": source,
        "errors": [d.to_json() for d in diagnostics],
        "partial": partial,
    }
    return json.dumps(doc)


def partial_json(partial: list[tuple[Analysis, str]], options: Options = DEFAULT) -> dict | None:
    """The networks of a failing spec as far as they elaborated, each with the statement
    that failed ('' for a network that elaborated whole); None when there are none."""
    if not partial:
        return None
    return {
        "networks": [network_json(a, options) for a, _ in partial],
        "failed": [{"network": a.name, "statement": failed} for a, failed in partial if failed],
    }


def _formulas(value):
    """The document with every traced size (a SymInt, an int with a formula) written as
    its formula; a formula that is a constant stays a number."""
    if isinstance(value, dict):
        return {k: _formulas(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_formulas(v) for v in value]
    expr = getattr(value, "expr", None)
    if expr is not None and isinstance(value, int):
        return int(expr.constant()) if expr.is_const() else str(expr)
    return value


def sizes_json(sizes) -> dict | None:
    """A network's symbolic sizes: their names, the size the figures were traced at, and
    the sizes accepted with every name equal (netspec sizes)."""
    if sizes is None:
        return None
    from netspec.report.accepted import describe

    return {
        "names": list(sizes.names),
        "traced_at": sizes.hint,
        "accepted": describe(sizes.accepted) if sizes.complete else None,
        "formulas_hold": describe(sizes.region) if sizes.region is not None else None,
        "pinned": sizes.pinned,
        "joint_conditions": list(sizes.joint),
    }
