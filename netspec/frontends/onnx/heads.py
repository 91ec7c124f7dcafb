"""Where attention's elements go: projections split into heads and merged back, found by
following each element, not by the spelling of the ops that move it.

Exporters move the same elements with different ops: netspec's Reshape to [N, L, kv,
group, width] and one Transpose; torch's TorchScript export of
scaled_dot_product_attention a 4-d split; its dynamo export a key transposed through
a 3-d reshape; nn.MultiheadAttention (torchvision's ViT) one packed projection of a
sequence-first copy, split into q, k and v by Unsqueeze, Transpose, Squeeze and Gather,
merged back through a 2-d Gemm. Each is a chain of *movers* (Reshape, Transpose,
Squeeze, Unsqueeze, Gather or Slice by stored indices) around a linear map on the last
axis. Running the chain on a tensor of element numbers (numpy) says exactly which
element of the projection lands where, whatever the ops.

Assumes a :class:`Context` before translation, fixed sizes (a named batch is tried as a
number no exporter writes into a fixed reshape). Guarantees :class:`Heads` only where
every element of the split is the projection's feature `offset + head x width + c` of
the position its axes say (batch on axis 0, the sequence on the role's axis), and a
merge only where the chain puts feature `head x width + c` of each position back in
[N, L, D] order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from netspec.frontends.onnx.context import Context, attrs
from netspec.frontends.onnx.patterns import made_by

MOVERS = ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice")
MAX_MOVES = 12


class Projection(NamedTuple):
    reads: str  # the [N, L, D] tensor projected (before any mover)
    weight: np.ndarray  # [units, D], PyTorch's layout: the rows this role uses
    bias: np.ndarray | None


class Heads(NamedTuple):
    projection: Projection
    kv: int  # heads (of keys and values, where queries are grouped)
    group: int  # query heads per key/value head (1: none)
    width: int
    rank: int  # 4 ([N, heads, L, width]) or 5 ([N, kv, group, L, width])
    scale: float  # a stored factor on the split (1.0: none)


# the axes of a split, by role and rank: batch, heads (kv, group), sequence, width
AXES = {
    ("query", 4): (0, (1,), 2, 3),
    ("query", 5): (0, (1, 2), 3, 4),
    ("key", 4): (0, (1,), 3, 2),
    ("key", 5): (0, (1, 2), 4, 3),
}


def split_heads(ctx: Context, tensor: str, role: str) -> Heads | None:
    """The projection split into heads that makes `tensor` ("query": queries and values,
    [.., L, width]; "key": keys transposed, [.., width, S]), or None."""
    tensor, scale = _scaled(ctx, tensor)
    chain, start = _back(ctx, tensor)
    found = _linear(ctx, start)
    if found is None or not chain:
        return None
    node, weight, bias, moved = found
    for reads, positions in _streams(ctx, moved):
        units = weight.shape[0]
        numbers = positions[..., None] * units + np.arange(units)
        after = run(ctx, chain, numbers)
        if after is None or (role, after.ndim) not in AXES:
            continue
        split = _decode(after, positions.size, units, AXES[role, after.ndim], ctx.shape(reads))
        if split is not None:
            offset, kv, group, width = split
            rows = slice(offset, offset + kv * group * width)
            b = bias[rows] if bias is not None else None
            projection = Projection(reads, weight[rows], b)
            return Heads(projection, kv, group, width, after.ndim, scale)
    return None


def merged(ctx: Context, product) -> tuple[Projection, object] | None:
    """The attention's output `product` ([N, heads, L, width] or the 5-d grouped layout)
    merged back into [.., D] by movers, projected (MatMul or Gemm) and moved into [N, L,
    D]: the out projection and the node that ends it, or None."""
    shape = _sizes(ctx.shape(product.output[0]))
    if shape is None or len(shape) not in (4, 5):
        return None
    chain, node = _forward(ctx, product.output[0])
    found = _linear_at(ctx, node) if chain else None
    if found is None:
        return None
    last, weight, bias = found
    n, length = shape[0], shape[-2]
    width = shape[-1]
    features = int(np.prod(shape[1:-2])) * width
    index = np.indices(shape)
    head = index[1] * (shape[2] if len(shape) == 5 else 1) + (index[2] if len(shape) == 5 else 0)
    numbers = (index[0] * length + index[-2]) * features + head * width + index[-1]
    inside = run(ctx, chain, numbers)
    if inside is None or inside.shape[-1] != features:
        return None
    if not (inside - inside[..., :1] == np.arange(features)).all():
        return None
    positions = inside[..., 0] // features
    after_chain, end = _forward(ctx, last.output[0])
    out = weight.shape[0]
    moved = run(ctx, after_chain, positions[..., None] * out + np.arange(out))
    if moved is None or moved.shape != (n, length, out):
        return None
    if not (moved == np.arange(moved.size).reshape(moved.shape)).all():
        return None
    tail = after_chain[-1] if after_chain else last
    return Projection(chain[-1].output[0], weight, bias), tail


def run(ctx: Context, chain: list, numbers: np.ndarray) -> np.ndarray | None:
    """`numbers` moved as the chain moves its tensor's elements; None where an operand is
    not stored or does not fit."""
    for node in chain:
        numbers = _move(ctx, node, numbers)
        if numbers is None:
            return None
    return numbers


def _move(ctx: Context, node, x: np.ndarray) -> np.ndarray | None:
    a = attrs(node)
    stored = [ctx.const(t) for t in node.input[1:]]
    if any(s is None for s, t in zip(stored, node.input[1:], strict=True) if t):
        return None
    try:
        if node.op_type == "Transpose":
            return x.transpose(list(a["perm"]) if "perm" in a else None)
        if node.op_type == "Reshape":
            dims = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(stored[0].reshape(-1))]
            return x.reshape(dims)
        if node.op_type in ("Squeeze", "Unsqueeze"):
            axes = a.get("axes") if "axes" in a else stored[0].reshape(-1)
            axes = [int(v) for v in axes]
            if node.op_type == "Squeeze":
                return np.squeeze(x, tuple(v % x.ndim for v in axes))
            return np.expand_dims(x, tuple(v % (x.ndim + len(axes)) for v in axes))
        if node.op_type == "Gather":
            return np.take(x, stored[0].astype(np.int64), axis=a.get("axis", 0))
        return _slice(x, stored)
    except (ValueError, IndexError, KeyError, TypeError):
        return None


def _slice(x: np.ndarray, stored: list) -> np.ndarray:
    starts, ends = stored[0].reshape(-1), stored[1].reshape(-1)
    axes = stored[2].reshape(-1) if len(stored) > 2 else np.arange(len(starts))
    steps = stored[3].reshape(-1) if len(stored) > 3 else np.ones(len(starts), np.int64)
    index = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps, strict=True):
        index[int(ax)] = slice(int(s), int(min(e, x.shape[int(ax)])), int(st))
    return x[tuple(index)]


def _decode(after: np.ndarray, positions: int, units: int, axes, shape) -> tuple | None:
    """(offset, kv, group, width) where `after` holds, at each place, the number of the
    projection's feature offset + head x width + c of the place's batch and position."""
    batch, head_axes, seq, wide = axes
    n, length = (_sizes(shape) or (0, 0))[:2]
    if n * length != positions or after.shape[batch] != n or after.shape[seq] != length:
        return None
    place = after // units
    index = np.indices(after.shape)
    if not (place == index[batch] * length + index[seq]).all():
        return None
    width = after.shape[wide]
    group = after.shape[head_axes[1]] if len(head_axes) == 2 else 1
    head = index[head_axes[0]] * group + (index[head_axes[1]] if len(head_axes) == 2 else 0)
    feature = after % units
    offset = int(feature.min())
    if not (feature == offset + head * width + index[wide]).all():
        return None
    return offset, after.shape[head_axes[0]], group, width


def _streams(ctx: Context, moved: str):
    """The [N, L, D] tensors the projection's input may be, nearest first, with the
    position number each row of the input holds: the input itself, and what movers
    that keep the last axis made it from (nn.MultiheadAttention's sequence-first copy)."""
    chain, start = _back(ctx, moved)
    for k in range(len(chain), -1, -1):  # the movers from the candidate on: chain[k:]
        reads = start if k == 0 else chain[k - 1].output[0]
        shape = _sizes(ctx.shape(reads))
        if shape is None or len(shape) != 3:
            continue
        numbers = np.arange(int(np.prod(shape))).reshape(shape)
        after = run(ctx, chain[k:], numbers)
        if after is None or after.shape[-1] != shape[-1]:
            continue
        if (after - after[..., :1] == np.arange(shape[-1])).all():
            yield reads, after[..., 0] // shape[-1]


def _linear(ctx: Context, tensor: str):
    """nn.Linear that makes `tensor`: [Add(] MatMul(x, stored Wᵀ) [, stored b)] or Gemm;
    (node, weight [out, in], bias or None, x)."""
    add, bias = made_by(ctx, tensor, "Add"), None
    if add is not None:
        tensor, bias = computed_and_stored(ctx, add)
        if bias is None:
            return None
    node = made_by(ctx, tensor, "MatMul") or made_by(ctx, tensor, "Gemm")
    if node is None or ctx.const(node.input[0]) is not None:
        return None
    weight, own = _weight(ctx, node)
    if weight is None or (own is not None and bias is not None):
        return None
    bias = own if own is not None else bias
    if bias is not None and bias.reshape(-1).shape != (weight.shape[0],):
        return None
    return node, weight, None if bias is None else bias.reshape(-1), node.input[0]


def _linear_at(ctx: Context, node):
    """The linear that starts at `node` (MatMul or Gemm, maybe an Add of a stored bias
    after it): (the node that ends it, weight, bias)."""
    if node is None or node.op_type not in ("MatMul", "Gemm"):
        return None
    weight, bias = _weight(ctx, node)
    if weight is None:
        return None
    add = ctx.only_reader(node.output[0])
    if bias is None and add is not None and add.op_type == "Add":
        _, stored = computed_and_stored(ctx, add)
        if stored is not None and stored.reshape(-1).shape == (weight.shape[0],):
            return add, weight, stored.reshape(-1)
    return node, weight, bias


def _weight(ctx: Context, node) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A MatMul's or Gemm's stored weight as [out, in], and a Gemm's bias."""
    stored = ctx.const(node.input[1])
    if stored is None or stored.ndim != 2:
        return None, None
    if node.op_type == "MatMul":
        return stored.T, None
    a = attrs(node)
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        return None, None
    bias = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    weight = stored if a.get("transB", 0) else stored.T
    if len(node.input) > 2 and node.input[2]:
        if bias is None or bias.reshape(-1).shape != (weight.shape[0],):
            return None, None  # computed, or broadcast from another shape
        bias = bias.reshape(-1)
    return weight, bias


def _back(ctx: Context, tensor: str) -> tuple[list, str]:
    """The movers that make `tensor`, in the order they run, and where they start."""
    chain: list = []
    while len(chain) < MAX_MOVES:
        node = next((made_by(ctx, tensor, op) for op in MOVERS if made_by(ctx, tensor, op)), None)
        if node is None:
            break
        chain.insert(0, node)
        tensor = node.input[0]
    return chain, tensor


def _forward(ctx: Context, tensor: str) -> tuple[list, object]:
    """The movers that read `tensor` one after another (each the only reader), and the
    node after them."""
    chain: list = []
    node = ctx.only_reader(tensor)
    while node is not None and node.op_type in MOVERS and len(chain) < MAX_MOVES:
        chain.append(node)
        node = ctx.only_reader(node.output[0])
    return chain, node


def _scaled(ctx: Context, tensor: str) -> tuple[str, float]:
    """Through a Mul by a stored scalar, if one made `tensor`: its input and the factor."""
    mul = made_by(ctx, tensor, "Mul")
    if mul is None:
        return tensor, 1.0
    x, factor = computed_and_stored(ctx, mul)
    if factor is None or factor.size != 1:
        return tensor, 1.0
    return x, float(factor.reshape(-1)[0])


def computed_and_stored(ctx: Context, node) -> tuple[str, np.ndarray | None]:
    """A binary node's computed operand and its stored one (None if not one of each)."""
    a, b = node.input[0], node.input[1]
    if ctx.const(a) is not None:
        a, b = b, a
    return (a, ctx.const(b)) if ctx.const(a) is None else (a, None)


def _sizes(shape) -> tuple[int, ...] | None:
    """A shape with numbers for its sizes: a named size (a dynamic batch) as a number no
    exporter writes into a fixed reshape, so that one stands out."""
    if shape is None or not shape or not all(isinstance(d, int) for d in shape[1:]):
        return None
    return tuple(d if isinstance(d, int) else 7 for d in shape)
