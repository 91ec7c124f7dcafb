"""Receptive fields along a sequence: which positions of the input sequence each position
of a tensor sees, for a network whose input is a sequence rather than a map.

A sequence input is token ids `[N, L]` (int64), or a float `[N, L, ...]` whose length L
is named (a map `[N, C, H, W]` has a number there): its one axis is dim 1. The axis is
followed through the layers: ops that reorder axes (permute, transpose, squeeze,
unsqueeze, a flatten or reshape that keeps the leading dims) move it; every other op
either keeps each position to itself (a linear, a norm on the features, an activation),
or slides a window along it (a 1-d convolution or pool once the axis is dim 2, after
`transpose(1, 2)`: the op's own rule, netspec/ops), or reads the whole sequence:

- `attention` and a bidirectional `lstm`/`gru`/`rnn`: every position sees every position,
  the window 2L - 1 with padding L - 1 (position t sees t - (L - 1) .. t + (L - 1), that
  is all of 0 .. L - 1), marked whole;
- causal `attention` and a unidirectional recurrence: position t sees 0 .. t, the window
  L with padding L - 1 (a causal convolution of kernel L): the last position sees all;
- a recurrence's final states: the whole sequence (no positions left);
- ops that mix the axis when it is dim 1 (a convolution's input channels, softmax or a
  norm over dim 1, a linear on `[N, L]`): the whole sequence.

Anything else on the axis (a concat along it, `lrn`, a matmul over it: a hand-written
attention's scores) leaves the field unknown (None) rather than guessed. The windows
and the walk are those of netspec/analysis/receptive.py (Araujo et al., Distill 2019).
Assumes a valid Graph with normalised attributes; reads it only.
"""

from __future__ import annotations

from netspec.analysis.receptive import (
    AxisField,
    Field,
    Fields,
    primary_input,
    receptive_fields,
    union,
)
from netspec.ir import Graph, Node
from netspec.ops import REGISTRY
from netspec.ops.base import GLOBAL, POINTWISE, UNEVEN, Window, window

RECURRENT = frozenset({"lstm", "gru", "rnn"})
# ops that act on the last dim: on [N, L] (the axis last) they mix the sequence
_LAST_DIM = frozenset({"linear", "rbf", "layer_norm", "rms_norm"})
_CONV = frozenset({"conv", "conv_transpose", "partial_conv", "group_norm"})
_UNKNOWN = object()  # a step whose effect on the axis netspec does not claim to know


def sequence_input(graph: Graph) -> tuple[str, int] | None:
    """The first input that is a sequence: token ids [N, L], or [N, L, ...] with L named."""
    for name, tensor in graph.inputs:
        shape = graph.shape(tensor)
        ids = graph.dtype(tensor) == "int64" and len(shape) == 2
        if ids or (len(shape) >= 3 and _named(shape[1])):
            return name, tensor
    return None


def _named(size) -> bool:
    """A symbol (`L`), or a traced size whose formula is not a constant."""
    expr = getattr(size, "expr", None)
    return isinstance(size, str) or (expr is not None and not expr.is_const())


def fields_of(graph: Graph) -> Fields:
    """The fields on the network's first map (netspec/analysis/receptive.py), else on its
    first sequence input, else none: what the analysis reports. An input [N, L, D] with
    a named L is a sequence, not a map with L channels."""
    primary, sequence = primary_input(graph), sequence_input(graph)
    if sequence is not None and (primary is None or primary[1] == sequence[1]):
        return sequence_fields(graph, *sequence)
    return receptive_fields(graph)


def sequence_fields(graph: Graph, name: str, tensor: int) -> Fields:
    """Each layer's field on the sequence `name`, as `receptive_fields` gives a map's."""
    return sequence_walk(graph, name, tensor)[0]


