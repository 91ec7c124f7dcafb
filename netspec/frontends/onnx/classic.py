"""LeNet-5's ops, as netspec's ONNX backend writes them (backends/onnx/lowering), found
before translation and given to the subgraph's last node:

- `scaled_tanh(a=, s=)`: Mul(a, Tanh(Mul(s, x))), a and s stored scalars (either
  operand order of each Mul).
- `subsample(k)`: Add(Mul(Mul(AveragePool(x, kernel k, stride k, no padding), prod(k)),
  w), b), w and b stored one per channel ([C, 1, ...]): weights `weight`, `bias` [C].
- `conv(out, k, connect=table)`: a Conv whose weight is ScatterND(stored zeros [out,
  in, *k], stored indices [[o, c], ...], the stored compact kernels [entries, *k]),
  the indices listing the table's rows in order (o = 0, 1, ... not decreasing, no pair
  twice): the table is each row's input channels as the indices list them, the weight
  the compact kernels (TableConv's parameter), as PyTorch's runtime holds them; not
  behind a Pad (the translation may fold it into the conv's padding, after this).
- `rbf(units)`: ReduceSum(Mul(d, d) or Pow(d, 2), last axis, keepdims=0), d =
  Sub(Unsqueeze(x, [1]), w) (or w minus it), x [N, in], w stored [units, in]. An ONNX
  model does not say whether the centres were trainable: `rbf` keeps netspec's default
  (fixed), as LeNet-5's are.

Assumes a :class:`Context` before any translator ran. Guarantees a pattern only where
every intermediate tensor has its one reader inside the pattern (none is an output);
what does not match exactly is left to the node-by-node translation, which refuses what
netspec cannot say (the ScatterND, a Conv whose weight it makes, a Sub of computed
tensors, a ReduceSum).
"""

from __future__ import annotations

from math import prod

import numpy as np

from netspec.frontends.onnx import conv
from netspec.frontends.onnx.context import Context, attrs, number

TABLE: dict = {}

SCALED_TANH = {"a": 1.7159, "s": 0.6667}  # netspec's defaults (LeCun's 1.7159 tanh(2x/3))


def find(ctx: Context) -> None:
    """Patterns of this family, recorded in `ctx.replace` before translation."""
    for node in ctx.graph.nodes:
        found = None
        if node.op_type == "Tanh":
            found = _scaled_tanh(node, ctx)
        elif node.op_type == "AveragePool":
            found = _subsample(node, ctx)
        elif node.op_type == "Conv":
            found = _table_conv(node, ctx)
        elif node.op_type == "ReduceSum":
            found = _rbf(node, ctx)
        if found is not None:  # the last node, its stage, the source tensor it reads
            last, stage, x = found
            ctx.replace[id(last)] = ([stage], [x])


# --- scaled_tanh ------------------------------------------------------------------------


def _scaled_tanh(tanh, ctx: Context) -> tuple | None:
    inner = _made(ctx, tanh.input[0], "Mul")
    outer = ctx.only_reader(tanh.output[0])
    if inner is None or outer is None or outer.op_type != "Mul":
        return None
    if ctx.only_reader(inner.output[0]) is not tanh:
        return None
    s, x = _scalar_and_other(ctx, inner)
    a, _ = _scalar_and_other(ctx, outer)
    if s is None or a is None or x is None:
        return None
    kwargs = {k: _unless(v, SCALED_TANH[k]) for k, v in (("a", a), ("s", s))}
    stage = ctx.stage(outer, "scaled_tanh", (), kwargs, inputs=(x,))
    return outer, stage, x


def _scalar_and_other(ctx: Context, mul) -> tuple[float | None, str | None]:
    """A Mul of a stored scalar and a computed tensor: (the scalar, the tensor)."""
    if len(mul.input) != 2:
        return None, None
    for c, x in (mul.input, reversed(mul.input)):
        value = ctx.const(c)
        if _scalar(ctx, value, x) and ctx.const(x) is None:
            return number(value.reshape(-1)[0]), x
    return None, None


