"""Fully connected layers: linear (on the last dimension) and LeNet-5's rbf output.

Connections: every output unit links to every input feature, plus a bias link:
F6 = (120 + 1) x 84 = 10,164. rbf has no bias: 10 x 84 = 840.

Multiply-adds: in x out per position (F6: 120 x 84 = 10,080); a linear layer on
[N, L, F] applies at each of the L positions. rbf is a distance, not a weight
product: no multiply-adds, 3 FLOPs (subtract, square, add) per link.
Receptive field: a linear layer mixes its last axis (a window over all of it); on
[N, features] it keeps the field it was given (whole after a flatten).

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/linear.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops import mistakes
from netspec.ops.base import (
    POINTWISE,
    Attrs,
    Cost,
    Counts,
    Op,
    OpError,
    OpWarning,
    Param,
    Window,
    lazy,
    register,
    window,
)
from netspec.ops.counting import MACS, NOT_COUNTED, PARAMS_PER_SAMPLE
from netspec.values import Shape, numel, show_shape


def _features(op: str, x: Shape) -> int:
    f = x[-1]
    if not isinstance(f, int):
        raise OpError(
            "E-shape",
            f"{op} needs a concrete feature size, got {show_shape(x)}",
            "the last dimension must be a number; flatten or reshape first",
        )
    return f


@register
class Linear(Op):
    name = "linear"
    params = (
        Param("out", "int", minimum=1, doc="output features"),
        Param("bias", "bool", True),
        Param("tied", "layer", None, doc="share this layer's weight (GPT-2's head: tied=words)"),
    )
    summary = "fully connected layer acting on the last dimension"
    param_rule = "in x out weights (none when tied: counted once, at the layer shared) + out biases"
    connection_rule = "(in + 1 bias link) x output units"
    macs_rule = "output elements x in"
    flops_rule = "2 x macs + one add per output element for the bias"
    explain = lazy("linear", "explain_linear")
    family = "linear"
    torchinfo, fvcore = PARAMS_PER_SAMPLE, MACS

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        macs = numel(out) * inputs[0][-1]
        return Cost(macs, 2 * macs + (numel(out) if a["bias"] else 0))

    def receptive(
        self, a: Attrs, inputs: tuple[Shape, ...], out: Shape
    ) -> tuple[Window, ...] | str:
        x = inputs[0]
        if len(x) < 3:
            return POINTWISE
        # it mixes the last axis only: a window over all of it, the others untouched
        return (*(window(1, 1, 0) for _ in x[2:-1]), window(x[-1], x[-1], 0))

    def rank_help(self) -> str:
        return "linear acts on the last dimension; insert `flatten` to feed it a feature map"

    def warnings(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> list[OpWarning]:
        return mistakes.linear_on_map(self.name, a, inputs[0], out)

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        features = _features(self.name, inputs[0])
        if a.get("tied") is None:  # untied: no key, so an untied layer's attributes (and
            return {k: v for k, v in a.items() if k != "tied"}  # architecture hash) stay
        _check_tied(a, features)
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return (*inputs[0][:-1], a["out"])

    def weight(self, a: Attrs, inputs: tuple[Shape, ...]) -> tuple[int, int]:
        return (a["out"], inputs[0][-1])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        weights = 0 if a.get("tied") is not None else inputs[0][-1] * a["out"]
        return Counts(trainable=weights + (a["out"] if a["bias"] else 0))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return (inputs[0][-1] + (1 if a["bias"] else 0)) * numel(out)

    def describe(self, a: Attrs) -> str:
        tied = f" tied to {a['tied']}" if a.get("tied") is not None else ""
        return f"linear {a['out']}" + ("" if a["bias"] else " no bias") + tied


def _check_tied(a: Attrs, features: int) -> None:
    """A tied linear's weight [out, in] must be the shared layer's matrix as it is (an
    embedding's [vocab, width] table, another linear's [out, in]); elaboration put that
    layer's path in `tied` and its matrix's shape in `tied_weight`."""
    rows, columns = a["tied_weight"]
    if (rows, columns) != (a["out"], features):
        raise OpError(
            "E-shape",
            f"linear {a['out']} on {features} features has a weight [{a['out']}, {features}], "
            f"and the weight of {a['tied']} is [{rows}, {columns}]",
            f"a tied linear reuses the weight as it is: linear({rows}) on {columns} features",
            "tied",
        )


@register
class RBF(Op):
    name = "rbf"
    params = (Param("units", "int", minimum=1), Param("trainable", "bool", False))
    min_rank = max_rank = 2
    summary = "Euclidean radial-basis units: y_i = sum_j (x_j - w_ij)^2 (LeNet-5's output)"
    param_rule = "units x in centre coordinates, fixed unless trainable=true"
    connection_rule = "in x units (no bias)"
    flops_rule = "3 x in per output element (subtract, square, add)"
    explain = lazy("linear", "explain_rbf")
    family = "linear"
    torchinfo = PARAMS_PER_SAMPLE
    fvcore = NOT_COUNTED  # sub, pow and sum: no fvcore handle
    distances = True  # its outputs are distances, lowest best: class scores negate them

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, 3 * inputs[0][-1] * numel(out))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return POINTWISE

    def rank_help(self) -> str:
        return "rbf acts on [N, features]; insert `flatten` before it"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        _features(self.name, inputs[0])
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return (inputs[0][0], a["units"])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        n = a["units"] * inputs[0][-1]
        return Counts(trainable=n) if a["trainable"] else Counts(fixed=n)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return inputs[0][-1] * numel(out)

    def describe(self, a: Attrs) -> str:
        return f"rbf {a['units']}" + (" trainable" if a["trainable"] else "")
