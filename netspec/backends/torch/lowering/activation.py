"""PyTorch lowerings of the activations of current networks and of stochastic depth
(netspec/ops/activation.py): nn.Hardswish, nn.Hardsigmoid, nn.Mish, nn.Softplus, and
the runtime's DropPath (torchvision's StochasticDepth in "row" mode, without torchvision).

Assumes normalised attributes. Guarantees PyTorch's modules with the spec's arguments,
defaults left out.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("DropPath", "p")

_PLAIN = {"hardswish": "nn.Hardswish()", "hardsigmoid": "nn.Hardsigmoid()", "mish": "nn.Mish()"}


@lowers(*_PLAIN)
def plain(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(_PLAIN[node.op])


@lowers("softplus")
def softplus(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    return Layer(
        f"nn.Softplus({arguments(beta=(a['beta'], 1.0), threshold=(a['threshold'], 20.0))})"
    )


@lowers("drop_path")
def drop_path(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(f"DropPath({node.attrs['p']})", helpers=("DropPath",))
