"""Multi-head attention written out in ONNX operators, found back as one `attention`.

The subgraph is the one netspec's exporter writes (netspec/backends/onnx/lowering/
attention.py): the queries, keys and values each a projection (MatMul by a transposed
stored weight, Add of a stored bias unless bias=false), split into heads by Reshape
[0, 0, kv, group, width] and Transpose; the queries scaled by 1/sqrt(width) (Mul); the
scores Q·Kᵀ (MatMul), causal ones hidden by Where(stored upper-triangle mask, -inf,
scores); Softmax on the last axis; the weights times V (MatMul), the heads merged back
(Transpose [0, 3, 1, 2, 4], Reshape [0, 0, D]) and projected by `out`.

The anchor is the Softmax: every other node is found by walking from it, each a node of
the exact kind expected with stored operands where the lowering has them. Keys and
values read the queries' stream (self-attention) or one other tensor (cross-attention,
`memory=`).

Assumes a :class:`Context` before translation. Guarantees, for each match, the last
node of the out projection replaced by `attention(heads, ...)` reading the stream (and
the memory), with the weights by the runtime SelfAttention's state_dict keys
(`q.weight`, `q.bias`, ..., `out.bias`) in PyTorch's [out, in] layout; a subgraph that
differs in any node, a scale other than 1/sqrt(width) or a mask other than causal
included, is left to the node-by-node translation, which refuses it by name.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from netspec.frontends.onnx.context import Context, attrs
from netspec.frontends.onnx.patterns import made_by

QUERY_PERM = [0, 2, 3, 1, 4]  # [N, L, kv, group, width] -> [N, kv, group, L, width]
KEY_PERM = [0, 2, 3, 4, 1]  # -> [N, kv, 1, width, S]
MERGE_PERM = [0, 3, 1, 2, 4]  # [N, kv, group, L, width] -> [N, L, kv, group, width]
TABLE: dict = {}  # attention is only ever found as a pattern


class Projection(NamedTuple):
    reads: str  # the tensor projected
    weight: np.ndarray  # [units, in], PyTorch's layout
    bias: np.ndarray | None
    end: str  # the projection's output


class Heads(NamedTuple):
    projection: Projection
    kv: int
    group: int
    width: int


def find(ctx: Context) -> None:
    for node in ctx.graph.nodes:
        if node.op_type == "Softmax":
            _attention(node, ctx)


def _attention(softmax, ctx: Context) -> None:
    if attrs(softmax).get("axis", -1) not in (-1, 4):
        return
    scores, causal = _unmasked(ctx, softmax.input[0])
    product = made_by(ctx, scores, "MatMul")
    scale = made_by(ctx, product.input[0], "Mul") if product else None
    if scale is None or ctx.const(scale.input[1]) is None:
        return
    q = _heads(ctx, scale.input[0], QUERY_PERM)
    k = _heads(ctx, product.input[1], KEY_PERM)
    tail = _tail(ctx, softmax)
    if q is None or k is None or tail is None:
        return
    v, out, last = tail
    if not _agree(q, k, v, float(ctx.const(scale.input[1]).reshape(-1)[0])):
        return
    x, memory = q.projection.reads, k.projection.reads
    if v.projection.reads != memory or (causal and memory != x):
        return
    biased = [p.bias is not None for p in (q.projection, k.projection, v.projection, out)]
    if len(set(biased)) != 1:
        return
    heads = q.kv * q.group
    kwargs = {
        "kv_heads": None if q.kv == heads else q.kv,
        "causal": causal or None,
        "bias": None if biased[0] else False,
        "memory": memory if memory != x else None,
    }
    stage = ctx.stage(
        last,
        "attention",
        (heads,),
        kwargs,
        inputs=_reads(x, memory),
        weights=_weights(q, k, v, out),
    )
    ctx.replace[id(last)] = ([stage], list(_reads(x, memory)))


def _reads(x: str, memory: str) -> tuple[str, ...]:
    return (x,) if memory == x else (x, memory)


def _unmasked(ctx: Context, tensor: str) -> tuple[str, bool]:
    """The scores before a causal mask, and whether there was one: Where(mask, -inf,
    scores) with a stored mask true exactly above the diagonal."""
    where = made_by(ctx, tensor, "Where")
    if where is None:
        return tensor, False
    mask, fill = ctx.const(where.input[0]), ctx.const(where.input[1])
    if mask is None or fill is None or fill.size != 1 or not np.isneginf(fill).all():
        return "", False
    mask = mask.reshape(mask.shape[-2:]) if mask.ndim >= 2 else mask
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        return "", False
    later = np.triu(np.ones(mask.shape, bool), 1)
    return (where.input[2], True) if (mask.astype(bool) == later).all() else ("", False)


def _heads(ctx: Context, tensor: str, perm: list[int]) -> Heads | None:
    """A projection split into heads: Transpose(perm) of Reshape([0, 0, kv, g, w])."""
    turn = made_by(ctx, tensor, "Transpose")
    if turn is None or list(attrs(turn).get("perm", [])) != perm:
        return None
    split = made_by(ctx, turn.input[0], "Reshape")
    target = ctx.const(split.input[1]) if split is not None else None
    if target is None or [int(d) for d in target[:2]] != [0, 0] or target.size != 5:
        return None
    projection = _projection(ctx, split.input[0])
    if projection is None:
        return None
    kv, group, width = (int(d) for d in target[2:])
    if projection.weight.shape[0] != kv * group * width:
        return None
    return Heads(projection, kv, group, width)


def _projection(ctx: Context, tensor: str) -> Projection | None:
    """[Add(] MatMul(x, Wᵀ) [, stored b)]: nn.Linear on [N, L, in] (the reader folds the
    exporter's Transpose of the stored W into a constant)."""
    bias = None
    add = made_by(ctx, tensor, "Add")
    product = made_by(ctx, add.input[0] if add else tensor, "MatMul")
    if add is not None:
        bias = ctx.const(add.input[1])
        if bias is None or product is None:
            return None
    stored = ctx.const(product.input[1]) if product else None  # Transpose(W) folded: Wᵀ
    weight = stored.T if stored is not None and stored.ndim == 2 else None
    if weight is None:
        return None
    if bias is not None and bias.shape != (weight.shape[0],):
        return None
    return Projection(product.input[0], weight, bias, tensor)


def _tail(ctx: Context, softmax) -> tuple[Heads, Projection, object] | None:
    """From the weights on: times V, the heads merged, the out projection; the values'
    heads, the out projection and its last node."""
    times = ctx.only_reader(softmax.output[0])
    if times is None or times.op_type != "MatMul" or times.input[0] != softmax.output[0]:
        return None
    v = _heads(ctx, times.input[1], QUERY_PERM)
    turn = ctx.only_reader(times.output[0])
    if v is None or turn is None or turn.op_type != "Transpose":
        return None
    merge = ctx.only_reader(turn.output[0]) if list(attrs(turn)["perm"]) == MERGE_PERM else None
    target = ctx.const(merge.input[1]) if merge and merge.op_type == "Reshape" else None
    if target is None or [int(d) for d in target[:2]] != [0, 0] or target.size != 3:
        return None
    product = ctx.only_reader(merge.output[0])
    if product is None or product.op_type != "MatMul" or product.input[0] != merge.output[0]:
        return None
    add = ctx.only_reader(product.output[0])
    last = (
        add
        if add is not None and add.op_type == "Add" and ctx.const(add.input[1]) is not None
        else product
    )
    out = _projection(ctx, last.output[0])
    if out is None or out.reads != merge.output[0]:
        return None
    return v, out, last


def _agree(q: Heads, k: Heads, v: Heads, scale: float) -> bool:
    """The three splits are one attention's: kv heads of one width, keys and values not
    grouped, the scale 1/sqrt(width)."""
    same = q.kv == k.kv == v.kv and q.width == k.width == v.width and k.group == v.group == 1
    return same and abs(scale - 1.0 / q.width**0.5) <= 1e-6 * scale


def _weights(q: Heads, k: Heads, v: Heads, out: Projection) -> list:
    weights = []
    for name, p in (("q", q.projection), ("k", k.projection), ("v", v.projection), ("out", out)):
        weights.append((f"{name}.weight", p.weight))
        if p.bias is not None:
            weights.append((f"{name}.bias", p.bias))
    return weights
