"""ONNX lowerings of the activations of current networks and of stochastic depth
(netspec/ops/activation.py), with PyTorch's eval-mode semantics and standard operators
at every opset netspec writes (13 and later):

- hardsigmoid: HardSigmoid(alpha=1/6, beta=0.5), PyTorch's relu6(x + 3) / 6;
- hardswish: HardSwish from opset 14, before it x * HardSigmoid(x);
- mish: Mish from opset 18, before it x * tanh(softplus(x));
- softplus: Softplus, with beta and the threshold written out where they matter;
- drop_path: Identity (off at inference, as dropout).

Assumes normalised attributes and the analysis's shapes. Guarantees PyTorch's outputs
within float32 rounding, except where PyTorch's own float32 exp overflows: a softplus
whose threshold lets beta x pass 88.7 is inf in PyTorch, finite in ONNX's Softplus.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node

# Beyond t = 20, log(1 + exp(t)) - t < 2.1e-9: below float32's resolution of t, so
# PyTorch's identity branch and ONNX's Softplus agree and the threshold need not be
# written out (PyTorch's default threshold is 20).
_INDISTINCT = 20.0


@lowers("hardsigmoid", "hardswish")
def hard(em: Emitter, node: Node, xs, ins, out, y) -> None:
    x = xs[0]
    if node.op == "hardswish" and em.opset >= 14:
        em.op("HardSwish", [x], y)
        return
    last = y if node.op == "hardsigmoid" else None
    gate = em.op("HardSigmoid", [x], last, alpha=1.0 / 6.0, beta=0.5)
    if node.op == "hardswish":
        em.op("Mul", [x, gate], y)


@lowers("mish")
def mish(em: Emitter, node: Node, xs, ins, out, y) -> None:
    x = xs[0]
    if em.opset >= 18:
        em.op("Mish", [x], y)
    else:
        em.op("Mul", [x, em.op("Tanh", [em.op("Softplus", [x])])], y)


@lowers("softplus")
def softplus(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """PyTorch: x where beta x > threshold, else log(1 + exp(beta x)) / beta."""
    x, beta, threshold = xs[0], node.attrs["beta"], node.attrs["threshold"]
    plain = threshold >= _INDISTINCT
    last = y if plain else None  # the smooth branch is the output where no Where follows
    if beta == 1:
        t, smooth = x, em.op("Softplus", [x], last)
    else:
        t = em.op("Mul", [x, em.const("beta", float(beta))])
        smooth = em.op("Div", [em.op("Softplus", [t]), em.const("beta", float(beta))], last)
    if not plain:
        above = em.op("Greater", [t, em.const("threshold", float(threshold))])
        em.op("Where", [above, x, smooth], y)


@lowers("drop_path")
def drop_path(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("Identity", xs, y)
