"""Parameters, buffers and connections per layer, per statement and in total.

Assumes a valid Graph (shapes already checked by elaboration). Each figure comes from
the op's own rule in :mod:`netspec.ops`; an op without a rule raises rather than
counting zero. Teaching warnings (W-*) come from the ops' warning rules, positioned
at the layer's source.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.errors import Diagnostic
from netspec.ir import Graph, Node
from netspec.ops import REGISTRY, Counts
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


class StatementFigures(NamedTuple):
    name: str
    output_shape: Shape
    counts: Counts
    connections: int
    layers: tuple[int, ...]  # indices into Analysis.layers


class Totals(NamedTuple):
    params: int
    trainable_params: int
    fixed_params: int
    buffers: int
    connections: int

    @property
    def param_bytes_fp32(self) -> int:
        return 4 * self.params


class Analysis(NamedTuple):
    graph: Graph
    layers: tuple[LayerFigures, ...]
    statements: tuple[StatementFigures, ...]
    totals: Totals
    warnings: tuple[Diagnostic, ...]

    @property
    def name(self) -> str:
        return self.graph.name

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


def _layer(graph: Graph, node: Node) -> LayerFigures:
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
    )


def _warnings(graph: Graph, node: Node) -> list[Diagnostic]:
    op = REGISTRY[node.op]
    inputs, out = graph.input_shapes(node), graph.output_shape(node)
    return [
        Diagnostic(w.code, w.message, node.span, (w.help,) if w.help else (), (), node.chain)
        for w in op.warnings(dict(node.attrs), inputs, out)
    ]


def analyze(graph: Graph) -> Analysis:
    """Count parameters and connections of every layer of `graph`."""
    layers = tuple(_layer(graph, node) for node in graph.nodes)
    warnings = [w for node in graph.nodes for w in _warnings(graph, node)]
    statements = tuple(
        StatementFigures(
            s.name,
            graph.shape(s.output),
            Counts.total([layers[i].counts for i in range(s.first, s.end)]),
            sum(layers[i].connections for i in range(s.first, s.end)),
            tuple(range(s.first, s.end)),
        )
        for s in graph.statements
    )
    total = Counts.total([layer.counts for layer in layers])
    totals = Totals(
        total.params,
        total.trainable,
        total.fixed,
        total.buffers,
        sum(layer.connections for layer in layers),
    )
    return Analysis(graph, layers, statements, totals, tuple(warnings))
