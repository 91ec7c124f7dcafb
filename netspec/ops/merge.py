"""Merges: add, mul and concat, over branches `{ a | b }` or named values `add(x)`.

Shapes: concat joins along one dim; mul broadcasts by NumPy's rules (a gate [N, C, 1, 1]
scales every position of [N, C, H, W]); add broadcasts the same way, but the elaborator
lets it only where an input is a learned tensor (`param`): two computed tensors must
agree, so a residual with a forgotten projection stays an error (:func:`equal_shapes`).

Connections: add and mul link each output unit to the k units it combines (k inputs);
concat only places units side by side (none).

Costs: add and mul do k - 1 operations per output element; concat copies (0 FLOPs). The
receptive field of a merge is the union of its branches' fields, which the analysis
computes (netspec.analysis.receptive); the op itself keeps positions, except a concat
along a spatial axis, which places different positions side by side.

The shape errors' hints are chosen from what differs (channels, spatial size, both):
a padding fix only where sizes differ as unpadded convolutions make them differ.

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
    lazy,
    no_params,
    per_element,
    pointwise,
    register,
)
from netspec.ops.counting import NOT_COUNTED
from netspec.symbolic import wording
from netspec.values import Shape, numel, show_shape


class _Combine(Op):
    """An elementwise merge of k tensors, broadcast by NumPy's rules."""

    counts = no_params
    merge = True
    min_rank = 1
    receptive = pointwise
    family = "merge"
    torchinfo = fvcore = NOT_COUNTED

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, (len(inputs) - 1) * numel(out))

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return broadcast(self.name, inputs)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return len(inputs) * numel(out)


@register
class Add(_Combine):
    name = "add"
    broadcasts = "learned"
    summary = (
        "elementwise sum: computed tensors of equal shape (residual connections); "
        "a learned tensor broadcasts"
    )
    connection_rule = "k links per output unit for k summed tensors"
    flops_rule = "k - 1 per output element for k summed tensors"
    explain = lazy("merge", "explain_add")


@register
class Mul(_Combine):
    name = "mul"
    broadcasts = "always"
    summary = "elementwise product, broadcast by NumPy's rules (gating, squeeze-and-excite)"
    connection_rule = "k links per output unit for k multiplied tensors"
    flops_rule = "k - 1 per output element for k multiplied tensors"
    explain = lazy("merge", "explain_mul")


def equal_shapes(op: str, inputs: tuple[Shape, ...]) -> None:
    """`add` of computed tensors: every shape equal, else E-shape with a hint chosen from
    what differs."""
    first = inputs[0]
    for other in inputs[1:]:
        if other != first:
            raise OpError(
                "E-shape",
                f"{op}: branch shapes differ: {show_shape(first)} vs {show_shape(other)}",
                add_help(first, other),
            )


def broadcast(op: str, inputs: tuple[Shape, ...]) -> Shape:
    """NumPy's broadcasting: shapes aligned at their last axes, each axis equal or 1 (a
    missing leading axis counts as 1); symbolic sizes (N) match only themselves or 1."""
    out = inputs[0]
    for other in inputs[1:]:
        out = _broadcast_pair(op, out, other)
    return out


def _broadcast_pair(op: str, a: Shape, b: Shape) -> Shape:
    rank = max(len(a), len(b))
    pa, pb = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for axis, (x, y) in enumerate(zip(pa, pb, strict=True)):
        if x != y and x != 1 and y != 1:
            raise OpError(
                "E-shape",
                f"{op}: shapes {show_shape(a)} and {show_shape(b)} cannot broadcast: "
                f"along axis {axis} of the aligned shapes, {x} vs {y} (each axis must be "
                "equal or 1, the shapes aligned at their last axes)",
                broadcast_help(a, b),
            )
        out.append(y if x == 1 else x)
    return tuple(out)


@wording
def broadcast_help(a: Shape, b: Shape) -> str:
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < len(long) and tuple(long[: len(short)]) == tuple(short):
        kept = show_shape((*short, *(1,) * (len(long) - len(short))))
        return (
            f"{show_shape(short)} is aligned with the last axes of {show_shape(long)}, not "
            f"the first (NumPy's rule): a gate of {show_shape(short)} needs the shape "
            f"{kept} — drop the flatten after global_avgpool, or reshape({kept})"
        )
    return (
        "make the axes agree or 1: a per-channel gate is [N, C, 1, 1] (global_avgpool), "
        "or reshape one input"
    )


