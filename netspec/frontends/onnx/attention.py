"""Multi-head attention written out in ONNX operators, found back as one `attention`.

What every exporter writes for it: the queries, keys and values each a projection (a
MatMul or Gemm by a stored weight, maybe an Add of a stored bias), split into heads
(heads.py follows the elements through whatever Reshapes, Transposes, Squeezes and
Gathers do it, and finds the rows of a packed projection each role uses); the scores
Q·Kᵀ (MatMul) scaled by 1/sqrt(width) in all (netspec scales the queries, torch both
sides by its square root); a causal mask maybe (netspec's Where(stored upper triangle,
-inf, scores), torch's Add of a stored 0 / -inf triangle, the least float32 for -inf
from dynamo); Softmax on the last axis; the weights times V (MatMul); the heads merged
back and projected by `out` (heads.merged).

The anchor is the Softmax. Keys and values read the queries' stream (self-attention)
or one other tensor (cross-attention, `memory=`).

Assumes a :class:`Context` before translation. Guarantees, for each match, the node
that ends the out projection replaced by `attention(heads, ...)` reading the stream
(and the memory), with the weights by the runtime SelfAttention's state_dict keys
(`q.weight`, `q.bias`, ..., `out.bias`) in PyTorch's [out, in] layout; a subgraph that
differs in any way (another scale, another mask, a padding mask) is left to the
node-by-node translation: written out in primitives where netspec has them (matmul,
softmax, ...), else refused by name.
"""

from __future__ import annotations

import numpy as np

from netspec.frontends.imported import TensorName
from netspec.frontends.onnx.context import Context, attrs
from netspec.frontends.onnx.heads import (
    Heads,
    Projection,
    computed_and_stored,
    merged,
    split_heads,
)
from netspec.frontends.onnx.patterns import made_by

TABLE: dict = {}  # attention is only ever found as a pattern


def find(ctx: Context) -> None:
    for node in ctx.graph.nodes:
        if node.op_type == "Softmax":
            _attention(node, ctx)


def _attention(softmax, ctx: Context) -> None:
    shape = ctx.shape(softmax.input[0])
    default = -1 if ctx.graph.opset >= 13 else 1  # before 13, Softmax flattened from axis 1
    axis = attrs(softmax).get("axis", default)
    if shape is None or len(shape) not in (4, 5) or axis % len(shape) != len(shape) - 1:
        return  # not over the keys alone
    scores, causal = _unmasked(ctx, softmax.input[0])
    product = made_by(ctx, scores, "MatMul")
    if product is None:
        return
    q = split_heads(ctx, product.input[0], "query")
    k = split_heads(ctx, product.input[1], "key")
    times = ctx.only_reader(softmax.output[0])
    if q is None or k is None or times is None or times.op_type != "MatMul":
        return
    v = split_heads(ctx, times.input[1], "query") if times.input[0] == softmax.output[0] else None
    tail = merged(ctx, times)
    if v is None or tail is None or not _agree(q, k, v):
        return
    out, last = tail
    x, memory = q.projection.reads, k.projection.reads
    if v.projection.reads != memory or (causal and memory != x):
        return
    width = (ctx.shape(x) or (0,))[-1]  # the runtime's q and out are Linear(D, D)
    if q.projection.weight.shape[0] != width or out.weight.shape != (width, width):
        return
    biased = [p.bias is not None for p in (q.projection, k.projection, v.projection, out)]
    if len(set(biased)) != 1:
        return
    count = q.kv * q.group
    kwargs = {
        "kv_heads": None if q.kv == count else q.kv,
        "causal": causal or None,
        "bias": None if biased[0] else False,
        "memory": TensorName(ctx.name(memory)) if memory != x else None,
    }
    reads = _reads(x, memory)
    weights = _weights(q, k, v, out)
    stage = ctx.stage(last, "attention", (count,), kwargs, inputs=reads, weights=weights)
    ctx.replace[id(last)] = ([stage], list(reads))


def _reads(x: str, memory: str) -> tuple[str, ...]:
    return (x,) if memory == x else (x, memory)


def _unmasked(ctx: Context, tensor: str) -> tuple[str, bool]:
    """The scores before a causal mask, and whether there was one: netspec's Where(mask,
    -inf, scores) with a stored mask true exactly above the diagonal, or torch's Add of a
    stored [L, L] of 0 on and below it and -inf (the dynamo exporter: the least float32,
    which softmax turns into the same 0) above."""
    where, add = made_by(ctx, tensor, "Where"), made_by(ctx, tensor, "Add")
    if where is not None:
        mask, fill = ctx.const(where.input[0]), ctx.const(where.input[1])
        if fill is None or fill.size != 1 or not _hidden(fill).all():
            return "", False
        return (where.input[2], True) if _above(mask) else ("", False)
    if add is not None:
        scores, mask = computed_and_stored(ctx, add)
        if mask is None or not _above(_hidden(mask)) or (mask[~_hidden(mask)] != 0).any():
            return "", False
        return scores, True
    return tensor, False


def _hidden(values: np.ndarray) -> np.ndarray:
    return np.isneginf(values) | (values <= np.finfo(np.float32).min)


def _above(mask: np.ndarray | None) -> bool:
    """A stored [L, L] (leading axes of 1 allowed) true exactly above the diagonal."""
    if mask is None or mask.ndim < 2 or mask.size != mask.shape[-1] * mask.shape[-2]:
        return False
    mask = mask.reshape(mask.shape[-2:]).astype(bool)
    return mask.shape[0] == mask.shape[1] and (mask == np.triu(np.ones(mask.shape, bool), 1)).all()


def _agree(q: Heads, k: Heads, v: Heads) -> bool:
    """The three splits are one attention's: kv heads of one width, keys and values not
    grouped, the scores scaled by 1/sqrt(width) in all (netspec scales the queries,
    torch's scaled_dot_product_attention both sides by its square root)."""
    same = q.kv == k.kv == v.kv and q.width == k.width == v.width and k.group == v.group == 1
    scale, wanted = q.scale * k.scale, 1.0 / q.width**0.5
    return same and v.scale == 1.0 and abs(scale - wanted) <= 1e-6 * wanted


def _weights(q: Heads, k: Heads, v: Heads, out: Projection) -> list:
    weights = []
    for name, p in (("q", q.projection), ("k", k.projection), ("v", v.projection), ("out", out)):
        weights.append((f"{name}.weight", p.weight))
        if p.bias is not None:
            weights.append((f"{name}.bias", p.bias))
    return weights
