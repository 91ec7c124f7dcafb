"""Convolutions: conv (with groups and LeNet connection tables), partial_conv,
conv_transpose. Rank-generic over [N, C, L], [N, C, H, W] and [N, C, D, H, W].

Connections (LeCun's count): for each output unit, the links to input units its
kernel taps land on (taps on zero padding are not links) plus one bias link. The
count is exact, summed axis by axis with :func:`window_pairs`; without padding it is
(taps per unit + 1) x units, e.g. LeNet-5 C1: (25 + 1) x 6 x 28 x 28 = 122,304.

Multiply-adds count every kernel tap, padding included (frameworks multiply the zeros):
(C_in / groups) x prod(kernel) per output element, e.g. C1: 25 x 6 x 28 x 28 = 117,600.
A transposed convolution does that work per *input* element. Receptive field: a
convolution is a window of extent d(k - 1) + 1, stride s, padding p_before; a
transposed one of stride 1/s (see docs/costs.md).

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/conv.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from fractions import Fraction
from math import prod

from netspec.ops import arith, mistakes
from netspec.ops.arith import axis_names
from netspec.ops.base import (
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
    register,
)
from netspec.ops.counting import MACS, PARAMS_PER_POSITION, dims, known
from netspec.values import Shape, numel, show_shape


class _ConvBase(Op):
    min_rank, max_rank = 3, 5
    family = "conv"
    torchinfo = PARAMS_PER_POSITION  # every lowering's class name has "Conv" in it
    param_rule = "out x (C_in / groups) x prod(kernel) weights + out biases"
    connection_rule = (
        "sum over output units of (input links inside the input, not on padding) + 1 bias link;"
        " without padding (C_in/groups x prod(kernel) + bias) x out x prod(output size)"
    )

    def rank_help(self) -> str:
        return "convolutions need [N, C, L], [N, C, H, W] or [N, C, D, H, W]; flatten/reshape first"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs[:1])
        x = inputs[0]
        rank = len(x) - 2
        sizes = arith.concrete_spatial(self.name, x)
        a = dict(a)
        a["kernel"] = arith.kernel_per_dim(a["kernel"], rank)
        for key in ("stride", "dilation"):
            a[key] = arith.per_dim(key, a[key], rank)
        a["padding"] = arith.padding_pairs(
            a["padding"], rank, sizes, a["kernel"], a["stride"], a["dilation"]
        )
        self._check_channels(a, x)
        return a

    def _check_channels(self, a: Attrs, x: Shape) -> None:
        c, groups = x[1], a["groups"]
        if not isinstance(c, int):
            raise OpError(
                "E-shape",
                f"{self.name} needs a concrete channel count, got {c}",
                "give the input's channel dimension as a number: [N, 3, H, W]",
            )
        if a.get("connect") is not None:
            return self._check_table(a, c)
        if c % groups:
            raise OpError(
                "E-groups",
                f"groups={groups} does not divide the {c} input channels",
                f"choose groups among the divisors of {c}: {_divisors(c)}",
                "groups",
            )
        if a["out"] % groups:
            raise OpError(
                "E-groups",
                f"groups={groups} does not divide out={a['out']}",
                f"choose out as a multiple of {groups}",
                "groups",
            )

    def _check_table(self, a: Attrs, c: int) -> None:
        table = a["connect"]
        if a["groups"] != 1:
            raise OpError(
                "E-connect",
                "a connection table replaces groups; use one or the other",
                "remove groups=...; the table already says which inputs feed each output",
                "connect",
            )
        if len(table) != a["out"]:
            raise OpError(
                "E-connect",
                f"the connection table has {len(table)} rows but out={a['out']}",
                "give one list of input channels per output channel",
                "connect",
            )
        for row_index, row in enumerate(table):
            for ch in row:
                if not 0 <= ch < c:
                    raise OpError(
                        "E-connect",
                        f"connection table row {row_index} names input "
                        f"channel {ch}, but the input has {c} channels (0 to {c - 1})",
                        "channels are numbered from 0; check the table against the "
                        "input's channel count",
                        "connect",
                    )
            if len(set(row)) != len(row):
                raise OpError(
                    "E-connect",
                    f"connection table row {row_index} repeats a channel: {list(row)}",
                    "list each input channel once per row",
                    "connect",
                )

    def fan_in_channels(self, a: Attrs, c: int) -> int:
        """Input channels summed over output channels (the weight tensor's C_in x C_out)."""
        if a.get("connect") is not None:
            return sum(len(row) for row in a["connect"])
        return a["out"] * (c // a["groups"])

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        sizes = x[2:]
        out = []
        for axis, (i, k, s, pad, d) in enumerate(
            zip(sizes, a["kernel"], a["stride"], a["padding"], a["dilation"], strict=False)
        ):
            o = self.axis_out(i, k, s, pad, d, a)
            if o < 1:
                raise self._too_small(axis_names(len(sizes))[axis], i, k, s, pad, d, o)
            out.append(o)
        return (x[0], a["out"], *out)

    def axis_out(self, i, k, s, pad, d, a: Attrs) -> int:
        return arith.conv_out(i, k, s, pad, d)

    def _too_small(self, axis, i, k, s, pad, d, o) -> OpError:
        ek = arith.effective_kernel(k, d)
        padded = i + pad[0] + pad[1]
        kernel = f"kernel {k}" + (f" (dilated to {ek})" if d > 1 else "")
        return OpError(
            "E-size",
            f"{self.name}: {kernel} is larger than the padded input {padded} along {axis}: "
            f"output size floor(({i} + {pad[0] + pad[1]} - {ek}) / {s}) + 1 = {o}",
            f"pad the input (padding={(ek - i + 1) // 2 if ek > i else 1}) or use a smaller "
            "kernel, or remove a pooling layer earlier",
            "kernel",
        )

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        weights = self.fan_in_channels(a, inputs[0][1]) * prod(a["kernel"])
        return Counts(trainable=weights + (a["out"] if a["bias"] else 0))

    transposed = False
    flops_rule = "2 x macs + one add per output element for the bias"
    macs_rule = "output elements x (C_in / groups) x prod(kernel)"

    def macs(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        """Kernel taps times the units that apply the kernel (outputs; inputs if transposed)."""
        x = inputs[0]
        units = numel(x) // x[1] if self.transposed else numel(out) // out[1]
        return units * self.fan_in_channels(a, x[1]) * prod(a["kernel"])

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        macs = self.macs(a, inputs, out)
        return Cost(macs, 2 * macs + (numel(out) if a["bias"] else 0))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        return arith.sliding_windows(a)

    explain = lazy("conv", "explain_conv")

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        x = inputs[0]
        taps = self.fan_in_channels(a, x[1]) * arith.links(a, x[2:], out[2:], self.transposed)
        return numel(out[:1]) * (taps + (numel(out[1:]) if a["bias"] else 0))

    def describe(self, a: Attrs) -> str:
        kernel, _, rest = arith.window_text(a).partition(" ")
        stride, _, extra = rest.partition(" ")
        text = f"{self.name} {kernel} {stride}, {a['out']}" + (f" {extra}" if extra else "")
        if a.get("groups", 1) != 1:
            text += f" g{a['groups']}"
        if a.get("connect") is not None:
            text += " table"
        return text

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        x = inputs[0]
        return [
            *mistakes.no_batch(self.name, x),
            *mistakes.pytorch_order(self.name, a, x),
            *arith.floor_warnings(
                self.name, x, out, a["kernel"], a["stride"], a["padding"], a["dilation"]
            ),
        ]


def _divisors(n: int) -> str:
    divs = [d for d in range(1, min(n, 10_000) + 1) if n % d == 0]
    return ", ".join(map(str, divs[:12])) + (", ..." if len(divs) > 12 else "")


_CONV_PARAMS = (
    Param("out", "int", minimum=1, doc="output channels"),
    Param("kernel", "ints", minimum=1, doc="kernel size, one int or one per spatial dim"),
    Param("stride", "ints", 1, minimum=1),
    Param("padding", "padding", 0, doc='int, per-dim list, [before, after] pairs, "same", "valid"'),
    Param("dilation", "ints", 1, minimum=1),
    Param("groups", "int", 1, minimum=1),
    Param("bias", "bool", True),
)


def conv_as_run(layer: Figures) -> int:
    """fvcore's count: `macs`, except that a connection table runs dense, every output
    channel reading every input channel (backends/torch/runtime/classic.py, TableConv)."""
    if layer.attrs.get("connect") is None:
        return layer.cost.macs
    return known(layer.output_shape) * layer.input_shapes[0][1] * prod(layer.attrs["kernel"])


def _dense_formula(layer: Figures) -> str:
    if layer.attrs.get("connect") is None:
        return "the layer's multiply-adds"
    x, out, kernel = layer.input_shapes[0], layer.output_shape, layer.attrs["kernel"]
    return (
        "output elements x all input channels x kernel (the table runs dense) = "
        f"{dims(out)}·{x[1]}·{dims(kernel)}"
    )


DENSE_RUN = ToolRule(conv_as_run, _dense_formula)


@register
class Conv(_ConvBase):
    name = "conv"
    params = (*_CONV_PARAMS, Param("connect", "table", None, doc="connection table"))
    summary = "convolution; `connect` gives LeNet-5 style connection tables"
    fvcore = DENSE_RUN


@register
class PartialConv(_ConvBase):
    name = "partial_conv"
    params = (
        *_CONV_PARAMS[:2],
        Param("mask", "tensor", doc="the validity mask, by name"),
        *_CONV_PARAMS[2:],
    )
    summary = "partial convolution (Liu et al. 2018): re-normalised by the mask's coverage"
    fvcore = MACS  # one convolution; its mask sums are slices and adds, uncounted
    flops_rule = (
        "2 x macs + bias adds + per output position the mask window's sum"
        " (C_mask x prod(kernel) adds) and one ratio, + one rescale per output element"
    )

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        base = super().cost(a, inputs, out)
        positions = numel(out) // out[1]
        mask_work = positions * (inputs[1][1] * prod(a["kernel"]) + 1) + numel(out)
        return Cost(base.macs, base.flops + mask_work)

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        a = super().normalize(a, inputs)
        if len(inputs) != 2:
            raise OpError(
                "E-arg",
                "partial_conv needs mask=name, the tensor of valid pixels",
                "declare the mask as an input or name a statement, then pass mask=m",
                "mask",
            )
        x, mask = inputs
        if len(mask) != len(x) or mask[2:] != x[2:] or mask[1] not in (1, x[1]):
            raise OpError(
                "E-shape",
                f"partial_conv: mask {show_shape(mask)} does not fit the input {show_shape(x)}",
                "the mask needs the input's spatial size and 1 or C channels",
                "mask",
            )
        return a


@register
class ConvTranspose(_ConvBase):
    name = "conv_transpose"
    params = (*_CONV_PARAMS[:4], Param("output_padding", "ints", 0, minimum=0), *_CONV_PARAMS[4:])
    summary = "transposed convolution (fractionally strided, 'deconvolution')"
    fvcore = MACS
    param_rule = "C_in x (out / groups) x prod(kernel) weights + out biases"
    connection_rule = (
        "links from each input unit through each kernel tap to an output unit inside the output"
        " (taps cropped by padding are not links), plus one bias link per output unit"
    )

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        rank = len(inputs[0]) - 2
        if isinstance(a["padding"], str):
            raise OpError(
                "E-value",
                f'conv_transpose takes numeric padding, not "{a["padding"]}"',
                "use output_padding and padding to choose the output size",
                "padding",
            )
        a = super().normalize(a, inputs)
        a["output_padding"] = arith.per_dim("output_padding", a["output_padding"], rank)
        for pad in a["padding"]:
            if pad[0] != pad[1]:
                raise OpError(
                    "E-value",
                    "conv_transpose padding must be symmetric",
                    "crop afterwards, or use output_padding for one extra row",
                    "padding",
                )
        for op_, s, d in zip(a["output_padding"], a["stride"], a["dilation"], strict=False):
            if op_ >= max(s, d):
                raise OpError(
                    "E-value",
                    f"output_padding {op_} must be smaller than the stride "
                    f"({s}) or the dilation ({d})",
                    "it only picks among the sizes a stride can produce",
                    "output_padding",
                )
        return a

    def fan_in_channels(self, a: Attrs, c: int) -> int:
        return c * (a["out"] // a["groups"])

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        out = []
        for axis, (i, k, s, pad, d, op_) in enumerate(
            zip(
                x[2:],
                a["kernel"],
                a["stride"],
                a["padding"],
                a["dilation"],
                a["output_padding"],
                strict=False,
            )
        ):
            o = arith.conv_transpose_out(i, k, s, pad[0], op_, d)
            if o < 1:
                raise OpError(
                    "E-size",
                    f"conv_transpose: output size along "
                    f"{axis_names(len(x) - 2)[axis]} is s(i - 1) + a + d(k - 1) + 1 - 2p = "
                    f"{s} x ({i} - 1) + {op_} + {arith.effective_kernel(k, d)} - 2 x {pad[0]} "
                    f"= {o}",
                    "reduce the padding",
                    "padding",
                )
            out.append(o)
        return (x[0], a["out"], *out)

    transposed = True
    macs_rule = "input elements x (out / groups) x prod(kernel)"

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        # Output y receives input x when y = x s - p + t d for a tap t < k, i.e.
        # x in [(y + p - d(k - 1)) / s, (y + p) / s]: stride 1/s in input units.
        windows = []
        for k, s, pad, d in zip(a["kernel"], a["stride"], a["padding"], a["dilation"], strict=True):
            span = Fraction(arith.effective_kernel(k, d) - 1, s)
            windows.append(Window(span + 1, Fraction(1, s), span - Fraction(pad[0], s)))
        return tuple(windows)

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        return []
