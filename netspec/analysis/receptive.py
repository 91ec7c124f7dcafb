"""Receptive fields: for every tensor, the input region one of its positions sees.

Definitions of Araujo, Norris and Sim ("Computing Receptive Fields of Convolutional
Neural Networks", Distill 2019), per spatial axis of the network's first spatial input:
position y of a tensor sees input positions [y S - P, y S - P + r - 1], with size r,
effective stride S and effective padding P. Walking forward, a layer whose window has
extent e, stride s and padding p (all from :meth:`Op.receptive`) gives

    r' = r + (e - 1) S,    S' = S s,    P' = P + p S.

Transposed convolutions and upsampling have stride 1/s: the values are then exact
Fractions of a continuous interval that contains every contributing input.

Merges take the union of their branches. With equal strides the union is again an
interval: P = max P_b, r = max(r_b - P_b) + P, which is the largest r when the branches
share a centre; when they do not, a W-rf-centre warning says so. Branches with different
strides have no single field (W-rf-stride): the field is unknown (None) from there on,
never a guess. A network with no map but a sequence input has its fields along the
sequence (netspec/analysis/sequence_fields.py). Assumes a valid Graph; the IR is only
read.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from netspec.errors import Diagnostic
from netspec.ir import Graph, Node
from netspec.ops import REGISTRY
from netspec.ops.base import GLOBAL, POINTWISE, UNEVEN, Window, window

# Plain ints while every window is whole (Fraction arithmetic was a third of checking a
# 99,999-layer repeat); a transposed layer's stride 1/s turns them into Fractions. Both
# have .numerator and .denominator, which is all the writers read.
_ONE, _ZERO = 1, 0


class AxisField(NamedTuple):
    size: Fraction
    stride: Fraction
    padding: Fraction

    @property
    def centre(self) -> Fraction:
        """Where position 0's field is centred, in input coordinates."""
        return Fraction(self.size - 1, 2) - self.padding

    def through(self, w: Window) -> AxisField:
        return AxisField(
            self.size + (w.extent - 1) * self.stride,
            self.stride * w.stride,
            self.padding + w.padding * self.stride,
        )


