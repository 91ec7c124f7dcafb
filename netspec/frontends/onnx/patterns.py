"""Patterns found before translation, where an exporter spelled one netspec op as a
subgraph with shape arithmetic in it (which a node-by-node translation would refuse).

- torch.onnx's Expand of a computed tensor to its own batch (netspec's concat
  broadcasts a batch of 1; a computed tensor already has the network's batch): an alias.
- torch's dynamo exporter's `as_strided` of a tensor onto itself (a permute of a
  [N, C, 1, 1] map): Reshape to [-1], then Gather of the stored indices
  arange(size).reshape(shape): an alias.
- torch's dynamo exporter unoptimised (optimize=False): CastLike(stored c, x), a
  stored value cast to the stream's type (Clip's bounds), is the constant c; the zero
  bias of a convolution without one, Expand(CastLike(0, x), [C]), is no bias
  (`Context.no_bias`).
- netspec's exporter's class token for a dynamic batch: Add(stored c, Mul(Slice(x), 0))
  into a Concat with x: the stored c (netspec's concat broadcasts it).
- torch.onnx's `F.local_response_norm`: Div(x, Pow(Add(Mul(AveragePool3d(Pad(
  Reshape(x * x))), alpha), k), beta)) with Shape/Gather/If nodes around the pool:
  `lrn(size, alpha=, beta=, k=)`, given to the Div node.

Assumes a :class:`Context` before any translator ran. Guarantees that what a pattern
replaces reads only the pattern's input (`Context.replace`: node -> its stages and the
tensors they read), so the liveness pass leaves the shape arithmetic behind as dead.
"""

from __future__ import annotations

import numpy as np

from netspec.frontends.onnx.context import Context, attrs, number
from netspec.frontends.onnx.read import reads


def find(ctx: Context) -> None:
    for node in ctx.graph.nodes:
        if node.op_type == "Expand" and _batch_only(node, ctx):
            ctx.alias[node.output[0]] = node.input[0]
            ctx.skip.add(id(node))
        elif node.op_type == "Div":
            _local_response_norm(node, ctx)
        elif node.op_type == "Gather":
            _restrided(node, ctx)
        elif node.op_type == "CastLike" and _floating(ctx.const(node.input[0])):
            ctx.graph.constants[node.output[0]] = ctx.const(node.input[0])
            ctx.replace[id(node)] = ([], [])
        elif node.op_type == "Conv" and len(node.input) > 2:
            _zero_bias(node, ctx)
        elif node.op_type == "Add":
            _batched_token(node, ctx)


def _batch_only(node, ctx: Context) -> bool:
    before, after = ctx.shape(node.input[0]), ctx.shape(node.output[0])
    return (
        ctx.const(node.input[0]) is None
        and before is not None
        and after is not None
        and tuple(before[1:]) == tuple(after[1:])
        and all(r.op_type == "Concat" for r in ctx.readers(node.output[0]))
    )


def _restrided(gather, ctx: Context) -> None:
    """Gather(Reshape(x, [-1]), arange(x.size).reshape(x.shape)) is x itself."""
    flat = _maker(ctx, gather.input[0], "Reshape")
    target = ctx.const(flat.input[1]) if flat is not None else None
    indices = ctx.const(gather.input[1])
    shape = ctx.shape(flat.input[0]) if flat is not None else None
    if target is None or indices is None or shape is None or list(target) != [-1]:
        return
    if attrs(gather).get("axis", 0) != 0 or tuple(indices.shape) != tuple(shape):
        return
    if (indices.reshape(-1) == np.arange(indices.size)).all():
        ctx.alias[gather.output[0]] = flat.input[0]
        ctx.replace[id(gather)] = ([], [flat.input[0]])


