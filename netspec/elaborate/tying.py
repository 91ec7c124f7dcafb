"""Weight tying: an op argument that names a layer (kind "layer", a tied linear's `tied`).

The argument is written as the name of an earlier statement (`tied=words`) and evaluates
to its tensor; this module finds the layer that computed that tensor and replaces the
argument by the layer's path, adding `<name>_weight`, the shape of the matrix it shares
(Op.weight). A layer that is itself tied hands on the layer it shares, so every tie
points at the one layer whose weight is counted.

Assumes the network state (its layers and tensor shapes) and bound, type-checked
arguments. Guarantees a positioned E-arg error when the named tensor was not computed by
a layer with a weight matrix (an input, a merge, an activation after the embedding).
"""

from __future__ import annotations

from netspec.elaborate.state import NetworkState
from netspec.errors import error
from netspec.ir import Node
from netspec.ops import REGISTRY, Op
from netspec.source import Span
from netspec.values import Tensor


def tie(state: NetworkState, op: Op, attrs: dict[str, object], spans: dict[str, Span]) -> None:
    """Replace each layer-naming argument of `op` in `attrs` by the path it shares."""
    for p in op.params:
        value = attrs.get(p.name)
        if p.kind != "layer" or not isinstance(value, Tensor):
            continue
        node = _producer(state, value.id)
        weight = _weight(state, node) if node is not None else None
        if weight is None:
            raise error(
                "E-arg",
                f"{op.name}: {p.name} names a tensor no layer with a weight matrix computed",
                spans[p.name],
                "name a statement that ends with an embedding or a linear layer "
                "(`words = embedding(vocab, width)`), and go on from it in another statement",
            )
        tied = node.attrs.get("tied")
        attrs[p.name] = tied if tied is not None else node.path
        attrs[f"{p.name}_weight"] = weight


def _producer(state: NetworkState, tensor: int) -> Node | None:
    for node in reversed(state.nodes):
        if node.output == tensor:
            return node
    return None


def _weight(state: NetworkState, node: Node) -> tuple[int, int] | None:
    inputs = tuple(state.shapes[t] for t in node.inputs)
    return REGISTRY[node.op].weight(dict(node.attrs), inputs)
