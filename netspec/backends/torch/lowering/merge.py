"""PyTorch lowerings of the merges (netspec/ops/merge.py): the runtime's Add and Concat.

Assumes the source writer (netspec/backends/torch/source.py) puts the count of a
merge's branches first, since it knows the module tree. Guarantees a module that holds
the branches, if any, and sums or joins its inputs in order.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Add", "branches")
positional("Concat", "branches")


@lowers("add", "concat")
def merge(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    """Without branches; the generator puts their count first (it knows the module tree)."""
    dim = node.attrs.get("dim", 1)
    name = "Add" if node.op == "add" else "Concat"
    return Layer(f"{name}(dim={dim})" if dim != 1 else f"{name}()", helpers=(name,))