def _batched_token(add, ctx: Context) -> None:
    """Add(stored c, Mul(Slice(x, [0:1] on one axis), 0)) read only by a Concat that also
    reads x: the learned c repeated to x's batch, as netspec's exporter writes a class
    token for a dynamic batch; netspec's concat broadcasts a batch of 1 itself, so the
    sum is c (a stored tensor the concat makes a `param` of)."""
    token = ctx.const(add.input[0])
    zeros = _maker(ctx, add.input[1], "Mul")
    factor = ctx.const(zeros.input[1]) if zeros is not None else None
    first = _maker(ctx, zeros.input[0], "Slice") if factor is not None else None
    readers = ctx.readers(add.output[0])
    if token is None or first is None or factor.size != 1 or factor.any() or len(readers) != 1:
        return
    if readers[0].op_type != "Concat" or first.input[0] not in readers[0].input:
        return
    if token.ndim == 0 or token.shape[0] != 1:
        return
    ctx.graph.constants[add.output[0]] = token
    ctx.alias[add.output[0]] = add.input[0]
    ctx.replace[id(add)] = ([], [])


def _floating(value) -> bool:
    return value is not None and value.dtype.kind == "f"


def _zero_bias(conv, ctx: Context) -> None:
    """A bias Expand(zeros, stored shape) (zeros cast like the input) is no bias at all."""
    expand = _maker(ctx, conv.input[2], "Expand")
    zero = ctx.const(expand.input[0]) if expand is not None else None
    if zero is None or ctx.const(expand.input[1]) is None or zero.any():
        return
    ctx.no_bias.add(conv.input[2])
    ctx.replace[id(expand)] = ([], [])  # nothing behind it is needed


def _local_response_norm(div, ctx: Context) -> None:
    x = div.input[0]
    power = _maker(ctx, div.input[1], "Pow")
    shift = _maker(ctx, power.input[0], "Add") if power else None
    scale = _maker(ctx, shift.input[0], "Mul") if shift else None
    if scale is None:
        return
    beta, k, alpha = (ctx.const(n.input[1]) for n in (power, shift, scale))
    pool = _pool_behind(ctx, scale.input[0], x)
    if None in (beta, k, alpha) or pool is None:
        return
    size = int(attrs(pool)["kernel_shape"][0])
    kwargs = {"alpha": _unless(alpha, 1e-4), "beta": _unless(beta, 0.75), "k": _unless(k, 1.0)}
    stage = ctx.stage(div, "lrn", (size,), kwargs, inputs=(x,))
    ctx.replace[id(div)] = ([stage], [x])


def _pool_behind(ctx: Context, tensor: str, x: str):
    """The AveragePool (kernel [size, 1, 1]) of the squares of x that `tensor` derives
    from, through reshapes and the If that squeezes it; None if it is not there."""
    maker = _makers(ctx)
    seen, todo = set(), [tensor]
    while todo:
        node = maker.get(todo.pop())
        if node is None or id(node) in seen or node.op_type in ("Shape", "Gather"):
            continue
        seen.add(id(node))
        if node.op_type == "AveragePool":
            kernel = list(attrs(node).get("kernel_shape", []))
            square = _square_behind(ctx, node.input[0], maker)
            return node if kernel[1:] == [1] * (len(kernel) - 1) and square == x else None
        todo.extend(t for t in reads(node) if t != x)
    return None


def _square_behind(ctx: Context, tensor: str, maker) -> str | None:
    node = maker.get(tensor)
    while node is not None and node.op_type in ("Pad", "Reshape", "Unsqueeze"):
        node = maker.get(node.input[0])
    if node is not None and node.op_type == "Mul" and node.input[0] == node.input[1]:
        return node.input[0]
    return None


def made_by(ctx: Context, tensor: str, op: str | None = None):
    """The node making `tensor` (if it is an `op`, where one is named); else None."""
    node = _makers(ctx).get(tensor)
    return node if node is not None and (op is None or node.op_type == op) else None


_maker = made_by


def _makers(ctx: Context) -> dict:
    if not ctx.makers:
        ctx.makers.update({t: n for n in ctx.graph.nodes for t in n.output})
    return ctx.makers


def _unless(value, default: float) -> float | None:
    v = number(float(value.reshape(-1)[0]))
    return None if v == default else v
