"""ONNX lowerings of the fully connected layers (netspec/ops/linear.py): linear (Gemm on
rank 2, else MatMul with the weight's transpose) and rbf (sum of squared differences).

Assumes a concrete last dimension. Guarantees PyTorch's [out, in] weight layout, named
`<path>.weight` as in its state_dict; a tied linear reads the shared layer's initializer
(`<tied>.weight`: one initializer for both).
"""

from __future__ import annotations

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


@lowers("linear")
def linear(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """PyTorch's [out, in] weight; Gemm on rank 2, else MatMul with its transpose."""
    a, features, p = node.attrs, ins[0][-1], node.path
    shared = a.get("tied") or p  # a tied weight is the shared layer's initializer
    w = em.param(f"{shared}.weight", (a["out"], features), fan_in=features)
    b = em.param(f"{p}.bias", (a["out"],), fan_in=features) if a["bias"] else None
    if len(ins[0]) == 2:
        em.op("Gemm", [xs[0], w] + ([b] if b else []), y, transB=1)
        return
    product = em.op("MatMul", [xs[0], em.op("Transpose", [w], perm=[1, 0])], None if b else y)
    if b:
        em.op("Add", [product, b], y)


@lowers("rbf")
def rbf(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """sum_j (x_j - w_ij)^2, by broadcasting as backends.torch.runtime.RBF does."""
    w = em.param(f"{node.path}.weight", (node.attrs["units"], ins[0][-1]), "codes")
    diff = em.op("Sub", [em.unsqueeze(xs[0], [1]), w])
    squares = em.op("Mul", [diff, diff])
    em.reduce("ReduceSum", squares, [-1], y, keepdims=0)
