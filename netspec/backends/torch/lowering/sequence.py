"""PyTorch lowerings of the sequence ops (netspec/ops/sequence.py): the runtime's Scale,
CausalMask, Sinusoidal and LearnedPositions (netspec/backends/torch/runtime/sequence.py).

Assumes normalised attributes; sinusoidal's input [N, L, D] with a concrete D.
Guarantees sinusoidal's table as the buffer `<path>.table`, [max_length, D], and
learned_positions' as the parameter `<path>.weight` (nn.Embedding's).
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Scale", "factor")
positional("Sinusoidal", "max_length", "width")
positional("LearnedPositions", "num_embeddings", "embedding_dim")


@lowers("scale")
def scale(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(f"Scale({node.attrs['factor']!r})", helpers=("Scale",))


@lowers("causal_mask")
def causal_mask(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer("CausalMask()", helpers=("CausalMask",))


@lowers("sinusoidal")
def sinusoidal(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    args = arguments(a["max_length"], ins[0][-1], base=(a["base"], 10000.0))
    return Layer(f"Sinusoidal({args})", helpers=("Sinusoidal",))


@lowers("learned_positions")
def learned_positions(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    args = arguments(node.attrs["max_length"], ins[0][-1])
    return Layer(f"LearnedPositions({args})", helpers=("LearnedPositions",))
