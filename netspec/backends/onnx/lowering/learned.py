"""ONNX lowering of a learned tensor, the `param` statement (netspec/ops/learned.py).

Assumes the node's attributes `shape` and `init`. Guarantees an initializer named by the
PyTorch state_dict key (the node's path), every element `init` unless weights are given:
it is the tensor the merges read, or is passed on to it by an Identity where the graph
names that tensor otherwise.
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("param")
def learned(em: Emitter, node: Node, xs, ins, out, y) -> None:
    weight = em.param(node.path, tuple(node.attrs["shape"]), float(node.attrs["init"]))
    if weight != y:
        em.op("Identity", [weight], y)
