"""Whether a network takes token ids, and whether it predicts the next byte of a text.

A network takes token ids when its one input is declared ``int64`` (``input ids: [N, L]
int64``); the ids are then used as stored: never standardised, resized or padded, and
each must be an index of the embedding tables that read the input (0..vocab-1). A
network can learn next-byte prediction (``--data text``, ``netspec sample``) when it
also has a fixed context, L an integer, and one output of scores ``[N, L, V]`` with V >=
256 (one score per byte value at every position) -- the shape of specs/gpt_tiny.netspec.

Assumes an elaborated Graph with one input and one output (data.prepare checks that
first) whose source is the spec text it was elaborated from. Guarantees a
:class:`TextShape`, or a CompileError with one E-data diagnostic positioned at the
input declaration, the embedding or the output statement that does not fit, with a
hint; no torch or numpy here, so `netspec sample` can check before loading either.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.errors import CompileError, error
from netspec.ir import Graph
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import show_shape

BYTES = 256
EXAMPLE = "see specs/gpt_tiny.netspec (`netspec check gpt_tiny`)"


class TextShape(NamedTuple):
    """A next-byte network's context (L, bytes read at once) and vocabulary (V >= 256)."""

    context: int
    vocab: int


def takes_ids(graph: Graph) -> bool:
    """Whether the graph's first input holds int64 token ids."""
    return graph.dtype(graph.inputs[0][1]) == "int64"


def id_limit(graph: Graph) -> tuple[int, Span] | None:
    """The smallest vocabulary of the embeddings reading the input, and its layer's span."""
    tensor = graph.inputs[0][1]
    tables = [
        (n.attrs["vocab"], n.span)
        for n in graph.nodes
        if n.op == "embedding" and tensor in n.inputs and isinstance(n.attrs["vocab"], int)
    ]
    return min(tables, key=lambda t: t[0]) if tables else None


def text_shape(graph: Graph, what: str = "a text") -> TextShape:
    """Check that `graph` predicts the next byte of `what` (module docstring)."""
    name, tensor = graph.inputs[0]
    shape = graph.shape(tensor)
    if not takes_ids(graph) or len(shape) != 2:
        dtype = graph.dtype(tensor)
        raise _unfit(
            graph,
            f"{what} is read as token ids, but the input {name} is {show_shape(shape)} {dtype}",
            input_span(graph),
            f"declare `input ids: [N, L] int64` and read it with `embedding({BYTES}, width)`; "
            + EXAMPLE,
        )
    context = shape[1]
    if not isinstance(context, int):
        raise _unfit(
            graph,
            f"{what} is read in windows of a fixed length, but the input {name} has "
            f"{show_shape(shape)} with {context} symbolic",
            input_span(graph),
            f"give the context a number (`input ids: [N, 64] int64`, or --input-shape {name}=N,64)",
        )
    vocab = _vocab(graph, context, what)
    _causal(graph, what)
    return TextShape(context, vocab)


def _causal(graph: Graph, what: str) -> None:
    """Refuse a network whose output at a position sees a later one (the field along the
    sequence reaches ahead, netspec/analysis/sequence_fields.py): trained to predict the
    next byte, it would learn to copy it, and sampling (which pads on the right) breaks."""
    from netspec.analysis.sequence_fields import sequence_fields, sequence_input

    found = sequence_input(graph)
    if found is None:
        return
    fields = sequence_fields(graph, *found).by_path
    for node in graph.nodes:
        field = fields.get(node.path)
        if field is None or len(field.axes) != 1:
            continue
        axis = field.axes[0]
        ahead = axis.size - 1 - axis.padding
        if ahead > 0:
            raise _unfit(
                graph,
                f"{what} trains next-byte prediction, but {node.path} sees {ahead} "
                f"position(s) after its own (its field along the sequence is "
                f"{axis.size} /{axis.stride} p{axis.padding}): it would learn to copy the "
                "byte it is asked for",
                node.span,
                "let each position read only itself and earlier ones: "
                "`attention(heads, causal=true)`, a unidirectional lstm/gru/rnn, "
                "a convolution padded on the left only",
            )


def _vocab(graph: Graph, context: int, what: str) -> int:
    limit = id_limit(graph)
    if limit is not None and limit[0] < BYTES:
        raise _unfit(
            graph,
            f"{what} has {BYTES} byte values, but the embedding reading the input has "
            f"vocab {limit[0]}",
            limit[1],
            f"use `embedding({BYTES}, width)` or more",
        )
    name, tensor = graph.outputs[0]
    shape = graph.shape(tensor)
    vocab = shape[2] if len(shape) == 3 else None
    if len(shape) != 3 or shape[1] != context or not isinstance(vocab, int) or vocab < BYTES:
        raise _unfit(
            graph,
            f"next-byte prediction needs scores [N, {context}, V] with V >= {BYTES} (a score "
            f"per byte value at each of the {context} positions), but the output {name} is "
            f"{show_shape(shape)}",
            output_span(graph),
            f"end with a linear layer to {BYTES} scores at every position "
            f"(`linear({BYTES})` on [N, {context}, width]); " + EXAMPLE,
        )
    return vocab


def _unfit(graph: Graph, message: str, span: Span | None, hint: str) -> CompileError:
    return error("E-data", message, span, hint)


def input_span(graph: Graph) -> Span:
    """Where the graph's first input is declared (the network's span if not found)."""
    from netspec.syntax.parser import parse

    name = graph.inputs[0][0]
    try:
        module = parse(graph.span.source)
    except CompileError:  # not expected: the graph was elaborated from this text
        return graph.span
    for item in module.items:
        if isinstance(item, ast.NetworkDef) and item.name == graph.name:
            for stmt in item.body:
                if isinstance(stmt, ast.InputStmt) and stmt.name == name:
                    return stmt.span
    return graph.span


def output_span(graph: Graph) -> Span:
    """The statement that computes the graph's first output (the network's span if none)."""
    tensor = graph.outputs[0][1]
    found = [s.span for s in graph.statements if s.output == tensor]
    return found[-1] if found else graph.span