def _scalar(ctx: Context, value: np.ndarray | None, x: str) -> bool:
    """One stored value that broadcasts onto `x` without adding axes to it."""
    shape = ctx.shape(x)
    rank_kept = shape is not None and value is not None and value.ndim <= len(shape)
    return value is not None and value.size == 1 and rank_kept


# --- subsample --------------------------------------------------------------------------


def _subsample(pool, ctx: Context) -> tuple | None:
    a = attrs(pool)
    kernel = [int(k) for k in a.get("kernel_shape", [])]
    plain = not any(a.get("pads", [])) and a.get("auto_pad", "NOTSET") in ("NOTSET", "VALID")
    if not kernel or list(a.get("strides", [1] * len(kernel))) != kernel or not plain:
        return None
    if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [])):
        return None
    sums = _next(ctx, pool, "Mul")
    scaled = _next(ctx, sums, "Mul") if sums is not None else None
    shifted = _next(ctx, scaled, "Add") if scaled is not None else None
    if shifted is None:
        return None
    taps = _operand(ctx, sums, pool.output[0])
    shape = ctx.shape(pool.input[0])
    if not _scalar(ctx, taps, pool.output[0]) or float(taps.reshape(-1)[0]) != prod(kernel):
        return None
    if shape is None or not isinstance(shape[1], int):
        return None
    weight = _per_channel(ctx, scaled, sums.output[0], len(shape), shape[1])
    bias = _per_channel(ctx, shifted, scaled.output[0], len(shape), shape[1])
    if weight is None or bias is None:
        return None
    k = kernel[0] if len(set(kernel)) == 1 else tuple(kernel)
    x = pool.input[0]
    stage = ctx.stage(shifted, "subsample", (k,), inputs=(x,))
    stage = stage._replace(weights=(("weight", weight), ("bias", bias)))
    return shifted, stage, x


def _per_channel(ctx: Context, node, stream: str, rank: int, channels: int):
    """The stored operand of `node` beside `stream`, if one value per channel broadcast
    along axis 1 of a rank-`rank` tensor ([C, 1, ...]): as a [C] vector."""
    value = _operand(ctx, node, stream)
    if value is None or value.ndim > rank:
        return None
    aligned = (1,) * (rank - value.ndim) + tuple(value.shape)
    if aligned != (1, channels, *(1,) * (rank - 2)):
        return None
    return value.reshape(channels)


# --- conv with a connection table -------------------------------------------------------


def _table_conv(node, ctx: Context) -> tuple | None:
    scatter = _made(ctx, node.input[1], "ScatterND")
    if scatter is None or ctx.only_reader(scatter.output[0]) is not node:
        return None
    if attrs(scatter).get("reduction", "none") != "none" or int(attrs(node).get("group", 1)) != 1:
        return None
    zeros, index, compact = (ctx.const(t) for t in scatter.input[:3])
    if zeros is None or index is None or compact is None or zeros.any() or zeros.ndim < 3:
        return None
    table = _table(index, zeros.shape[:2])
    if table is None or compact.shape != (len(index), *zeros.shape[2:]):
        return None
    if _made(ctx, node.input[0], "Pad") is not None:
        return None  # a Pad folded into the conv's padding is only known at translation
    # the conv as a dense one (its attributes, its bias), then its table and kernels
    ctx.graph.constants[scatter.output[0]] = zeros
    try:
        stages = conv.conv(node, ctx)
    finally:
        del ctx.graph.constants[scatter.output[0]]
    if not isinstance(stages, list):
        return None
    (stage,) = stages
    weights = (("weight", compact), *((k, v) for k, v in stage.weights if k != "weight"))
    stage = stage._replace(kwargs=(*stage.kwargs, ("connect", table)), weights=weights)
    return node, stage, node.input[0]


