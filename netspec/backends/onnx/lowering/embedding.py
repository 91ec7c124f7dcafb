"""ONNX lowering of the embedding lookup (netspec/ops/embedding.py): Gather on the table.

Assumes int64 token ids. Guarantees the table as one initializer named `<path>.weight`
(PyTorch's [vocab, width] layout); given weights keep a padding row as trained (zero).
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("embedding")
def embedding(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a = node.attrs
    table = em.param(f"{node.path}.weight", (a["vocab"], a["width"]))
    em.op("Gather", [table, xs[0]], y, axis=0)
