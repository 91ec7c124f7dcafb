"""Pooling: maxpool, avgpool, LeNet-5's trainable subsample, global and adaptive pools.

Rank-generic over [N, C, *spatial]. Connections: each output unit links to the input
units its window covers (positions on padding are not units), counted exactly axis by
axis; `subsample` adds LeCun's bias link: S2 = 6 x 14 x 14 x (4 + 1) = 5,880.

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/pool.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from math import gcd, prod

from netspec.ops import arith
from netspec.ops.arith import axis_names
from netspec.ops.base import (
    UNEVEN,
    Attrs,
    Cost,
    Counts,
    Figures,
    Op,
    OpError,
    OpWarning,
    Param,
    ToolRule,
    Window,
    lazy,
    no_params,
    register,
    window,
)
from netspec.ops.counting import NOT_COUNTED, PARAMS_PER_SAMPLE, dims, known
from netspec.values import Shape, numel


class _WindowPool(Op):
    counts = no_params
    min_rank, max_rank = 3, 5
    family = "pool"
    connection_rule = "each output unit links to the input units inside its window (not padding)"
    flops_rule = "prod(kernel) per output element"
    explain = lazy("pool", "explain_pool")

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, prod(a["kernel"]) * numel(out))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        return arith.sliding_windows(a)

    def rank_help(self) -> str:
        return "pooling needs [N, C, L], [N, C, H, W] or [N, C, D, H, W]"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        rank = len(inputs[0]) - 2
        sizes = arith.concrete_spatial(self.name, inputs[0])
        a = dict(a)
        a["kernel"] = arith.kernel_per_dim(a["kernel"], rank)
        stride = a["stride"]
        a["stride"] = a["kernel"] if stride is None else arith.per_dim("stride", stride, rank)
        a["dilation"] = arith.per_dim("dilation", a["dilation"], rank)
        a["padding"] = arith.padding_pairs(
            a["padding"], rank, sizes, a["kernel"], a["stride"], a["dilation"]
        )
        for k, pad in zip(a["kernel"], a["padding"], strict=False):
            # PyTorch's rule: the undilated kernel's half, so that no window (of a
            # kernel that is not dilated) lies entirely in padding.
            if max(pad) > k // 2:
                raise OpError(
                    "E-value",
                    f"{self.name}: padding {max(pad)} is more than half the kernel ({k})",
                    f"pad at most kernel // 2 = {k // 2}, as PyTorch requires",
                    "padding",
                )
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        out = []
        for axis, (i, k, s, pad, d) in enumerate(
            zip(x[2:], a["kernel"], a["stride"], a["padding"], a["dilation"], strict=False)
        ):
            o = arith.pool_out(i, k, s, pad, d, a["ceil_mode"])
            if o < 1:
                ek, total = arith.effective_kernel(k, d), pad[0] + pad[1]
                rounding = "ceil" if a["ceil_mode"] else "floor"
                raise OpError(
                    "E-size",
                    f"{self.name}: window {ek} is larger than the padded "
                    f"input {i + total} along {axis_names(len(x) - 2)[axis]}: output "
                    f"size {rounding}(({i} + {total} - {ek}) / {s}) + 1 = {o}",
                    "the input is already too small here: remove a pooling layer or "
                    "use a larger input",
                    "kernel",
                )
            out.append(o)
        return (*x[:2], *out)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return numel(out[:2]) * arith.links(a, inputs[0][2:], out[2:])

    def describe(self, a: Attrs) -> str:
        return f"{self.name} {arith.window_text(a)}" + (" ceil" if a["ceil_mode"] else "")

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        if a["ceil_mode"]:
            return []
        return arith.floor_warnings(
            self.name, inputs[0], out, a["kernel"], a["stride"], a["padding"], a["dilation"]
        )


_POOL_PARAMS = (
    Param("kernel", "ints", minimum=1),
    Param("stride", "ints", None, minimum=1, doc="defaults to the kernel"),
    Param("padding", "padding", 0),
    Param("dilation", "ints", 1, minimum=1),
    Param("ceil_mode", "bool", False),
)


@register
class MaxPool(_WindowPool):
    name = "maxpool"
    params = _POOL_PARAMS
    summary = "max pooling (pads with -inf); overlapping when stride < kernel"
    torchinfo = fvcore = NOT_COUNTED


@register
class AvgPool(_WindowPool):
    name = "avgpool"
    params = (*_POOL_PARAMS, Param("count_include_pad", "bool", True))
    summary = "average pooling"
    torchinfo = fvcore = NOT_COUNTED

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        a = super().normalize(a, inputs)
        sizes = inputs[0][2:]
        # PyTorch's 3-d average pooling (alone among its pools) refuses an input smaller
        # than the kernel even when padding makes room; the spec must lower to it.
        if len(sizes) == 3 and any(i < k for i, k in zip(sizes, a["kernel"], strict=True)):
            raise OpError(
                "E-size",
                f"avgpool: 3-d input {list(sizes)} is smaller than the kernel {list(a['kernel'])}",
                "PyTorch's AvgPool3d needs every input size >= the kernel, padding aside",
                "kernel",
            )
        return a


@register
class Subsample(_WindowPool):
    name = "subsample"
    params = (Param("kernel", "ints", minimum=1),)
    summary = "LeNet-5 subsampling: per map, coefficient x sum(window) + bias"
    param_rule = "2 per map: one coefficient and one bias"
    flops_rule = "prod(kernel) + 1 per output element (window sum, coefficient, bias)"
    torchinfo = PARAMS_PER_SAMPLE
    fvcore = NOT_COUNTED  # avg_pool, mul and add: no fvcore handle

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, (prod(a["kernel"]) + 1) * numel(out))

    connection_rule = "(window size + 1 bias link) x output units"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        # Non-overlapping windows: the window attributes maxpool takes, fixed.
        fixed = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False}
        return super().normalize({**a, **fixed}, inputs)

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=2 * inputs[0][1])

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return super().connections(a, inputs, out) + numel(out)


def _adaptive_avg_2d(layer: Figures) -> int:
    # fvcore (flop_count.py:42): adaptive_avg_pool2d reads each input element once; the
    # 1-d and 3-d kernels have no handle (0). netspec's global_avgpool lowers to it.
    return known(layer.input_shapes[0]) if len(layer.output_shape) == 4 else 0


ADAPTIVE_AVG_2D = ToolRule(
    _adaptive_avg_2d,
    lambda layer: (
        f"input elements = {dims(layer.input_shapes[0])}"
        if len(layer.output_shape) == 4
        else "not counted (no handle for this rank)"
    ),
)


class _GlobalPool(Op):
    counts = no_params
    min_rank, max_rank = 3, 5
    family = "pool"
    torchinfo = NOT_COUNTED
    connection_rule = "each output unit links to every position of its channel"
    flops_rule = "1 per input element"
    explain = lazy("pool", "explain_global_pool")

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, numel(inputs[0]))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        return tuple(window(n, n, 0) for n in inputs[0][2:])

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        self.check_rank(inputs)
        arith.concrete_spatial(self.name, inputs[0])
        x = inputs[0]
        return (*x[:2], *(1 for _ in x[2:]))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return numel(inputs[0])


@register
class GlobalAvgPool(_GlobalPool):
    name = "global_avgpool"
    summary = "mean over all spatial positions; keeps the dims as size 1"
    fvcore = ADAPTIVE_AVG_2D


@register
class GlobalMaxPool(_GlobalPool):
    name = "global_maxpool"
    summary = "max over all spatial positions; keeps the dims as size 1"
    fvcore = NOT_COUNTED


def adaptive_window_total(i: int, o: int) -> int:
    """Sum over j < o of PyTorch's adaptive window lengths ceil((j+1)i/o) - floor(ji/o).

    In closed form i + o - gcd(i, o): the floors cancel term by term, and ceil exceeds
    floor except at the gcd(i, o) values of j where (j+1)i/o is an integer.
    """
    return i + o - gcd(i, o)


class _AdaptivePool(Op):
    counts = no_params
    min_rank, max_rank = 3, 5
    family = "pool"
    torchinfo = NOT_COUNTED
    params = (Param("size", "ints", minimum=1, doc="output size, one int or one per spatial dim"),)
    connection_rule = "each output unit links to the positions of its adaptive window"
    flops_rule = "1 per position read: the window lengths summed over the output"
    explain = lazy("pool", "explain_adaptive_pool")

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, self.connections(a, inputs, out))

    def receptive(
        self, a: Attrs, inputs: tuple[Shape, ...], out: Shape
    ) -> tuple[Window, ...] | str:
        # Equal windows when the size divides; otherwise they differ in length and spacing.
        sizes = list(zip(inputs[0][2:], a["size"], strict=True))
        if any(i % o for i, o in sizes):
            return UNEVEN
        return tuple(window(i // o, i // o, 0) for i, o in sizes)

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        arith.concrete_spatial(self.name, inputs[0])
        size = arith.per_dim("size", a["size"], len(inputs[0]) - 2)
        return {**a, "size": size}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return (*inputs[0][:2], *a["size"])

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        per_map = prod(
            adaptive_window_total(i, o) for i, o in zip(inputs[0][2:], a["size"], strict=False)
        )
        return numel(out[:2]) * per_map

    def describe(self, a: Attrs) -> str:
        return f"{self.name} {'x'.join(map(str, a['size']))}"


@register
class AdaptiveAvgPool(_AdaptivePool):
    name = "adaptive_avgpool"
    summary = "average pooling to a fixed output size (windows as PyTorch computes them)"
    fvcore = ADAPTIVE_AVG_2D


@register
class AdaptiveMaxPool(_AdaptivePool):
    name = "adaptive_maxpool"
    summary = "max pooling to a fixed output size"
    fvcore = NOT_COUNTED
