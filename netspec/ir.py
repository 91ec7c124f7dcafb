"""The graph IR: what elaboration produces and every later stage reads.

A :class:`Graph` is one network, flattened: inputs, layers (:class:`Node`) in
execution order, the shape of every tensor, the top-level statements and the outputs.
Every node carries its hierarchical path (its name in reports, PyTorch and ONNX), the
op's normalised attributes, its source span and the block call chain. The IR is
immutable; analyses return results keyed by node path and never annotate it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from netspec.errors import CallSite
from netspec.source import Span
from netspec.values import Shape


class Node(NamedTuple):
    """One layer: an op applied to input tensors, producing one output tensor."""

    path: str
    op: str
    attrs: Mapping[str, Any]
    inputs: tuple[int, ...]  # tensor ids
    output: int  # tensor id
    span: Span
    chain: tuple[CallSite, ...]
    statement: str  # the top-level statement it belongs to


class Statement(NamedTuple):
    """A top-level statement of the network body: its name and its layers."""

    name: str
    span: Span
    first: int  # index of its first node
    end: int  # one past its last node
    output: int  # tensor id of its final output
    body: Span  # what it does, as written: a chain's stages, or the whole repeat / if


class BlockCall(NamedTuple):
    """One call of a block: the scope its layers live in (a class in generated PyTorch).

    `parent` is the path of the enclosing call ("" for the network body). Tensor-valued
    arguments are listed in `tensor_args` (name, tensor id) and left out of `args`.
    """

    path: str
    block: str
    span: Span  # the call as written
    definition: Span  # the block's `block name(...)` line
    args: tuple[tuple[str, Any], ...]
    tensor_args: tuple[tuple[str, int], ...]
    input: int  # tensor id of the stream the block starts from (`in`)
    output: int  # tensor id of its final stream
    parent: str


class Graph(NamedTuple):
    """One elaborated network."""

    name: str
    parameters: Mapping[str, Any]
    inputs: tuple[tuple[str, int], ...]  # (name, tensor id)
    outputs: tuple[tuple[str, int], ...]
    shapes: tuple[Shape, ...]  # indexed by tensor id
    nodes: tuple[Node, ...]
    statements: tuple[Statement, ...]
    span: Span
    calls: tuple[BlockCall, ...] = ()  # in the order the calls finished (inner first)
    warnings: tuple = ()  # Diagnostics found while elaborating (W-indent)
    sizes: Any = None  # symbolic sizes: a netspec.analysis.symbolic.SymbolicSizes
    dtypes: Mapping[int, str] = MappingProxyType({})  # tensor id -> int64 / bool (else float32)

    def dtype(self, tensor: int) -> str:
        return self.dtypes.get(tensor, "float32")

    def shape(self, tensor: int) -> Shape:
        return self.shapes[tensor]

    def input_shapes(self, node: Node) -> tuple[Shape, ...]:
        return tuple(self.shapes[t] for t in node.inputs)

    def output_shape(self, node: Node) -> Shape:
        return self.shapes[node.output]


def freeze(attrs: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(attrs))
