"""The ONNX lowering of matmul (netspec/ops/matmul.py): one MatMul, which has
numpy.matmul's semantics, the batch axes broadcast as torch.matmul broadcasts them.

Assumes two inputs of rank >= 2 whose shapes the analysis checked. Guarantees what the
PyTorch lowering computes: the first input @ the second, written to `y`.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("matmul")
def matmul(em: Emitter, node: Node, xs, ins, out, y) -> None:
    em.op("MatMul", xs, y)
