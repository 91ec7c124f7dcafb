"""Normalisations that compute their statistics at inference: layer_norm, group_norm,
instance_norm and rms_norm (PyTorch's LayerNorm, GroupNorm, InstanceNorm1d/2d/3d and
RMSNorm). `bn` and `lrn` live in elementwise.py.

Each output is normalised by statistics of a group of units of its own sample: the
units along one axis (layer_norm, rms_norm: `dim`, the last by default as in
nn.LayerNorm(d), `dim=1` for the channels at each position as ConvNeXt's LayerNorm2d),
a group of channels at every position (group_norm), or one channel at every position
(instance_norm, unless it keeps running statistics, which it then uses as bn does).

Connections: each output links to every unit of its normalisation group, as softmax
links to the units along its dim: output units x group size. Receptive field: a group
that spans spatial positions makes the field the whole input (GLOBAL), as a softmax
along a spatial axis does; one along a non-spatial axis keeps positions.

Costs (`flops`, inference), per element: 4 for the statistics (a sum for the mean,
subtract, square, a sum for the variance; rms_norm: square and sum), 1 to normalise
(a multiply by 1 / sqrt(variance + eps)), 1 for the scale and 1 for the shift where
the layer has them. The few operations per group (dividing the sums, eps, the square
root) are not counted, as softmax's are not. instance_norm with running statistics
costs bn's 2. No multiply-adds with weights.

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/norm.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
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
    register,
)
from netspec.ops.counting import NOT_COUNTED, PARAMS_PER_SAMPLE, dims, known
from netspec.values import Shape, numel, show_shape

# eps > 0 keeps 1 / sqrt(var + eps) finite where a group is constant (as bn's)
_EPS = Interval(0, 1, open_low=True)


def _eps(default: float | None) -> Param:
    return Param("eps", "float", default, doc="added to the variance", interval=_EPS)


def _norm_flops(layer: Figures) -> int | None:
    # fvcore 0.1.5 jit_handles.py:230-248, norm_flop_counter: `assert 2 <= len(input_shape)
    # <= 5`, then input elements x 5 with an affine weight, x 4 without ("a rough
    # estimate"). Above rank 5 fvcore fails its assertion: no figure netspec can predict.
    shape = layer.input_shapes[0]
    return known(shape) * _per_input(layer) if len(shape) <= 5 else None


def _per_input(layer: Figures) -> int:
    return 5 if layer.attrs["affine"] else 4


def _norm_formula(layer: Figures) -> str:
    if len(layer.input_shapes[0]) > 5:
        return "not predictable: fvcore's norm handle asserts a rank of 2 to 5"
    per = _per_input(layer)
    why = "affine" if per == 5 else "no affine"
    return f"input elements x {per} ({why}) = {dims(layer.input_shapes[0])}·{per}"


# fvcore's handles for aten::layer_norm, aten::group_norm (norm_flop_counter(2): the
# weight is argument 2) and aten::instance_norm (argument 1), flop_count.py:37-39: what
# nn.LayerNorm (and LayerNormAt), nn.GroupNorm and nn.InstanceNormNd trace to.
FVCORE_NORM = ToolRule(_norm_flops, _norm_formula)


def channels(op: str, x: Shape) -> int:
    if len(x) < 2 or not isinstance(x[1], int):
        raise OpError(
            "E-shape",
            f"{op} needs a concrete channel dimension (dim 1), got {show_shape(x)}",
            "give the channel dimension as a number: [N, 16, H, W]",
        )
    return x[1]


class _Norm(Op):
    min_rank, max_rank = 2, 8
    family = "norm"
    torchinfo = PARAMS_PER_SAMPLE  # torchinfo: N x parameters (weight, bias), none: 0

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        self.check_rank(inputs)
        self.size(a, inputs[0])
        return inputs[0]

    def size(self, a: Attrs, x: Shape) -> int:
        """The units one output's statistics read (its normalisation group)."""
        raise NotImplementedError

    def per_element(self, a: Attrs) -> int:
        raise NotImplementedError

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, self.per_element(a) * numel(out))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return numel(out) * self.size(a, out)


class _AlongDim(_Norm):
    """Normalised along one axis, `dim`: layer_norm and rms_norm."""

    connection_rule = "each output unit links to every unit along dim: output units x size(dim)"

    def size(self, a: Attrs, x: Shape) -> int:
        d = dim_index(
            "dim", a["dim"], x, f"choose a dim from 0 to {len(x) - 1} (or -1 for the last)"
        )
        if not isinstance(x[d], int):
            raise OpError(
                "E-shape",
                f"{self.name} needs a concrete size along dim {a['dim']}, got {show_shape(x)}",
                "normalise along an axis of known size: the features (dim=-1) or channels (dim=1)",
                "dim",
            )
        return x[d]

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        spatial = len(out) >= 3 and a["dim"] % len(out) >= 2
        return GLOBAL if spatial else POINTWISE

    def describe(self, a: Attrs) -> str:
        return self.name if a["dim"] == -1 else f"{self.name} dim {a['dim']}"