def sequence_walk(graph: Graph, name: str, tensor: int) -> tuple[Fields, dict[str, object]]:
    """The fields, and the rule each layer applied to the axis (POINTWISE, GLOBAL, a
    Window; absent where the field was unknown or the layer does not read the sequence),
    for `netspec explain` (netspec/teach/explain/field.py)."""
    one = AxisField(1, 1, 0)
    rules: dict[str, object] = {}
    fields: dict[int, tuple[Field, int | None] | None] = {tensor: (Field((one,)), 1)}
    length = graph.shape(tensor)[1]
    by_path: dict[str, Field | None] = {}
    warnings: list = []
    for node in graph.nodes:
        op = REGISTRY[node.op]
        sources = node.inputs if op.merge else node.inputs[:1]
        related = [t for t in sources if t in fields]
        if _cross(node):
            found = _cross_field(graph, node, fields, warnings)
            if found is not _UNRELATED:
                rules[node.path] = POINTWISE
                fields[node.output] = _clipped(found, length)
        elif related:
            found = _node(graph, node, [fields[t] for t in related], warnings, rules)
            fields[node.output] = _clipped(found, length)
        found = fields.get(node.output)
        by_path[node.path] = found[0] if found else None
    return Fields(name, by_path, tuple(warnings)), rules


_UNRELATED = object()  # a layer that reads nothing of the sequence


def _cross(node: Node) -> bool:
    return node.op == "attention" and bool(node.attrs.get("memory"))


def _cross_field(graph: Graph, node: Node, fields: dict, warnings: list):
    """Cross-attention: each position of the stream keeps its own field (queries are
    per position) and sees the whole memory (every key): the union of the two."""
    stream, memory = fields.get(node.inputs[0], _UNRELATED), fields.get(node.inputs[1], _UNRELATED)
    if stream is _UNRELATED and memory is _UNRELATED:
        return _UNRELATED
    if stream is None or memory is None:
        return None
    parts, dim = [], None
    if stream is not _UNRELATED:
        parts.append(stream[0])
        dim = stream[1]
    if memory is not _UNRELATED:
        field, at = memory
        keys = graph.shape(node.inputs[1])[1]
        whole = _whole(keys)
        if whole is _UNKNOWN or at != 1:
            return None
        parts.append(_through(field, whole))
    found: list = []
    field = union(parts, node, found)
    warnings += [w for w in found if w.code != "W-rf-centre"]
    return None if field is None else (field, dim)


def _node(graph: Graph, node: Node, incoming: list, warnings: list, rules: dict):
    if any(f is None for f in incoming):
        return None
    dims = {dim for _, dim in incoming if dim is not None}
    if len(dims) > 1:  # the branches hold the sequence on different axes
        return None
    found: list = []
    field = union([f for f, _ in incoming], node, found)
    # a residual around causal attention joins fields centred differently by design (a
    # position and its past): W-rf-centre is a map's concern, the rest stands
    warnings += [w for w in found if w.code != "W-rf-centre"]
    if field is None:
        return None
    dim = dims.pop() if dims else None
    rule, dim = axis_rule(graph, node, dim)
    if rule is _UNKNOWN:
        return None
    rules[node.path] = rule
    return _through(field, rule), dim


def axis_rule(graph: Graph, node: Node, dim: int | None):
    """(POINTWISE, GLOBAL, a Window or _UNKNOWN; the axis's dim after the layer)."""
    if dim is None:  # the whole sequence already (a final state): it stays so
        return POINTWISE, None
    op, a = REGISTRY[node.op], dict(node.attrs)
    inputs, out = graph.input_shapes(node), graph.output_shape(node)
    x = inputs[0]
    if dim == len(x) - 1 and _mixes_last(node.op, a, x):  # the axis read as features:
        return _whole(x[dim]), None  # every output sees all of it, and no position is left
    if node.op == "attention":
        if dim != 1:
            return _UNKNOWN, dim
        return (_causal(x[1]) if a["causal"] else _whole(x[1])), 1
    if node.op in RECURRENT:
        return _recurrent(a, x, dim)
    moved = _moved(node.op, a, x, out, dim)
    if moved is not None:
        return moved
    if dim == 0:  # the batch axis: no layer mixes samples at inference
        return POINTWISE, 0
    if dim == 1:
        return (_whole(x[1]) if _mixes_dim1(node.op, a, x) else POINTWISE), 1
    rule = op.receptive(a, inputs, out)
    if rule in (POINTWISE, UNEVEN):
        return (POINTWISE if rule == POINTWISE else _UNKNOWN), dim
    if rule == GLOBAL:
        return _whole(x[dim]), dim
    return rule[dim - 2], dim


