"""PyTorch lowerings of the ops with several outputs (netspec/ops/parts.py): each output
is the runtime's Part, a narrow() view of its slice.

Assumes the analysis's shapes and the node's `part`. Guarantees torch.chunk's and
torch.split's slices (elaboration has checked that the parts are the ones asked for).
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers
from netspec.ir import Node
from netspec.ops import REGISTRY
from netspec.values import Shape


@lowers("chunk", "split")
def part(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    axis, start, size = REGISTRY[node.op].start(dict(node.attrs), ins[0])
    return Layer(f"Part({axis}, {start}, {size})", helpers=("Part",))
