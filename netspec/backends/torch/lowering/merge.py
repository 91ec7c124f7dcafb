"""PyTorch lowerings of the merges (netspec/ops/merge.py): the runtime's Add, Mul and
Concat (Add and Mul broadcast as torch does).

Assumes the source writer (netspec/backends/torch/source.py) puts the count of a
merge's branches first, since it knows the module tree. Guarantees a module that holds
the branches, if any, and sums or joins its inputs in order.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Add", "branches")
positional("Mul", "branches")
positional("Concat", "branches")


@lowers("add", "mul", "concat")
def merge(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    """Without branches; the generator puts their count first (it knows the module tree)."""
    dim = node.attrs.get("dim", 1)
    name = node.op.title()
    return Layer(f"{name}(dim={dim})" if dim != 1 else f"{name}()", helpers=(name,))