def _recurrent(a, x, dim: int):
    steps = 1 if a["batch_first"] else 0
    if dim != steps:
        return _UNKNOWN, dim
    if a.get("part", 0):  # a final state: a summary of the whole sequence
        return _whole(x[steps]), None
    return (_whole(x[steps]) if a["bidirectional"] else _causal(x[steps])), dim


def _moved(name: str, a, x, out, dim: int):
    """Ops that move the axis: (rule, its new dim), _UNKNOWN when it is gone, None for
    any other op."""
    if name in ("permute", "transpose"):
        return POINTWISE, tuple(a["dims"]).index(dim)
    if name == "unsqueeze":
        return POINTWISE, dim + (1 if a["dim"] % len(out) <= dim else 0)
    if name == "squeeze":  # the axis squeezed (a token taken, `x[:, 0]`): that position's
        squeezed = a["dim"] % len(x)  # field, which nothing after moves
        return (POINTWISE, None) if squeezed == dim else (POINTWISE, dim - (squeezed < dim))
    if name in ("flatten", "reshape"):
        kept = tuple(x[: dim + 1]) == tuple(out[: dim + 1])
        return (POINTWISE, dim) if kept else (_UNKNOWN, dim)
    if name == "slice" and dim in a["dim"]:
        start, _, step = dict(zip(a["dim"], a["spans"], strict=True))[dim]
        return window(1, step, -start), dim
    if name in ("concat", "chunk", "split", "pad", "channel_shuffle", "matmul", "lrn"):
        return _cuts(name, a, x, dim)
    return None


def _cuts(name: str, a, x, dim: int):
    """Ops that take the axis apart or join along it: unknown there, pointwise elsewhere."""
    if name == "matmul":
        return (_UNKNOWN if dim >= len(x) - 1 else POINTWISE), dim
    if name in ("channel_shuffle", "lrn") or (name == "pad" and a.get("channels")):
        return (_UNKNOWN if dim == 1 else POINTWISE), dim
    if name == "pad":
        return (_UNKNOWN if dim >= 2 else POINTWISE), dim
    return (_UNKNOWN if a["dim"] % len(x) == dim else POINTWISE), dim


def _mixes_last(name: str, a, x) -> bool:
    """Does the op read every element of the last dim together (its features)?"""
    if name in ("softmax", "log_softmax"):
        return a["dim"] % len(x) == len(x) - 1
    if name in ("layer_norm", "rms_norm"):
        return a.get("dim", -1) in (-1, len(x) - 1)
    return name in _LAST_DIM or name == "attention" or name in RECURRENT


def _mixes_dim1(name: str, a, x) -> bool:
    """Does the op read every position of dim 1 (the sequence there)?"""
    if name in _CONV:  # a convolution reads all input channels; group_norm's statistics
        return True
    if name in ("softmax", "log_softmax"):
        return a["dim"] % len(x) == 1
    if name in ("layer_norm", "rms_norm") and a.get("dim") == 1:
        return True
    return name in _LAST_DIM and len(x) == 2


def _causal(length) -> Window | object:
    """Position t sees 0 .. t: a window of L positions, L - 1 of them before it."""
    return window(length, 1, length - 1) if isinstance(length, int) else _UNKNOWN


def _whole(length) -> Window | object:
    """Every position sees 0 .. L - 1: 2L - 1 centred on it, L - 1 on each side."""
    return Whole(2 * length - 1, 1, length - 1) if isinstance(length, int) else _UNKNOWN


class Whole(Window):
    """A window that covers the whole sequence from every position."""


def _clipped(found, length):
    """A field that reaches further than the sequence on a side reaches L - 1 there: no
    position lies beyond (12 causal layers of 1024 see 1024 /1 p1023, not 12277 /1
    p12276). Only where the stride is 1 and L is a number: then the reach is exact."""
    if found is None or not isinstance(length, int):
        return found
    field, dim = found
    (axis,) = field.axes
    if axis.stride != 1:
        return found
    before = min(axis.padding, length - 1)
    after = min(axis.size - 1 - axis.padding, length - 1)
    return Field((AxisField(before + after + 1, 1, before),), field.whole), dim


def _through(field: Field, rule) -> Field:
    if rule == POINTWISE or field.whole:
        return field
    return Field((field.axes[0].through(rule),), isinstance(rule, Whole))
