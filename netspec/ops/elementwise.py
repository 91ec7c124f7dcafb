"""Ops that keep the shape: activations, dropout, identity, batch norm, softmax and
local response normalisation.

Connections: none for ops that transform each unit on its own. As in LeCun's count,
where C1's squashing function adds nothing to C1's 122,304 connections, a unit's own
activation or normalisation is not a link. softmax and lrn read other units: each
output links to the units along `dim` (softmax) or to its `size` neighbouring
channels (lrn, fewer at the channel edges).

Costs (`flops`, inference): one operation per element for an activation function
(a transcendental counts as one, as most counting tools do), none for identity and
dropout (off at inference), 2 for batch norm (its scale and shift folded), 3 for
softmax (exp, sum, divide) and 2 size + 3 for lrn. No multiply-adds with weights.
Receptive field: every op here keeps positions, except a softmax along a spatial axis.

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/elementwise.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    GLOBAL,
    MAGNITUDE,
    NON_NEGATIVE,
    POINTWISE,
    POSITIVE,
    Attrs,
    Cost,
    Counts,
    Figures,
    Interval,
    Op,
    OpError,
    Param,
    ToolRule,
    dim_index,
    lazy,
    no_params,
    per_element,
    pointwise,
    register,
)
from netspec.ops.counting import NOT_COUNTED, PARAMS_PER_SAMPLE, dims, known
from netspec.values import Shape, numel, show_shape


class Elementwise(Op):
    counts = no_params
    min_rank = 1
    connection_rule = "none: a unit's own transform is not a link"
    receptive = pointwise
    cost = per_element(1)
    flops_rule = "1 per element"
    explain = lazy("elementwise", "explain_pointwise")

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        self.check_rank(inputs)
        return inputs[0]

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0


# An activation function: PyTorch modules without parameters that neither tool counts.
_ACTIVATION = {"family": "activation", "torchinfo": NOT_COUNTED, "fvcore": NOT_COUNTED}


def _simple(op_name: str, summary: str, *params: Param, **rules: object) -> None:
    register(
        type(
            op_name.title().replace("_", ""),
            (Elementwise,),
            {"name": op_name, "summary": summary, "params": params, **_ACTIVATION, **rules},
        )
    )


_NOTHING = {"cost": per_element(0), "flops_rule": "0", "view": True, "family": "other"}
_simple("identity", "passes its input through", **_NOTHING)
_simple("relu", "max(0, x)")
_simple("relu6", "min(max(0, x), 6)")
_simple(
    "leaky_relu",
    "x if x > 0 else slope * x",
    Param("slope", "float", 0.01, doc="the factor of negative inputs", interval=MAGNITUDE),
)
_simple("sigmoid", "1 / (1 + exp(-x))")
_simple("tanh", "tanh(x)")
_simple(
    "scaled_tanh",
    "a * tanh(s * x); LeCun's f(a) = 1.7159 tanh(2a/3)",
    Param("a", "float", 1.7159, doc="the output scale", interval=MAGNITUDE),
    Param("s", "float", 0.6667, doc="the input scale", interval=MAGNITUDE),
    cost=per_element(3),
    flops_rule="3 per element (multiply, tanh, multiply)",
)
_simple(
    "elu",
    "x if x > 0 else alpha (exp(x) - 1)",
    Param("alpha", "float", 1.0, doc="the scale of negative outputs", interval=MAGNITUDE),
)
_simple(
    "gelu",
    'x * Phi(x); approximate="tanh": x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2',
    Param("approximate", "str", "none", choices=("none", "tanh"), doc="PyTorch's approximate"),
)
_simple("silu", "x * sigmoid(x)")


# p = 1 would zero everything and scale the rest by 1 / 0; ONNX's Dropout takes [0, 1).
_BELOW_ONE = Interval(0, 1, open_high=True)


@register
class Dropout(Elementwise):
    name = "dropout"
    params = (Param("p", "float", 0.5, doc="the fraction of units zeroed", interval=_BELOW_ONE),)
    summary = "zeroes units with probability p while training"
    cost = per_element(0)
    flops_rule = "0 (off at inference)"
    view = True  # at inference PyTorch returns its input
    family = "other"
    torchinfo = fvcore = NOT_COUNTED


class _Softmax(Elementwise):
    params = (Param("dim", "int", 1),)
    cost = per_element(3)
    flops_rule = "3 per element (exp, sum, divide)"
    connection_rule = "each output unit links to every unit along dim: output units x size(dim)"
    explain = lazy("elementwise", "explain_softmax")
    family = "activation"
    torchinfo = fvcore = NOT_COUNTED

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        spatial = len(out) >= 3 and a["dim"] % len(out) >= 2
        return GLOBAL if spatial else POINTWISE

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        dim_index("dim", a["dim"], x, f"choose a dim from 0 to {len(x) - 1} (or -1 for the last)")
        return x

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        along = out[a["dim"]]
        return numel(out) * (along if isinstance(along, int) else 1)


@register
class Softmax(_Softmax):
    name = "softmax"
    summary = "exp(x_i) / sum_j exp(x_j) along dim"


@register
class LogSoftmax(_Softmax):
    name = "log_softmax"
    summary = "log of softmax along dim"


def _channels(op: str, x: Shape) -> int:
    if len(x) < 2 or not isinstance(x[1], int):
        raise OpError(
            "E-shape",
            f"{op} needs a concrete channel dimension (dim 1), got {show_shape(x)}",
            "give the channel dimension as a number: [N, 16, H, W]",
        )
    return x[1]


@register
class PReLU(Elementwise):
    name = "prelu"
    params = (Param("shared", "bool", False, doc="one slope for all channels"),)
    min_rank = 2
    summary = "x if x > 0 else a_c * x, with a learnable slope per channel"
    param_rule = "one slope per channel (dim 1), or 1 when shared"
    explain = lazy("elementwise", "explain_prelu")
    family = "activation"
    torchinfo = PARAMS_PER_SAMPLE
    fvcore = NOT_COUNTED

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=1 if a["shared"] else _channels(self.name, inputs[0]))


def _batch_norm_eval(layer: Figures) -> int:
    # fvcore jit_handles.batchnorm_flop_jit, not training: input elements, twice when
    # the layer is affine.
    return known(layer.input_shapes[0]) * (2 if layer.counts.trainable else 1)


BATCH_NORM_EVAL = ToolRule(
    _batch_norm_eval,
    lambda layer: (
        f"input elements{' x 2 (affine)' if layer.counts.trainable else ''} = "
        f"{dims(layer.input_shapes[0])}{'·2' if layer.counts.trainable else ''}"
    ),
)


@register
class BatchNorm(Elementwise):
    name = "bn"
    params = (
        # eps > 0 keeps 1 / sqrt(var + eps) finite where a channel is constant
        Param("eps", "float", 1e-5, doc="added to the variance", interval=Interval(0, 1, True)),
        Param("momentum", "float", 0.1, doc="the new batch's weight", interval=Interval(0, 1)),
        Param("affine", "bool", True),
        Param("track_running_stats", "bool", True),
    )
    min_rank, max_rank = 2, 5
    summary = "batch normalisation over dim 1 (channels or features)"
    cost = per_element(2)
    flops_rule = "2 per element (inference: scale and shift, folded from mean and variance)"
    explain = lazy("elementwise", "explain_bn")
    family = "norm"
    torchinfo, fvcore = PARAMS_PER_SAMPLE, BATCH_NORM_EVAL
    param_rule = (
        "2 per channel (scale, shift) when affine; buffers: running mean and variance"
        " (2 per channel) + 1 batch counter, as PyTorch saves them"
    )

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        self.check_rank(inputs)
        _channels(self.name, inputs[0])
        return inputs[0]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        c = inputs[0][1]
        buffers = 2 * c + 1 if a["track_running_stats"] else 0
        return Counts(trainable=2 * c if a["affine"] else 0, buffers=buffers)


def channel_window_total(c: int, before: int, after: int) -> int:
    """Sum over channels i < c of |[i - before, i + after] within [0, c)|, in closed form."""
    m = min(after, c)  # channels whose window runs past the last channel
    sum_hi = c * (c - 1) // 2 + c * after - (m * after - m * (m - 1) // 2)
    k = max(0, c - before)  # channels whose window starts inside
    sum_lo = k * (k - 1) // 2
    return c + sum_hi - sum_lo


@register
class LRN(Elementwise):
    name = "lrn"
    params = (
        Param("size", "int", 5, minimum=1),
        Param("alpha", "float", 1e-4, doc="the sum of squares' weight", interval=NON_NEGATIVE),
        Param("beta", "float", 0.75, doc="the divisor's exponent", interval=NON_NEGATIVE),
        # k > 0 keeps the divisor positive where a window is all zeros
        Param("k", "float", 1.0, doc="the divisor's constant", interval=POSITIVE),
    )
    min_rank = 3
    summary = (
        "local response normalisation across channels (Krizhevsky et al. 2012): "
        "x / (k + alpha/size * sum of squares over `size` neighbouring channels)^beta"
    )
    connection_rule = "each unit links to the channels of its window (size//2 before, "
    connection_rule += "(size-1)//2 after, as PyTorch), fewer at the channel edges"
    flops_rule = "2 size + 3 per element (squares and sum over the window, scale, power, divide)"
    explain = lazy("elementwise", "explain_lrn")
    family = "norm"
    torchinfo = fvcore = NOT_COUNTED

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, (2 * a["size"] + 3) * numel(out))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        c = out[1]
        if not isinstance(c, int):
            return 0
        return numel(out) // c * channel_window_total(c, a["size"] // 2, (a["size"] - 1) // 2)

    def describe(self, a: Attrs) -> str:
        return f"lrn {a['size']}"
