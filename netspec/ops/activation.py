"""The activations of current networks, and stochastic depth: hardswish and hardsigmoid
(MobileNetV3), mish, softplus, and drop_path (Huang et al. 2016).

Each keeps its input's shape (any rank from 1 to 8) and transforms each unit on its
own: no parameters, no connections (a unit's own activation is not a link, as in
netspec/ops/elementwise.py), a pointwise receptive field.

Costs (`flops`, inference): 1 per element for each activation function, as for the
activations of elementwise.py (a piecewise or transcendental function counts as one,
whatever its formula: softplus's beta and threshold sit inside it, as in PyTorch's one
kernel); 0 for drop_path, which is the identity at inference, like dropout. Neither
torchinfo nor fvcore counts any of them (no parameters; no fvcore handle).

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/activation.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import MAGNITUDE, POSITIVE, Interval, Param, lazy, per_element, register
from netspec.ops.counting import NOT_COUNTED
from netspec.ops.elementwise import Elementwise


class _Activation(Elementwise):
    explain = lazy("activation", "explain_activation")
    family = "activation"
    torchinfo = fvcore = NOT_COUNTED


@register
class Hardswish(_Activation):
    name = "hardswish"
    summary = "x * relu6(x + 3) / 6: a piecewise-linear silu (MobileNetV3, Howard et al. 2019)"


@register
class Hardsigmoid(_Activation):
    name = "hardsigmoid"
    summary = "relu6(x + 3) / 6: a piecewise-linear sigmoid (MobileNetV3, Howard et al. 2019)"


@register
class Mish(_Activation):
    name = "mish"
    summary = "x * tanh(softplus(x)) (Misra 2019)"


@register
class Softplus(_Activation):
    name = "softplus"
    params = (
        # beta > 0: the function divides by it, and a negative beta turns it upside down
        Param("beta", "float", 1.0, doc="the input scale", interval=POSITIVE),
        Param("threshold", "float", 20.0, doc="where beta x passes it, x", interval=MAGNITUDE),
    )
    summary = "log(1 + exp(beta x)) / beta, and x where beta x > threshold (as PyTorch)"


# p = 1 would drop every sample and scale by 1 / 0; the same range as dropout's p.
_BELOW_ONE = Interval(0, 1, open_high=True)


@register
class DropPath(Elementwise):
    name = "drop_path"
    params = (Param("p", "float", doc="the probability of dropping a sample", interval=_BELOW_ONE),)
    summary = "stochastic depth (Huang et al. 2016): while training, zeroes a whole sample's"
    summary += " tensor with probability p and scales the others by 1 / (1 - p); the identity"
    summary += " at inference (torchvision's StochasticDepth, row mode)"
    cost = per_element(0)
    flops_rule = "0 (off at inference)"
    explain = lazy("activation", "explain_drop_path")
    view = True  # at inference the module returns its input
    family = "other"
    torchinfo = fvcore = NOT_COUNTED