@register
class Concat(Op):
    counts = no_params
    name = "concat"
    merge = True
    params = (Param("dim", "int", 1),)
    min_rank = 1
    summary = (
        "joins tensors along dim (channels by default); other dims must match, but a batch "
        "of 1 (a learned class token [1, 1, D]) is repeated to the others' batch"
    )
    connection_rule = "none (wiring)"
    cost = per_element(0)
    flops_rule = "0 (a copy)"
    explain = lazy("merge", "explain_concat")
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
        batch = next((s[0] for s in inputs if s[0] != 1), first[0]) if dim != 0 else first[0]
        for shape in inputs:
            if (
                len(shape) != len(first)
                or any(
                    x != y
                    for i, (x, y) in enumerate(zip(shape, first, strict=False))
                    if i != dim and not (i == 0 and 1 in (x, y) and dim != 0)
                )
                or (dim != 0 and shape[0] not in (1, batch))
            ):
                raise OpError(
                    "E-shape",
                    f"concat on dim {dim}: shapes {show_shape(first)} and "
                    f"{show_shape(shape)} differ outside dim {dim}",
                    concat_help(first, shape, dim),
                )
            if not isinstance(shape[dim], int):
                raise OpError(
                    "E-shape",
                    f"concat needs concrete sizes along dim {dim}",
                    "symbolic dims such as N cannot be joined; concat on another dim",
                )
            total += shape[dim]
        out = (*first[:dim], total, *first[dim + 1 :])
        return (batch, *out[1:]) if dim != 0 else out

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0


# --- hints chosen from what differs: the channels, the spatial size (by a stride, by an
# odd size halved, by unpadded convolutions) or both; padding only where it is the cause


def _spatial(shape: Shape) -> str:
    return "x".join(str(d) for d in shape[2:])


def stride_between(big: Shape, small: Shape) -> int:
    """The stride s >= 2 with ceil(big / s) == small on every spatial axis, or 0."""
    if not all(isinstance(d, int) and d > 0 for d in (*big[2:], *small[2:])):
        return 0
    s = round(big[2] / small[2])
    pairs = zip(big[2:], small[2:], strict=True)
    if s < 2 or any(-(-x // s) != y and x // s != y for x, y in pairs):
        return 0
    return s


def _size_fix(a: Shape, b: Shape) -> str:
    """Why two spatial sizes differ, and what makes them equal (no stride between them)."""
    pairs = zip(a[2:], b[2:], strict=True)
    gaps = {x - y for x, y in pairs if isinstance(x, int) and isinstance(y, int)}
    gaps.discard(0)
    if gaps and all(abs(g) == 1 for g in gaps):
        return (
            "one is an odd size halved and doubled again (pooling drops its last row): "
            "make the input size divisible by every downsampling, or crop the larger"
        )
    if gaps and all(g % 2 == 0 for g in gaps):
        return (
            "unpadded convolutions shrink a map by k - 1: pad them (padding=1 on a 3x3, "
            'or padding="same") so the sizes stay equal, or crop the larger'
        )
    return "resize one branch (pool, stride or pad) until the sizes agree"


@wording
def add_help(a: Shape, b: Shape) -> str:
    if len(a) != len(b) or len(a) < 3:
        return "add needs equal shapes; concat joins different channel counts"
    channels, spatial = a[1] != b[1], a[2:] != b[2:]
    big, small = (a, b) if _larger(a, b) else (b, a)
    s = stride_between(big, small) if spatial else 1
    if channels and not spatial:
        return (
            f"the channels differ ({a[1]} vs {b[1]}), the spatial sizes agree: give the "
            f"{b[1]}-channel branch a projection to {a[1]}: conv({a[1]}, 1) bn"
        )
    if spatial and s:
        stride = f"stride={s}"
        if channels:
            return (
                f"both differ, the channels ({a[1]} vs {b[1]}) and the size ({_spatial(a)} "
                f"vs {_spatial(b)}, a stride of {s}): give the shortcut a projection with the "
                f"main path's stride, conv({small[1]}, 1, {stride}) bn (ResNet's downsample)"
            )
        return (
            f"the spatial sizes differ ({_spatial(a)} vs {_spatial(b)}, a stride of {s}): "
            f"give the shortcut the main path's stride, conv({a[1]}, 1, {stride}) bn"
        )
    if spatial:
        prefix = f"the channels differ ({a[1]} vs {b[1]}) and " if channels else ""
        return f"{prefix}the sizes differ ({_spatial(a)} vs {_spatial(b)}): {_size_fix(a, b)}"
    return "add needs equal shapes, the batch dimension included"


@wording
def concat_help(a: Shape, b: Shape, dim: int) -> str:
    if len(a) != len(b):
        return f"concat joins tensors of one rank: flatten or reshape the rank-{len(b)} one"
    if dim != 1 or len(a) < 3 or a[0] != b[0]:
        return f"every dimension but dim {dim} must match: crop, pad or reshape one input"
    big, small = (a, b) if _larger(a, b) else (b, a)
    s = stride_between(big, small)
    if s:
        return (
            f"the sizes differ by a stride of {s} ({_spatial(a)} vs {_spatial(b)}): concat "
            f"maps of the same resolution, or upsample the {_spatial(small)} one "
            f"(conv_transpose({small[1]}, {s}, stride={s}))"
        )
    return f"the sizes differ ({_spatial(a)} vs {_spatial(b)}): {_size_fix(a, b)}"


def _larger(a: Shape, b: Shape) -> bool:
    x, y = a[2], b[2]
    return isinstance(x, int) and isinstance(y, int) and x >= y
