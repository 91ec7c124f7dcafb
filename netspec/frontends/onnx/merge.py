"""Elementwise merges of tensors: Add, Mul, Concat; and Add/Mul/Div by stored constants.

Assumes NumPy broadcasting, as ONNX's. Guarantees: two computed tensors become the
merge `add`/`mul`/`concat(dim)` with the stream first; a stored scalar factor (Mul, or
Div by it) becomes `scale`; any other stored operand of Add or Mul becomes a `param`
stage (op "param", args (dims,), no inputs, its one weight named "" because a param's
state_dict key is its own path) read by the merge. Sub and Div of computed tensors are
refused: netspec has no such merge.
"""

from __future__ import annotations

from netspec.frontends.imported import Stage, Unsupported
from netspec.frontends.onnx.context import Context, attrs, number, refuse

Result = list[Stage] | Unsupported


def add_mul(node, ctx: Context) -> Result:
    op = "add" if node.op_type == "Add" else "mul"
    stored = [ctx.const(t) is not None for t in node.input]
    if all(stored):
        return refuse(node, "both operands are stored: a constant computation")
    if not any(stored):
        return [ctx.stage(node, op, inputs=tuple(node.input))]
    x, c = (node.input[1], node.input[0]) if stored[0] else (node.input[0], node.input[1])
    value = ctx.const(c)
    if op == "mul" and value.size == 1:
        return [ctx.stage(node, "scale", (number(value.reshape(-1)[0]),), inputs=(x,))]
    return _param(node, ctx, c) + [ctx.stage(node, op, inputs=(x, c))]


def div(node, ctx: Context) -> Result:
    value = ctx.const(node.input[1])
    if ctx.const(node.input[0]) is not None or value is None or value.size != 1:
        return refuse(node, "netspec divides only by a stored scalar (as `scale`)")
    factor = number(1.0 / float(value.reshape(-1)[0]))
    return [ctx.stage(node, "scale", (factor,))]


def sub(node, ctx: Context) -> Result:
    return refuse(node, "netspec has no subtraction")


def concat(node, ctx: Context) -> Result:
    stored = [t for t in node.input if ctx.const(t) is not None]
    if len(stored) == len(node.input):
        return refuse(node, "every input is stored: a constant computation")
    axis = attrs(node)["axis"]
    shape = ctx.shape(node.input[0])
    if shape is not None:
        axis %= len(shape)
    kwargs = {"dim": None if axis == 1 else axis}
    params = [stage for t in stored for stage in _param(node, ctx, t)]  # ViT's class token
    return params + [ctx.stage(node, "concat", (), kwargs, inputs=tuple(node.input))]


def _param(node, ctx: Context, tensor: str) -> list[Stage]:
    if tensor in ctx.params:
        return []
    ctx.params.add(tensor)
    value = ctx.const(tensor)
    dims = tuple(int(d) for d in value.shape) or (1,)
    return [
        ctx.stage(
            node, "param", (dims,), inputs=(), output=tensor, weights=[("", value.reshape(dims))]
        )
    ]


TABLE = {"Add": add_mul, "Mul": add_mul, "Div": div, "Sub": sub, "Concat": concat}
