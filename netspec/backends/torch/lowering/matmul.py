"""The PyTorch lowering of matmul (netspec/ops/matmul.py): the runtime's Matmul, which
calls torch.matmul on its two inputs (the batch axes broadcast as torch does).

Assumes the source writer (netspec/backends/torch/source.py) puts the count of a
merge's branches first, as for the other merges. Guarantees a module that holds the
branches, if any, and returns the first input @ the second.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Matmul", "branches")


@lowers("matmul")
def matmul(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    """Without branches; the generator puts their count first (it knows the module tree)."""
    return Layer("Matmul()", helpers=("Matmul",))
