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

from netspec.frontends.imported import TensorName
from netspec.frontends.onnx.context import Context, attrs
from netspec.frontends.onnx.patterns import made_by

# the heads' axes as each exporter arranges them, by the rank of the split:
# netspec's [N, L, kv, group, width] (5), torch's [N, L, heads, width] (4)
QUERY_PERMS = {5: [0, 2, 3, 1, 4], 4: [0, 2, 1, 3]}  # queries and values: [.., L, width]
KEY_PERMS = {5: [0, 2, 3, 4, 1], 4: [0, 2, 3, 1]}  # keys transposed: [.., width, S]
MAX_MOVES = 8  # Reshapes and Transposes between a projection and its heads
TABLE: dict = {}  # attention is only ever found as a pattern


class Projection(NamedTuple):
    reads: str  # the tensor projected
    weight: np.ndarray  # [units, in], PyTorch's layout
    bias: np.ndarray | None
    end: str  # the projection's output


class Heads(NamedTuple):
    projection: Projection
    kv: int  # heads of keys and values
    group: int  # query heads per key/value head
    width: int
    rank: int  # of the split: 5 (netspec's grouped layout) or 4
    scale: float  # a factor applied after the split (1.0: none)


def find(ctx: Context) -> None:
    for node in ctx.graph.nodes:
        if node.op_type == "Softmax":
            _attention(node, ctx)


def _attention(softmax, ctx: Context) -> None:
    if attrs(softmax).get("axis", -1) not in (-1, 3, 4):
        return
    scores, causal = _unmasked(ctx, softmax.input[0])
    product = made_by(ctx, scores, "MatMul")
    if product is None:
        return
    q = _heads(ctx, product.input[0], QUERY_PERMS)
    k = _heads(ctx, product.input[1], KEY_PERMS)
    tail = _tail(ctx, softmax, q.group) if q is not None else None
    if q is None or k is None or tail is None:
        return
    v, out, last = tail
    if not _agree(q, k, v):
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
        "memory": TensorName(ctx.name(memory)) if memory != x else None,
    }
    reads = _reads(x, memory)
    weights = _weights(q, k, v, out)
    stage = ctx.stage(last, "attention", (heads,), kwargs, inputs=reads, weights=weights)
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
        scores, mask = _computed_and_stored(ctx, add)
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


def _computed_and_stored(ctx: Context, node) -> tuple[str, np.ndarray | None]:
    """A binary node's computed operand and its stored one (None if not one of each)."""
    a, b = node.input[0], node.input[1]
    if ctx.const(a) is not None:
        a, b = b, a
    return (a, ctx.const(b)) if ctx.const(a) is None else (a, None)


def _heads(ctx: Context, tensor: str, perms: dict[int, list[int]]) -> Heads | None:
    """A projection split into heads, maybe times a stored scalar: the Reshapes and
    Transposes between them move its elements exactly as a split into [N, L, kv, group,
    width] or [N, L, heads, width], then `perms`, does (however an exporter spells it:
    torch's dynamo exporter transposes the keys through a 3-d reshape)."""
    tensor, scale = _scaled(ctx, tensor)
    start, chain = _moved_back(ctx, tensor)
    projection = _projection(ctx, start) if chain else None
    before = _sizes(ctx.shape(start)) if projection is not None else None
    after = _moves(ctx, chain, np.arange(int(np.prod(before))).reshape(before)) if before else None
    if after is None or after.ndim not in perms:
        return None
    perm = perms[after.ndim]
    split = [after.shape[perm.index(j)] for j in range(after.ndim)]
    if split[:2] != list(before[:2]) or int(np.prod(split[2:])) != before[2]:
        return None
    if not np.array_equal(after, np.arange(after.size).reshape(split).transpose(perm)):
        return None
    kv, group, width = split[2], (split[3] if len(split) == 5 else 1), split[-1]
    if projection.weight.shape[0] != kv * group * width:
        return None
    return Heads(projection, kv, group, width, after.ndim, scale)


def _moved_back(ctx: Context, tensor: str) -> tuple[str, list]:
    """Back from `tensor` through Reshape and Transpose nodes: where they start, and the
    nodes in the order they run."""
    chain: list = []
    node = _mover(ctx, tensor)
    while node is not None and len(chain) < MAX_MOVES:
        chain.insert(0, node)
        node = _mover(ctx, node.input[0])
    return (chain[0].input[0] if chain else tensor), chain


