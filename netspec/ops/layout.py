"""Ops that rearrange the axes of a tensor without weights: permute, transpose, squeeze,
unsqueeze and channel_shuffle (pad, slice and crop, which change an axis's extent, are
in border.py).

Dims are Python's: negative counts from the end, the batch axis is dim 0. Connections:
none (wiring, as concat and flatten count it); no multiply-adds, and 0 FLOPs: moving
elements is data movement, not arithmetic (docs/costs.md). permute, transpose, squeeze
and unsqueeze are views in PyTorch (no new memory); channel_shuffle copies.

Receptive field: an op that keeps every spatial axis (dims 2 and on) in place keeps
positions (a transpose of N and C, a channel shuffle, an axis appended at the end); one
that moves, drops or inserts an axis before a spatial axis makes the field global, as
flatten does.

squeeze of a dim whose size is not 1 is an error: PyTorch silently keeps such a dim,
which is rarely what was meant (docs/ops.md).

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/layout.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
    Attrs,
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
from netspec.values import Shape, show_shape


class Wiring(Op):
    """No weights, no links, no FLOPs, the diagram's "other" box (border.py's ops too)."""

    counts = no_params
    min_rank = 1
    connection_rule = "none (wiring)"
    cost = per_element(0)
    flops_rule = "0 (data movement)"
    family = "other"
    torchinfo = fvcore = NOT_COUNTED

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0


def axis(arg: str, dim: int, x: Shape) -> int:
    return dim_index(arg, dim, x, f"choose a dim from {-len(x)} to {len(x) - 1} (0 is the batch)")


def keeps_spatial(order: tuple[int, ...]) -> bool:
    """Whether output axis i is input axis i for every spatial axis (2 and on)."""
    return len(order) < 3 or all(d == i for i, d in enumerate(order) if i >= 2)


@register
class Permute(Wiring):
    name = "permute"
    moves_axes = True  # a linear after it may mean the channels (no W-flatten)
    params = (Param("dims", "ints", doc="every axis once, the batch axis 0 included"),)
    summary = "reorders the axes: output axis i is input axis dims[i] (torch.permute)"
    view = True
    explain = lazy("layout", "explain_permute")

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        x = inputs[0]
        dims = a["dims"] if isinstance(a["dims"], tuple) else (a["dims"],)
        example = f"permute({list(range(len(x)))})"
        if len(dims) != len(x):
            raise OpError(
                "E-value",
                f"permute needs {len(x)} dims for {show_shape(x)}, got {len(dims)}",
                f"list every axis once, the batch axis 0 included: {example} keeps them",
                "dims",
            )
        order = tuple(axis("dims", d, x) for d in dims)
        if len(set(order)) != len(order):
            twice = sorted({d for d in order if order.count(d) > 1})
            raise OpError(
                "E-value",
                f"permute names dim {twice[0]} twice: {list(dims)}",
                f"each axis exactly once, e.g. {example}",
                "dims",
            )
        return {**a, "dims": order}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return tuple(inputs[0][d] for d in a["dims"])

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return POINTWISE if keeps_spatial(a["dims"]) else GLOBAL

    def describe(self, a: Attrs) -> str:
        return f"permute {list(a['dims'])}"


@register
class Transpose(Permute):
    name = "transpose"
    params = (Param("dim0", "int"), Param("dim1", "int"))
    summary = "swaps two axes (torch.transpose)"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        d0, d1 = axis("dim0", a["dim0"], inputs[0]), axis("dim1", a["dim1"], inputs[0])
        order = list(range(len(inputs[0])))
        order[d0], order[d1] = d1, d0
        return {**a, "dim0": d0, "dim1": d1, "dims": tuple(order)}

    def describe(self, a: Attrs) -> str:
        return f"transpose {a['dim0']},{a['dim1']}"


@register
class Squeeze(Wiring):
    name = "squeeze"
    params = (Param("dim", "int", doc="the axis of size 1 to remove"),)
    min_rank = 2
    summary = "removes an axis of size 1 (torch.squeeze(dim)); any other size is an error"
    view = True
    explain = lazy("layout", "explain_squeeze")

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        x = inputs[0]
        d = axis("dim", a["dim"], x)
        if x[d] != 1:
            raise OpError(
                "E-shape",
                f"squeeze: dim {d} of {show_shape(x)} has size {x[d]}, not 1",
                "PyTorch would keep it silently, netspec takes it for a mistake: squeeze a "
                "dim of size 1 (global_avgpool makes the spatial dims 1), or flatten",
                "dim",
            )
        return {**a, "dim": d}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        return (*x[: a["dim"]], *x[a["dim"] + 1 :])

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        # every spatial axis moves down, or is itself removed
        return GLOBAL if len(inputs[0]) >= 3 else POINTWISE


@register
class Unsqueeze(Squeeze):
    name = "unsqueeze"
    params = (Param("dim", "int", doc="where the new axis of size 1 goes"),)
    min_rank, max_rank = 1, 7
    summary = "inserts an axis of size 1 at dim (torch.unsqueeze)"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        x = inputs[0]
        hint = f"choose a dim from {-len(x) - 1} to {len(x)}: the new axis's index in the output"
        return {**a, "dim": dim_index("dim", a["dim"], (*x, 1), hint)}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        return (*x[: a["dim"]], 1, *x[a["dim"] :])

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        x = inputs[0]
        return POINTWISE if len(x) < 3 or a["dim"] == len(x) else GLOBAL


@register
class ChannelShuffle(Wiring):
    name = "channel_shuffle"
    params = (Param("groups", "int", minimum=1),)
    min_rank = 3
    summary = "interleaves the channels of g groups (ShuffleNet, Zhang et al. 2018)"
    flops_rule = "0 (a copy)"
    explain = lazy("layout", "explain_channel_shuffle")
    receptive = pointwise

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x, g = inputs[0], a["groups"]
        if not isinstance(x[1], int):
            raise OpError(
                "E-shape",
                f"channel_shuffle needs concrete channels, got {x[1]}",
                "shuffle a dim 1 whose size is a number (a sequence's length is symbolic)",
            )
        if x[1] % g:
            fits = ", ".join(str(d) for d in range(1, x[1] + 1) if x[1] % d == 0)
            raise OpError(
                "E-value",
                f"channel_shuffle: {x[1]} channels do not divide into {g} groups",
                f"choose groups from the divisors of {x[1]}: {fits}",
                "groups",
            )
        return x

    def describe(self, a: Attrs) -> str:
        return f"channel_shuffle g{a['groups']}"
