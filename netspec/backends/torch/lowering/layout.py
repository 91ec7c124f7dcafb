"""PyTorch lowerings of the ops that rearrange axes (netspec/ops/layout.py): the
runtime's Permute (permute, transpose) and Squeeze (squeeze, unsqueeze), and
nn.ChannelShuffle.

Assumes the analysis's shapes and the normalised attributes (dims non-negative).
Guarantees modules whose output shapes are the analysis's and that hold no parameter or
buffer.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Permute", "dims")
positional("Squeeze", "dim")
positional("ChannelShuffle", "groups")


@lowers("permute", "transpose")
def permute(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(f"Permute({tuple(node.attrs['dims'])})", helpers=("Permute",))


@lowers("squeeze", "unsqueeze")
def squeeze(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    flag = ", unsqueeze=True" if node.op == "unsqueeze" else ""
    return Layer(f"Squeeze({node.attrs['dim']}{flag})", helpers=("Squeeze",))


@lowers("channel_shuffle")
def channel_shuffle(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    return Layer(f"nn.ChannelShuffle({node.attrs['groups']})")