class Field(NamedTuple):
    """The receptive field of a tensor, one AxisField per spatial axis of the input."""

    axes: tuple[AxisField, ...]
    whole: bool = False  # every position sees the whole input (after a global op)

    @property
    def size(self) -> tuple[Fraction, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def stride(self) -> tuple[Fraction, ...]:
        return tuple(a.stride for a in self.axes)

    @property
    def padding(self) -> tuple[Fraction, ...]:
        return tuple(a.padding for a in self.axes)


class Fields(NamedTuple):
    """Fields per node path (None: unknown or not derived from the input) and warnings."""

    input: str | None  # the input the fields refer to
    by_path: dict[str, Field | None]
    warnings: tuple[Diagnostic, ...]


def primary_input(graph: Graph) -> tuple[str, int] | None:
    """The first input with concrete spatial axes ([N, C, *spatial])."""
    for name, tensor in graph.inputs:
        shape = graph.shape(tensor)
        if len(shape) >= 3 and all(isinstance(d, int) for d in shape[2:]):
            return name, tensor
    return None


def receptive_fields(graph: Graph) -> Fields:
    """Each layer's field on the first input with concrete spatial axes, else none (the
    analysis asks netspec/analysis/sequence_fields.py for a sequence's)."""
    primary = primary_input(graph)
    if primary is None:
        return Fields(None, {node.path: None for node in graph.nodes}, ())
    name, tensor = primary
    rank = len(graph.shape(tensor)) - 2
    fields: dict[int, Field | None] = {tensor: Field((AxisField(_ONE, _ONE, _ZERO),) * rank)}
    warnings: list[Diagnostic] = []
    by_path: dict[str, Field | None] = {}
    for node in graph.nodes:
        field = _node_field(graph, node, fields, warnings)
        if field is not _UNRELATED:
            fields[node.output] = field
        by_path[node.path] = fields.get(node.output)
    return Fields(name, by_path, tuple(warnings))


_UNRELATED = Field(())  # marks a node that does not depend on the primary input


def _node_field(graph: Graph, node: Node, fields: dict, warnings: list) -> Field | None:
    op = REGISTRY[node.op]
    sources = node.inputs if op.merge else node.inputs[:1]
    related = [t for t in sources if t in fields]
    if not related:
        return _UNRELATED
    if any(fields[t] is None for t in related):
        return None
    branches = [fields[t] for t in related]
    if op.broadcasts:
        out = graph.output_shape(node)
        branches = [broadcast_field(fields[t], graph.shape(t), out) for t in related]
    field = union(branches, node, warnings)
    if field is None:
        return None
    attrs, inputs = dict(node.attrs), graph.input_shapes(node)
    rule = op.receptive(attrs, inputs, graph.output_shape(node))
    return _apply(field, rule, inputs[0], node, warnings)


def broadcast_field(field: Field, shape, out) -> Field:
    """A merge input broadcast along the spatial axes (a [N, C, 1, 1] gate of `mul`): its
    one position reaches every output position, so it sees what it saw everywhere."""
    rank = len(field.axes)
    if field.whole or not rank or tuple(shape[-rank:]) == tuple(out[-rank:]):
        return field
    return Field(field.axes, whole=True)


def _apply(field: Field, rule, x, node: Node, warnings: list) -> Field | None:
    if rule == POINTWISE or field.whole:
        return field
    if rule == UNEVEN:
        warnings.append(_warning(node, "W-rf-uneven", _UNEVEN_MESSAGE, _UNEVEN_HELP))
        return None
    if rule == GLOBAL:
        spatial = x[2:]
        if len(spatial) != len(field.axes):
            return Field(field.axes, whole=True)
        rule = tuple(window(n, n, 0) for n in spatial)
        return Field(tuple(a.through(w) for a, w in zip(field.axes, rule, strict=True)), True)
    if len(rule) != len(field.axes):
        return None  # axes no longer correspond to the input's (a reshape made it whole)
    return Field(tuple(a.through(w) for a, w in zip(field.axes, rule, strict=True)))


def union(branches: list[Field], node: Node, warnings: list) -> Field | None:
    if len(branches) == 1:
        return branches[0]
    whole = [f for f in branches if f.whole]
    if whole:
        return max(whole, key=lambda f: f.size)
    axes, off_centre = [], []
    for axis in zip(*(f.axes for f in branches), strict=True):
        strides = {a.stride for a in axis}
        if len(strides) > 1:
            shown = ", ".join(_show(s) for s in sorted(strides))
            warnings.append(
                _warning(
                    node,
                    "W-rf-stride",
                    f"{node.op}: its branches step over the input with different effective "
                    f"strides ({shown}), so their positions do not line up and no single "
                    "receptive field describes the result",
                    "receptive fields are left unknown from here on; give the branches the "
                    "same total stride if they should align",
                )
            )
            return None
        padding = max(a.padding for a in axis)
        axes.append(
            AxisField(max(a.size - a.padding for a in axis) + padding, axis[0].stride, padding)
        )
        if len({a.centre for a in axis}) > 1:
            off_centre.append((axis, axes[-1]))
    if off_centre:  # one warning per merge, showing the first axis that disagrees
        warnings.append(_centre_warning(node, *off_centre[0]))
    return Field(tuple(axes))


def _centre_warning(node: Node, axis, union: AxisField) -> Diagnostic:
    centres = ", ".join(_show(a.centre) for a in axis)
    return _warning(
        node,
        "W-rf-centre",
        f"{node.op}: its branches' receptive fields are centred differently on the input "
        f"(position 0 sees around {centres}); the field given is their union, "
        f"size {_show(union.size)}, not centred on any one branch",
        "branches usually align when each pads by (effective kernel - 1) / 2",
    )


_UNEVEN_MESSAGE = (
    "adaptive pooling to a size that does not divide the input uses windows of unequal "
    "length and spacing: no single receptive field (size, stride, padding) describes it"
)
_UNEVEN_HELP = "receptive fields are left unknown from here on; pool to a divisor of the size"


def _warning(node: Node, code: str, message: str, help: str) -> Diagnostic:
    return Diagnostic(code, message, node.span, (help,), (), node.chain)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(value)
