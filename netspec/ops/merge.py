"""Merges: add and concat, over branches `{ a | b }` or named values `add(x)`.

Connections: add links each output unit to the k units it sums (k inputs); concat
only places units side by side (none).

Costs: add does k - 1 additions per output element; concat copies (0 FLOPs). The
receptive field of a merge is the union of its branches' fields, which the analysis
computes (netspec.analysis.receptive); the op itself keeps positions, except a concat
along a spatial axis, which places different positions side by side.

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/merge.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
    Attrs,
    Cost,
    Op,
    OpError,
    Param,
    dim_index,
    no_params,
    per_element,
    pointwise,
    register,
)
from netspec.ops.counting import NOT_COUNTED
from netspec.ops.explain.merge import explain_add, explain_concat
from netspec.values import Shape, numel, show_shape


@register
class Add(Op):
    counts = no_params
    name = "add"
    merge = True
    min_rank = 1
    summary = "elementwise sum of tensors of equal shape (residual connections)"
    connection_rule = "k links per output unit for k summed tensors"
    flops_rule = "k - 1 per output element for k summed tensors"
    explain = explain_add
    receptive = pointwise
    family = "merge"
    torchinfo = fvcore = NOT_COUNTED

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, (len(inputs) - 1) * numel(out))

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        first = inputs[0]
        for other in inputs[1:]:
            if other != first:
                raise OpError(
                    "E-shape",
                    f"add: branch shapes differ: {show_shape(first)} vs {show_shape(other)}",
                    _add_help(first, other),
                )
        return first

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return len(inputs) * numel(out)


def _add_help(a: Shape, b: Shape) -> str:
    if len(a) == len(b) and len(a) >= 2 and a[2:] == b[2:] and a[1] != b[1]:
        return "give the shortcut a projection: conv(out, 1, stride=stride) bn"
    if len(a) == len(b) and len(a) >= 3 and a[1] == b[1]:
        return "the spatial sizes differ: give the shortcut the same stride as the main path"
    return "add needs equal shapes; concat joins different channel counts"


@register
class Concat(Op):
    counts = no_params
    name = "concat"
    merge = True
    params = (Param("dim", "int", 1),)
    min_rank = 1
    summary = "joins tensors along dim (channels by default); other dims must match"
    connection_rule = "none (wiring)"
    cost = per_element(0)
    flops_rule = "0 (a copy)"
    explain = explain_concat
    family = "merge"
    torchinfo = fvcore = NOT_COUNTED

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        spatial = len(out) >= 3 and a["dim"] % len(out) >= 2
        return GLOBAL if spatial else POINTWISE

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        first, dim = inputs[0], a["dim"]
        dim = dim_index(
            "dim", dim, first, f"choose a dim from 0 to {len(first) - 1}; channels are dim 1"
        )
        total = 0
        for shape in inputs:
            if len(shape) != len(first) or any(
                x != y for i, (x, y) in enumerate(zip(shape, first, strict=False)) if i != dim
            ):
                raise OpError(
                    "E-shape",
                    f"concat on dim {dim}: shapes {show_shape(first)} and "
                    f"{show_shape(shape)} differ outside dim {dim}",
                    "crop or pad so the other dimensions match (e.g. padding=1 on the"
                    " 3x3 convs keeps U-Net sizes equal)",
                )
            if not isinstance(shape[dim], int):
                raise OpError(
                    "E-shape",
                    f"concat needs concrete sizes along dim {dim}",
                    "symbolic dims such as N cannot be joined; concat on another dim",
                )
            total += shape[dim]
        return (*first[:dim], total, *first[dim + 1 :])

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0
