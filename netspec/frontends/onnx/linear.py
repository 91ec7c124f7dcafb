"""Fully connected layers: Gemm, and MatMul by a stored matrix (with the Add of a stored
bias after it), into `linear`; MatMul of two computed tensors into `matmul`.

Assumes a weight stored as an initializer. Guarantees the weight in PyTorch's layout
[out, in] (Gemm's B transposed unless transB; MatMul's [in, out] transposed) and
`bias=false` where there is none.
"""

from __future__ import annotations

from netspec.frontends.imported import Stage, Unsupported
from netspec.frontends.onnx.context import Context, attrs, refuse

Result = list[Stage] | Unsupported


def gemm(node, ctx: Context) -> Result:
    a = attrs(node)
    b = ctx.const(node.input[1])
    if b is None or b.ndim != 2:
        return refuse(node, "its weight is computed at run time, not a stored matrix")
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        return refuse(node, "transA, alpha or beta other than PyTorch's linear (0, 1, 1)")
    weight = b if a.get("transB", 0) else b.T
    c = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if len(node.input) > 2 and node.input[2] and (c is None or c.size != weight.shape[0]):
        return refuse(node, "its bias is computed at run time or broadcast")
    return _linear(node, ctx, weight, c, node.output[0])


def matmul(node, ctx: Context) -> Result:
    b = ctx.const(node.input[1])
    if ctx.const(node.input[0]) is not None:
        return refuse(node, "a stored matrix on the left: netspec's linear multiplies on the right")
    if b is None:
        return [ctx.stage(node, "matmul", inputs=tuple(node.input))]
    if b.ndim != 2:
        return refuse(node, "its stored matrix is not 2-d")
    add = ctx.only_reader(node.output[0])
    if add is not None and add.op_type == "Add":
        other = [t for t in add.input if t != node.output[0]]
        bias = ctx.const(other[0]) if len(other) == 1 else None
        if bias is not None and bias.size == b.shape[1] and bias.shape[-1:] == (b.shape[1],):
            ctx.skip.add(id(add))
            return _linear(node, ctx, b.T, bias, add.output[0])
    return _linear(node, ctx, b.T, None, node.output[0])


def _linear(node, ctx: Context, weight, bias, output: str) -> list[Stage]:
    weights = [("weight", weight)] + ([("bias", bias.reshape(-1))] if bias is not None else [])
    kwargs = {"bias": None if bias is not None else False}
    out = int(weight.shape[0])
    return [ctx.stage(node, "linear", (out,), kwargs, output=output, weights=weights)]


TABLE = {"Gemm": gemm, "MatMul": matmul}
