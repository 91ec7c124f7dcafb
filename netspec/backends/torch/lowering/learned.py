"""PyTorch lowering of a learned tensor, the `param` statement (netspec/ops/learned.py).

Assumes the node's attributes `shape` and `init`. Guarantees an nn.Parameter assigned at
the node's path, so that its state_dict key is the spec's path (`stage1.0.gamma`), and
read as it is in `forward`.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers
from netspec.ir import Node
from netspec.values import Shape


@lowers("param")
def learned(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    shape, init = tuple(node.attrs["shape"]), node.attrs["init"]
    value = f"torch.zeros({shape})" if init == 0 else f"torch.full({shape}, {init!r})"
    return Layer(f"nn.Parameter({value})", call="{module}")
