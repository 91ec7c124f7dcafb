"""A layer norm written out in primitives, as netspec's exporter writes `layer_norm(dim)`
for any axis but the last: ReduceMean, Sub, Mul (the square), ReduceMean, Add eps,
Sqrt, Div, then Mul by a stored scale and Add of a stored shift, each optional.

Assumes the pattern's nodes each read only the one before (the centred tensor read
twice). Guarantees `layer_norm(dim=d, eps=...)` with its weight and bias as [C], taken
from the first ReduceMean, the other nodes consumed. A ReduceMean (ReduceMax) over
every spatial axis is the global pool (conv.py); anything else is refused.
"""

from __future__ import annotations

from netspec.frontends.imported import Stage, Unsupported
from netspec.frontends.onnx import conv
from netspec.frontends.onnx.context import Context, attrs, number, refuse

Result = list[Stage] | Unsupported


def reduce_mean(node, ctx: Context) -> Result:
    """A layer norm written out, a mean over the spatial axes (a global pool), or refused."""
    found = _layer_norm(node, ctx) if node.op_type == "ReduceMean" else None
    found = found or conv.spatial_mean(node, ctx, _axes(node, ctx, keepdims=False))
    if found is None:
        kind = "mean" if node.op_type == "ReduceMean" else "maximum"
        return refuse(
            node, f"a {kind} over axes that is neither a global pool nor part of a layer norm"
        )
    return found


def _layer_norm(node, ctx: Context) -> list[Stage] | None:
    x, axes = node.input[0], _axes(node, ctx)
    shape = ctx.shape(x)
    if axes is None or len(axes) != 1 or shape is None:
        return None
    dim = axes[0] % len(shape)
    sub = _next(ctx, node, "Sub", [x, node.output[0]])
    readers = ctx.readers(sub.output[0]) if sub else []
    square = next((r for r in readers if r.op_type == "Mul"), None)
    div = next((r for r in readers if r.op_type == "Div"), None)
    if len(readers) != 2 or square is None or div is None:
        return None
    if list(square.input) != [sub.output[0]] * 2:
        return None
    var = _next(ctx, square, "ReduceMean")
    add = _next(ctx, var, "Add") if var and _axes(var, ctx) == axes else None
    eps = _stored(ctx, add, var.output[0]) if add else None
    sqrt = _next(ctx, add, "Sqrt") if eps is not None and eps.size == 1 else None
    if sqrt is None or list(div.input) != [sub.output[0], sqrt.output[0]]:
        return None
    used, last, weights = [sub, square, var, add, sqrt, div], div, []
    for op, key in (("Mul", "weight"), ("Add", "bias")):
        then = _next(ctx, last, op)
        value = _stored(ctx, then, last.output[0]) if then else None
        if value is None or value.size != shape[dim] or (key == "bias" and not weights):
            break
        used.append(then)
        last = then
        weights.append((key, value.reshape(-1)))
    ctx.skip.update(id(n) for n in used)
    kwargs = {"dim": None if dim == len(shape) - 1 else dim, "eps": _eps(eps)}
    kwargs["affine"] = None if weights else False
    kwargs["bias"] = None if len(weights) != 1 else False
    return [ctx.stage(node, "layer_norm", (), kwargs, output=last.output[0], weights=weights)]


def _axes(node, ctx: Context, keepdims: bool = True) -> list[int] | None:
    """The axes reduced (None if not stored, or if dropped and `keepdims` is asked)."""
    a = attrs(node)
    if keepdims and not a.get("keepdims", 1):
        return None
    if "axes" in a:
        return [int(v) for v in a["axes"]]
    stored = ctx.const(node.input[1]) if len(node.input) > 1 else None
    return None if stored is None else [int(v) for v in stored.reshape(-1)]


def _next(ctx: Context, node, op: str, inputs: list[str] | None = None):
    """The one reader of `node`, if it is `op` (reading exactly `inputs`, when given)."""
    reader = ctx.only_reader(node.output[0])
    if reader is None or reader.op_type != op:
        return None
    return reader if inputs is None or list(reader.input) == inputs else None


def _stored(ctx: Context, node, computed: str):
    """The stored operand of a binary node whose other operand is `computed`."""
    other = [t for t in node.input if t != computed]
    return ctx.const(other[0]) if len(other) == 1 else None


def _eps(eps) -> float | None:
    value = number(float(eps.reshape(-1)[0]))
    return None if value == 1e-5 else value


TABLE = {"ReduceMean": reduce_mean, "ReduceMax": reduce_mean}