def _table(index: np.ndarray, dense: tuple[int, int]) -> tuple[tuple[int, ...], ...] | None:
    """The connection table the scatter indices [[o, c], ...] spell, row by row (rows in
    order, each pair once, every pair inside the [out, in] weight); None if they do not."""
    out, channels = dense
    if index.ndim != 2 or index.shape[1] != 2 or index.dtype.kind not in "iu":
        return None
    pairs = [(int(o), int(c)) for o, c in index]
    rows = [o for o, _ in pairs]
    if rows != sorted(rows) or len(set(pairs)) != len(pairs):
        return None
    if not all(0 <= o < out and 0 <= c < channels for o, c in pairs):
        return None
    return tuple(tuple(c for o, c in pairs if o == row) for row in range(out))


# --- rbf ----------------------------------------------------------------------------------


def _rbf(total, ctx: Context) -> tuple | None:
    a = attrs(total)
    axes = a.get("axes")
    if axes is None and len(total.input) > 1 and total.input[1]:
        axes = ctx.const(total.input[1])
    square = _made(ctx, total.input[0], "Mul") or _made(ctx, total.input[0], "Pow")
    if axes is None or a.get("keepdims", 1) != 0 or square is None:
        return None
    diff = _squared(ctx, square)
    sub = _made(ctx, diff, "Sub") if diff is not None else None
    if sub is None or ctx.only_reader(square.output[0]) is not total:
        return None
    if [int(x) % 3 for x in np.atleast_1d(axes)] != [2] or ctx.only_reader(diff) is not square:
        return None
    stored = [ctx.const(t) for t in sub.input]
    centres = next((v for v in stored if v is not None), None)
    lifted = next((t for t, v in zip(sub.input, stored, strict=True) if v is None), None)
    unsqueeze = _made(ctx, lifted, "Unsqueeze") if lifted is not None else None
    if centres is None or unsqueeze is None or ctx.only_reader(lifted) is not sub:
        return None
    x = unsqueeze.input[0]
    shape = ctx.shape(x)
    axis = attrs(unsqueeze).get("axes")
    if axis is None and len(unsqueeze.input) > 1:
        axis = ctx.const(unsqueeze.input[1])
    if axis is None or [int(v) for v in np.atleast_1d(axis)] != [1]:
        return None
    if shape is None or len(shape) != 2 or centres.shape != (centres.shape[0], shape[1]):
        return None
    stage = ctx.stage(total, "rbf", (int(centres.shape[0]),), inputs=(x,))
    return total, stage._replace(weights=(("weight", centres),)), x


def _squared(ctx: Context, node) -> str | None:
    """The tensor `node` squares: Mul(d, d), or Pow(d, 2) with a stored 2."""
    if node.op_type == "Mul":
        return node.input[0] if node.input[0] == node.input[1] else None
    exponent = ctx.const(node.input[1])
    if exponent is None or exponent.size != 1 or float(exponent.reshape(-1)[0]) != 2.0:
        return None
    return node.input[0]


# --- helpers ------------------------------------------------------------------------------


def _made(ctx: Context, tensor: str, op: str):
    """The node making `tensor`, if it is an `op`."""
    if not ctx.makers:
        ctx.makers.update({t: n for n in ctx.graph.nodes for t in n.output})
    node = ctx.makers.get(tensor)
    return node if node is not None and node.op_type == op else None


def _next(ctx: Context, node, op: str):
    """The one reader of `node`'s output, if it is an `op`."""
    reader = ctx.only_reader(node.output[0])
    return reader if reader is not None and reader.op_type == op else None


def _operand(ctx: Context, node, stream: str) -> np.ndarray | None:
    """The stored input of a two-input `node` other than `stream`."""
    if len(node.input) != 2 or stream not in node.input:
        return None
    other = node.input[1] if node.input[0] == stream else node.input[0]
    return ctx.const(other) if other != stream else None


def _unless(value: float, default: float) -> float | None:
    return None if value == default else value
