"""PyTorch lowerings of the ops that move data (netspec/ops/shape.py): nn.Flatten, the
runtime's Reshape (symbolic dims kept in place) and nn.Upsample.

Assumes the analysis's shapes. Guarantees modules whose output shapes are the
analysis's: nn.Upsample with align_corners=False for the interpolating modes.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers
from netspec.ir import Node
from netspec.values import Shape, Symbol


@lowers("flatten")
def flatten(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    start = node.attrs["start_dim"]
    return Layer(f"nn.Flatten({start})" if start != 1 else "nn.Flatten()")


@lowers("reshape")
def reshape(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    dims = [d.name if isinstance(d, Symbol) else d for d in node.attrs["dims"]]
    x = list(ins[0])
    symbols = {d: x.index(d) for d in dims if isinstance(d, str)}
    return Layer(f"Reshape({dims}, {symbols})", helpers=("Reshape",))


@lowers("upsample")
def upsample(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    scale = a["scale"]
    factor = scale[0] if len(set(scale)) == 1 else tuple(scale)
    corners = ", align_corners=False" if a["mode"] != "nearest" else ""
    mode = f", mode={a['mode']!r}" if a["mode"] != "nearest" else ""
    return Layer(f"nn.Upsample(scale_factor={factor}{mode}{corners})")