def _mover(ctx: Context, tensor: str):
    return made_by(ctx, tensor, "Reshape") or made_by(ctx, tensor, "Transpose")


def _moves(ctx: Context, chain: list, index: np.ndarray) -> np.ndarray | None:
    """`index` moved as the chain moves its tensor's elements; None where a target shape
    is not stored or does not fit."""
    for node in chain:
        if node.op_type == "Transpose":
            perm = attrs(node).get("perm")
            index = index.transpose(list(perm) if perm else None)
            continue
        target = ctx.const(node.input[1])
        if target is None:
            return None
        dims = [index.shape[i] if d == 0 else int(d) for i, d in enumerate(target.reshape(-1))]
        try:
            index = index.reshape(dims)
        except ValueError:
            return None
    return index


def _sizes(shape) -> tuple[int, ...] | None:
    """A [N, L, D] shape with numbers for its sizes: a named size (a dynamic batch) as a
    number no exporter writes into a fixed reshape (so that one stands out)."""
    if shape is None or len(shape) != 3 or not isinstance(shape[2], int):
        return None
    return tuple(d if isinstance(d, int) else 7 + i for i, d in enumerate(shape))


def _scaled(ctx: Context, tensor: str) -> tuple[str, float]:
    """Through a Mul by a stored scalar, if one made `tensor`: its input and the factor."""
    mul = made_by(ctx, tensor, "Mul")
    if mul is None:
        return tensor, 1.0
    x, factor = _computed_and_stored(ctx, mul)
    if factor is None or factor.size != 1:
        return tensor, 1.0
    return x, float(factor.reshape(-1)[0])


def _projection(ctx: Context, tensor: str) -> Projection | None:
    """[Add(] MatMul(x, Wᵀ) [, stored b)]: nn.Linear on [N, L, in] (the reader folds the
    exporter's Transpose of the stored W into a constant)."""
    bias, add = None, made_by(ctx, tensor, "Add")
    if add is not None:
        computed, bias = _computed_and_stored(ctx, add)
        if bias is None:
            return None
    product = made_by(ctx, computed if add is not None else tensor, "MatMul")
    stored = ctx.const(product.input[1]) if product else None
    if stored is None or stored.ndim != 2 or ctx.const(product.input[0]) is not None:
        return None
    weight = stored.T
    if bias is not None and bias.shape != (weight.shape[0],):
        return None
    return Projection(product.input[0], weight, bias, tensor)


def _tail(ctx: Context, softmax, group: int) -> tuple[Heads, Projection, object] | None:
    """From the weights on: times V, the heads (`group` query heads to a value head)
    merged back into [N, L, D] (Transposes and Reshapes that move the elements exactly
    so), the out projection; the values' heads, the out projection and its last node."""
    times = ctx.only_reader(softmax.output[0])
    if times is None or times.op_type != "MatMul" or times.input[0] != softmax.output[0]:
        return None
    v = _heads(ctx, times.input[1], QUERY_PERMS)
    chain, node = [], ctx.only_reader(times.output[0])
    while node is not None and node.op_type in ("Transpose", "Reshape") and len(chain) < MAX_MOVES:
        chain.append(node)
        node = ctx.only_reader(node.output[0])
    merged = _sizes(ctx.shape(chain[-1].output[0])) if chain and v is not None else None
    if merged is None or node is None or node.op_type != "MatMul":
        return None
    split = [*merged[:2], v.kv, group, v.width] if v.rank == 5 else [*merged[:2], v.kv, v.width]
    if int(np.prod(split)) != int(np.prod(merged)):
        return None
    heads = np.arange(int(np.prod(merged))).reshape(split).transpose(QUERY_PERMS[v.rank])
    after = _moves(ctx, chain, heads)
    if after is None or not np.array_equal(after, np.arange(after.size).reshape(merged)):
        return None
    add = ctx.only_reader(node.output[0])
    biased = (
        add is not None and add.op_type == "Add" and _computed_and_stored(ctx, add)[1] is not None
    )
    last = add if biased else node
    out = _projection(ctx, last.output[0])
    if out is None or out.reads != chain[-1].output[0]:
        return None
    return v, out, last


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
