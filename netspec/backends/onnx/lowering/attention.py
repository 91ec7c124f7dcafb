"""The ONNX lowering of attention (netspec/ops/attention.py), standard operators only:
the four projections as MatMul (+ Add), the heads split by Reshape and Transpose, the
scores Q·Kᵀ scaled by 1/sqrt(width) (Mul), Softmax on the last axis, and the weights
times V, the heads merged back and projected by `out`.

The Reshapes copy N and L (a 0 in their shape), so they hold at any size. causal's mask
(Where: -inf where a key comes after its query) is a constant [L, L] for a number L;
for a symbolic L or a dynamic export it is built from the input itself: one feature of
the first sample, [L], turned into positions 1..L (Mul by 0, Add 1, CumSum) and
compared (Less), so that shape inference keeps L (a mask from Shape and Range would be
[?, ?], and the scores' L lost with it). Every operator exists from opset 13.

Grouped-query attention needs no copies: the queries are split [N, L, kv_heads, group,
width] and MatMul broadcasts each key/value head over its group, query head i reading
key/value head i // group as torch's enable_gqa (repeat_interleave) does.

With a memory (cross-attention) the k and v projections read it, [N, S, Dm]: the scores
are [N, kv, group, L, S]. A padding mask [N, S] (true: padding) is Or-ed with the
causal mask where both are given, and the hidden scores set to the least float32 (not
-inf: a query that reads no key would give NaN); after Softmax such a row, uniform, is
multiplied by 0 (1 - the row's ReduceMin of the hidden flags), so that the query gets
zeros as PyTorch's scaled_dot_product_attention gives it. Without a padding mask the
graph is the one it always was.

Assumes normalised attributes (kv_heads set, memory and padding booleans) and inputs
[N, L, D], D concrete, then the memory [N, S, Dm], then the bool mask [N, S].
Guarantees what the PyTorch lowering computes in eval mode (dropout off), its
parameters named by the runtime SelfAttention's state_dict keys (`<path>.q.weight`, ...).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node


def _project(em: Emitter, node: Node, x: str, name: str, d: int, units: int) -> str:
    """nn.Linear(d, units) on [N, L, d]: x @ Wᵀ + b, the weight [units, d] as PyTorch's."""
    key = f"{node.path}.{name}"
    w = em.param(f"{key}.weight", (units, d), fan_in=d)
    y = em.op("MatMul", [x, em.op("Transpose", [w], perm=[1, 0])])
    if not node.attrs["bias"]:
        return y
    return em.op("Add", [y, em.param(f"{key}.bias", (units,), fan_in=d)])


def _heads(em: Emitter, x: str, kv: int, group: int, width: int, perm: list[int]) -> str:
    """[N, L, kv·group·width] -> [N, L, kv, group, width], then transposed by `perm`."""
    split = em.op("Reshape", [x, em.ints("heads", [0, 0, kv, group, width])])
    return em.op("Transpose", [split], perm=perm)


def _later(em: Emitter, x: str, length: int | str) -> str:
    """[L, L] bool: true where key position j comes after query position i (i < j)."""
    if isinstance(length, int) and not em.dynamic:
        return em.const("later", np.triu(np.ones((length, length), bool), 1), np.bool_)
    # from the input's own length, [L] whatever L is
    first = em.op("Gather", [x, em.ints("first", 0)], axis=0)  # [L, D]
    column = em.op("Gather", [first, em.ints("feature", 0)], axis=1)  # [L]
    ones = em.op("Add", [em.op("Mul", [column, em.const("zero", 0.0)]), em.const("one", 1.0)])
    positions = em.op("CumSum", [ones, em.ints("axis", 0)])  # 1..L
    return em.op("Less", [em.unsqueeze(positions, [1]), positions])


def _hide(em: Emitter, x: str, length, pad: str, causal: bool, scores: str) -> tuple[str, str]:
    """The scores with padded keys (and later ones, if causal) at the least float32, and
    the 0/1 factor [.., L, 1] that zeroes the weights of a query that reads no key."""
    hidden = em.unsqueeze(pad, [1, 2, 3])  # [N, S] -> [N, 1, 1, 1, S]
    if causal:
        hidden = em.op("Or", [_later(em, x, length), hidden])
    lowest = em.const("lowest", np.finfo(np.float32).min)
    scores = em.op("Where", [hidden, lowest, scores])
    blind = em.reduce("ReduceMin", em.op("Cast", [hidden], to=TensorProto.FLOAT), [-1])
    return scores, em.op("Sub", [em.const("one", 1.0), blind])


@lowers("attention")
def attention(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, d = node.attrs, ins[0][-1]
    heads, kv = a["heads"], a["kv_heads"]
    width, group = d // heads, heads // kv
    x = xs[0]
    memory, dm = (xs[1], ins[1][-1]) if a.get("memory") else (x, d)
    # queries [N, kv, group, L, width]; keys [N, kv, 1, width, S]; values [N, kv, 1, S, width]
    q = _heads(em, _project(em, node, x, "q", d, d), kv, group, width, [0, 2, 3, 1, 4])
    k = _heads(em, _project(em, node, memory, "k", dm, kv * width), kv, 1, width, [0, 2, 3, 4, 1])
    v = _heads(em, _project(em, node, memory, "v", dm, kv * width), kv, 1, width, [0, 2, 3, 1, 4])
    scaled = em.op("Mul", [q, em.const("scale", 1.0 / width**0.5)])
    scores, keep = em.op("MatMul", [scaled, k]), None
    if a.get("padding"):
        scores, keep = _hide(em, x, ins[0][1], xs[-1], a["causal"], scores)
    elif a["causal"]:
        scores = em.op(
            "Where", [_later(em, x, ins[0][1]), em.const("minus_inf", float("-inf")), scores]
        )
    weights = em.op("Softmax", [scores], axis=-1)
    if keep is not None:
        weights = em.op("Mul", [weights, keep])
    mixed = em.op("Transpose", [em.op("MatMul", [weights, v])], perm=[0, 3, 1, 2, 4])
    merged = em.op("Reshape", [mixed, em.ints("merged", [0, 0, d])])
    _project_out(em, node, merged, d, y)


def _project_out(em: Emitter, node: Node, x: str, d: int, y: str) -> None:
    """The out projection, written to the layer's output `y`."""
    w = em.param(f"{node.path}.out.weight", (d, d), fan_in=d)
    wt = em.op("Transpose", [w], perm=[1, 0])
    if not node.attrs["bias"]:
        em.op("MatMul", [x, wt], y)
        return
    product = em.op("MatMul", [x, wt])
    em.op("Add", [product, em.param(f"{node.path}.out.bias", (d,), fan_in=d)], y)
