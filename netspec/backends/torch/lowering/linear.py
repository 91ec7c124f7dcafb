"""PyTorch lowerings of the fully connected layers (netspec/ops/linear.py): nn.Linear,
and the runtime's RBF (LeNet-5's Euclidean radial-basis output).

Assumes a concrete last dimension (the features). Guarantees a module whose parameters
are the op's counts (rbf's centres fixed unless trainable).
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Linear", "in_features", "out_features")
positional("RBF", "in_features", "units")


@lowers("linear")
def linear(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    return Layer(f"nn.Linear({arguments(ins[0][-1], a['out'], bias=(a['bias'], True))})")


@lowers("rbf")
def rbf(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    args = arguments(ins[0][-1], a["units"], trainable=(a["trainable"], False))
    return Layer(f"RBF({args})", helpers=("RBF",))
