"""The product of two computed tensors: matmul, `torch.matmul` on inputs of rank >= 2.

Written like a merge, `matmul { a | b }` (two branches from the stream) or `matmul(k)`
(the stream @ the named tensor): attention's scores QKᵀ and its weights times V. The
last two axes are the matrices, [..., m, k] @ [..., k, n] -> [..., m, n]; the leading
(batch) axes broadcast by NumPy's rules (merge.broadcast).

Figures: no parameters; k multiply-adds per output element (numel(out) x k, the
batch's broadcast copies included), 2 FLOPs each. Connections: each output unit links
to the k units of its row of the first input and the k units of its column of the
second, 2k links, as `mul` counts one link per multiplied unit (a matmul with k = 1 is
the outer product `mul` computes by broadcasting). Receptive field: every output reads
the whole inner axis, which is the first input's last axis: on a map or a sequence
(rank >= 3) the field becomes the whole input, as a softmax over a spatial axis makes it.

Counting tools: torchinfo counts nothing (torch.matmul is no module with parameters);
fvcore's `aten::matmul` handle counts prod(first input's shape) x n, which is the
multiply-adds unless the first input is the one broadcast along a batch axis.

Assumes arguments elaboration bound (none) and two input shapes, as merges get them.
Guarantees every rule of base.Op, and the facts declared with it: its explanation
(netspec/ops/explain/matmul.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
    Attrs,
    Cost,
    Op,
    OpError,
    ToolRule,
    lazy,
    no_params,
    register,
)
from netspec.ops.counting import NOT_COUNTED, dims, known
from netspec.ops.merge import broadcast
from netspec.symbolic import wording
from netspec.values import Shape, numel, show_shape

# fvcore 0.1.5 (jit_handles.py, matmul_flop_jit): prod(input_shapes[0]) * input_shapes[1][-1]
MATMUL = ToolRule(
    lambda layer: known(layer.input_shapes[0]) * known(layer.input_shapes[1][-1:]),
    lambda layer: (
        f"first input's elements x n = {dims(layer.input_shapes[0])}·"
        f"{dims(layer.input_shapes[1][-1:])}"
    ),
)


def inner(shape: Shape) -> int:
    """The inner size k (the first input's last axis), symbolic counted as 1 (figures are
    per sample, as numel counts them)."""
    k = shape[-1]
    return k if isinstance(k, int) else 1


@register
class Matmul(Op):
    name = "matmul"
    merge = True
    broadcasts = "always"  # the batch axes, by NumPy's rules
    min_rank = 2
    summary = (
        "matrix product of two tensors (torch.matmul): [..., m, k] @ [..., k, n] -> "
        "[..., m, n], the batch axes broadcast (attention's QKᵀ and weights times V)"
    )
    connection_rule = (
        "2k links per output unit: a row of k of the first, a column of k of the second"
    )
    macs_rule = "output elements x k (the inner size)"
    flops_rule = "2 x macs"
    counts = no_params
    explain = lazy("matmul", "explain_matmul")
    family = "merge"
    torchinfo, fvcore = NOT_COUNTED, MATMUL

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs) != 2:
            raise OpError(
                "E-arg",
                f"matmul takes exactly two tensors, got {len(inputs)}",
                "write matmul { a | b } or matmul(name): the stream @ the named tensor",
            )
        self.check_rank(inputs)
        x, y = inputs
        if x[-1] != y[-2]:
            raise OpError(
                "E-shape",
                f"matmul: {show_shape(x)} @ {show_shape(y)}: the inner sizes {x[-1]} and "
                f"{y[-2]} differ",
                inner_help(x, y),
            )
        return (*batch_axes(x, y), x[-2], y[-1])

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        macs = numel(out) * inner(inputs[0])
        return Cost(macs, 2 * macs)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 2 * inner(inputs[0]) * numel(out)

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        # the inner axis is the first input's last, spatial from rank 3 on
        return GLOBAL if len(out) >= 3 else POINTWISE

    def rank_help(self) -> str:
        return "matmul multiplies matrices, the last two axes: unsqueeze a vector to [.., 1, k]"

    def describe(self, a: Attrs) -> str:
        return "matmul [.., m, k] @ [.., k, n]"


def batch_axes(x: Shape, y: Shape) -> Shape:
    """The axes before the matrices, broadcast; E-shape naming both whole shapes."""
    try:
        return broadcast("matmul", (x[:-2], y[:-2]))
    except OpError as exc:
        raise OpError(
            "E-shape",
            f"matmul: {show_shape(x)} @ {show_shape(y)}: the batch axes "
            f"{show_shape(x[:-2])} and {show_shape(y[:-2])} cannot broadcast (each axis "
            "equal or 1, aligned at the last)",
            "make the leading axes agree or 1; the matrices are the last two axes",
        ) from exc


@wording
def inner_help(x: Shape, y: Shape) -> str:
    """The transpose that would make the inner sizes agree, if one would."""
    if x[-1] == y[-1]:
        return (
            f"the last axes agree ({x[-1]}): transpose the second with `transpose(-1, -2)`, "
            "as attention's scores take Q @ Kᵀ"
        )
    if x[-2] == y[-2]:
        return f"the row counts agree ({x[-2]}): transpose the first with `transpose(-1, -2)`"
    return (
        "the first's last axis (k) must equal the second's second-to-last: [.., m, k] @ [.., k, n]"
    )