@register
class LayerNorm(_AlongDim):
    name = "layer_norm"
    params = (
        Param("dim", "int", -1, doc="the axis normalised: -1 the last, 1 the channels"),
        _eps(1e-5),
        Param("affine", "bool", True),
        Param("bias", "bool", True),
    )
    summary = "layer normalisation along dim (Ba et al. 2016): the units along dim to mean 0,"
    summary += " variance 1, then a learnt scale and shift per unit of dim"
    param_rule = "size(dim) scales and size(dim) shifts when affine (no shifts with bias=false)"
    flops_rule = "7 per element: 4 for mean and variance, normalise, scale, shift"
    flops_rule += " (5 without affine, 6 without bias)"
    explain = lazy("norm", "explain_layer_norm")
    fvcore = FVCORE_NORM

    def per_element(self, a: Attrs) -> int:
        return 5 + a["affine"] + (a["affine"] and a["bias"])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        d = self.size(a, inputs[0])
        return Counts(trainable=d * (a["affine"] + (a["affine"] and a["bias"])))


@register
class RMSNorm(_AlongDim):
    name = "rms_norm"
    params = (
        Param("dim", "int", -1, doc="the axis normalised: -1 the last, 1 the channels"),
        _eps(None),  # none: PyTorch's torch.finfo(dtype).eps
        Param("affine", "bool", True),
    )
    summary = "root-mean-square normalisation along dim (Zhang & Sennrich 2019):"
    summary += " x / sqrt(mean(x^2) + eps), then a learnt scale per unit of dim"
    param_rule = "size(dim) scales when affine"
    flops_rule = "4 per element: square, sum, normalise, scale (3 without affine)"
    explain = lazy("norm", "explain_rms_norm")
    # fvcore 0.1.5 has no handle for aten::rms_norm (what RMSNorm traces to in torch 2.x):
    # "Unsupported operator", 0.
    fvcore = NOT_COUNTED

    def per_element(self, a: Attrs) -> int:
        return 3 + a["affine"]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=self.size(a, inputs[0]) if a["affine"] else 0)


def _divisors(c: int) -> list[int]:
    return [g for g in range(1, c + 1) if c % g == 0]


@register
class GroupNorm(_Norm):
    name = "group_norm"
    params = (
        Param("groups", "int", minimum=1, doc="the number of channel groups"),
        _eps(1e-5),
        Param("affine", "bool", True),
    )
    summary = "group normalisation (Wu & He 2018): each sample's channels in `groups` groups,"
    summary += " each group over all its positions to mean 0, variance 1, then a learnt scale"
    summary += " and shift per channel"
    param_rule = "2 per channel (scale, shift) when affine"
    connection_rule = "each output unit links to every unit of its group: output units x"
    connection_rule += " C/groups x positions"
    flops_rule = "7 per element: 4 for mean and variance, normalise, scale, shift"
    flops_rule += " (5 without affine)"
    explain = lazy("norm", "explain_group_norm")
    fvcore = FVCORE_NORM

    def size(self, a: Attrs, x: Shape) -> int:
        c, g = channels(self.name, x), a["groups"]
        if c % g:
            valid = _divisors(c)
            shown = ", ".join(map(str, valid[:-1])) + f" or {valid[-1]}" if len(valid) > 1 else "1"
            raise OpError(
                "E-value",
                f"group_norm: {c} channels do not split into {g} groups",
                f"groups must divide the {c} channels: {shown}",
                "groups",
            )
        return c // g * numel(x[2:])

    def per_element(self, a: Attrs) -> int:
        return 5 + 2 * a["affine"]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=2 * inputs[0][1] if a["affine"] else 0)

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL if len(out) >= 3 else POINTWISE

    def describe(self, a: Attrs) -> str:
        return f"group_norm {a['groups']}"


@register
class InstanceNorm(_Norm):
    name = "instance_norm"
    params = (
        _eps(1e-5),
        Param("momentum", "float", 0.1, doc="the new batch's weight", interval=Interval(0, 1)),
        Param("affine", "bool", False),
        Param("track_running_stats", "bool", False),
    )
    min_rank, max_rank = 3, 5
    summary = "instance normalisation (Ulyanov et al. 2016): each channel of each sample over"
    summary += " its positions to mean 0, variance 1 (with running statistics, those instead)"
    param_rule = "2 per channel (scale, shift) when affine; buffers with track_running_stats:"
    param_rule += " running mean and variance (2 per channel) + 1 batch counter, as bn's"
    connection_rule = "each output unit links to every position of its channel: output units x"
    connection_rule += " positions (0 with running statistics, as bn)"
    flops_rule = "7 per element: 4 for mean and variance, normalise, scale, shift (5 without"
    flops_rule += " affine); with running statistics 2, as bn"
    explain = lazy("norm", "explain_instance_norm")
    fvcore = FVCORE_NORM  # running statistics or not: the handle does not look

    def size(self, a: Attrs, x: Shape) -> int:
        channels(self.name, x)
        if a["track_running_stats"]:
            return 0  # normalised by saved statistics: no unit reads another
        positions = x[2:]
        if all(isinstance(d, int) for d in positions) and numel(positions) == 1:
            raise OpError(
                "E-shape",
                f"instance_norm normalises each channel over its positions, and "
                f"{show_shape(x)} has one position",
                "normalise before the map shrinks to one position, or use layer_norm(dim=1)",
            )
        return numel(positions)

    def per_element(self, a: Attrs) -> int:
        return 2 if a["track_running_stats"] else 5 + 2 * a["affine"]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        c = inputs[0][1]
        buffers = 2 * c + 1 if a["track_running_stats"] else 0
        return Counts(trainable=2 * c if a["affine"] else 0, buffers=buffers)

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return POINTWISE if a["track_running_stats"] else GLOBAL
