"""Parameters, buffers, connections, costs, receptive fields and activation sizes
per layer, per statement and in total.

Assumes a valid Graph (shapes already checked by elaboration). Each figure comes from
the op's own rule in :mod:`netspec.ops`; an op without a rule raises rather than
counting zero. Teaching warnings (W-*) come from the ops' warning rules and from the
receptive-field pass, positioned at the layer's source. Nothing here allocates tensors:
a network at a huge input costs what a small one does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from netspec.analysis.memory import Memory, activation_elements, memory
from netspec.analysis.receptive import Field, Fields
from netspec.analysis.sequence_fields import fields_of
from netspec.errors import Diagnostic
from netspec.ir import Graph, Node
from netspec.ops import REGISTRY, Counts
from netspec.ops.base import Cost
from netspec.values import Shape


class LayerFigures(NamedTuple):
    path: str
    op: str
    statement: str
    description: str
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    counts: Counts
    connections: int
    cost: Cost
    receptive_field: Field | None  # None: unknown, or the network has no spatial input
    activations: int  # elements the layer allocates for its output, per sample (0: a view)
    attrs: Mapping[str, Any] = MappingProxyType({})  # the op's normalised attributes


class StatementFigures(NamedTuple):
    name: str
    output_shape: Shape
    counts: Counts
    connections: int
    layers: tuple[int, ...]  # indices into Analysis.layers
    cost: Cost


class Totals(NamedTuple):
    params: int
    trainable_params: int
    fixed_params: int
    buffers: int
    connections: int
    macs: int
    flops: int
    activations: int  # elements of all layer outputs, per sample

    @property
    def param_bytes_fp32(self) -> int:
        return 4 * self.params


class Analysis(NamedTuple):
    graph: Graph
    layers: tuple[LayerFigures, ...]
    statements: tuple[StatementFigures, ...]
    totals: Totals
    warnings: tuple[Diagnostic, ...]
    field_input: str | None  # the input the receptive fields refer to

    @property
    def name(self) -> str:
        return self.graph.name

    def memory(self, dtype: str = "float32", batch: int = 1, context: int | None = None) -> Memory:
        """Memory figures for `dtype` and `batch` samples where the batch dim is symbolic
        (a concrete batch in the input shape is already in every element count); a
        decoder's key/value cache for `context` positions (None: its sequence length)."""
        t = self.totals
        symbolic = any(isinstance(self.graph.shape(i)[0], str) for _, i in self.graph.inputs)
        batch = batch if symbolic else 1
        allocated = tuple(layer.activations for layer in self.layers)
        return memory(
            self.graph, allocated, t.params, t.trainable_params, t.buffers, dtype, batch, context
        )

    def layer(self, path: str) -> LayerFigures:
        for layer in self.layers:
            if layer.path == path:
                return layer
        raise KeyError(path)

    def statement(self, name: str) -> StatementFigures:
        for statement in self.statements:
            if statement.name == name:
                return statement
        raise KeyError(name)


def _layer(graph: Graph, node: Node, field: Field | None, activations: int) -> LayerFigures:
    op = REGISTRY[node.op]
    inputs, out = graph.input_shapes(node), graph.output_shape(node)
    attrs = dict(node.attrs)
    return LayerFigures(
        node.path,
        node.op,
        node.statement,
        op.describe(attrs),
        inputs,
        out,
        op.counts(attrs, inputs, out),
        op.connections(attrs, inputs, out),
        op.cost(attrs, inputs, out),
        field,
        activations,
        node.attrs,
    )


def _cost_total(costs) -> Cost:
    macs = flops = 0
    for c in costs:
        macs, flops = macs + c.macs, flops + c.flops
    return Cost(macs, flops)


def _warnings(graph: Graph, node: Node, producers: dict[int, Node]) -> list[Diagnostic]:
    op = REGISTRY[node.op]
    inputs, out = graph.input_shapes(node), graph.output_shape(node)
    found = op.warnings(dict(node.attrs), inputs, out)
    if any(w.code == "W-flatten" for w in found) and _reordered(graph, node, producers):
        found = [w for w in found if w.code != "W-flatten"]  # channels last, on purpose
    return [
        Diagnostic(w.code, w.message, node.span, (w.help,) if w.help else (), (), node.chain)
        for w in found
    ]


def _reordered(graph: Graph, node: Node, producers: dict[int, Node]) -> bool:
    """Whether the node's input comes from a permute or transpose, through layers that
    keep every axis but the last (ConvNeXt's permute, layer_norm, linear, gelu, linear)."""
    source = producers.get(node.inputs[0]) if node.inputs else None
    while source is not None and not REGISTRY[source.op].moves_axes:
        shapes, out = graph.input_shapes(source), graph.output_shape(source)
        if not shapes or len(shapes[0]) != len(out) or shapes[0][:-1] != out[:-1]:
            return False
        source = producers.get(source.inputs[0])
    return source is not None


def _once_per_position(warnings: list[Diagnostic]) -> list[Diagnostic]:
    """The first warning of each position and call chain, as repeat's errors are: the
    copies of a layer in a repeat warn once, with a note of how many more copies would."""
    first: dict[tuple, Diagnostic] = {}
    more: Counter[tuple] = Counter()
    for w in warnings:
        key = (w.code, w.span, tuple((c.block, c.span) for c in w.chain))
        if key in first:
            more[key] += 1
        else:
            first[key] = w
    return [
        w._replace(notes=(*w.notes, _copies_note(more[key]))) if more[key] else w
        for key, w in first.items()
    ]


def _copies_note(more: int) -> str:
    copies, verb = ("copy", "warns") if more == 1 else ("copies", "warn")
    return f"{more:,} more {copies} of this layer (made by repeat) {verb} too, not shown"


def warnings_of(graph: Graph, fields: Fields | None = None) -> tuple[Diagnostic, ...]:
    """The warnings :func:`analyze` reports, without the figures (the language server's
    diagnostics): elaboration's (W-indent), each layer's once per position, the fields'.
    `fields` is :func:`fields_of`'s result where the caller has it."""
    fields = fields_of(graph) if fields is None else fields
    producers = {node.output: node for node in graph.nodes}
    found = [w for node in graph.nodes for w in _warnings(graph, node, producers)]
    return (*graph.warnings, *_once_per_position(found), *fields.warnings)


def analyze(graph: Graph) -> Analysis:
    """Count parameters, connections and costs and trace receptive fields through `graph`."""
    fields = fields_of(graph)
    allocated = activation_elements(graph)
    layers = tuple(
        _layer(graph, node, fields.by_path[node.path], new)
        for node, new in zip(graph.nodes, allocated, strict=True)
    )
    statements = tuple(
        StatementFigures(
            s.name,
            graph.shape(s.output),
            Counts.total([layers[i].counts for i in range(s.first, s.end)]),
            sum(layers[i].connections for i in range(s.first, s.end)),
            tuple(range(s.first, s.end)),
            _cost_total(layers[i].cost for i in range(s.first, s.end)),
        )
        for s in graph.statements
    )
    cost = _cost_total(layer.cost for layer in layers)
    total = Counts.total([layer.counts for layer in layers])
    totals = Totals(
        total.params,
        total.trainable,
        total.fixed,
        total.buffers,
        sum(layer.connections for layer in layers),
        cost.macs,
        cost.flops,
        sum(allocated),
    )
    return Analysis(graph, layers, statements, totals, warnings_of(graph, fields), fields.input)
