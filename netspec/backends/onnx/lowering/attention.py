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

Assumes normalised attributes (kv_heads set) and an input [N, L, D], D concrete.
Guarantees what the PyTorch lowering computes in eval mode (dropout off), its
parameters named by the runtime SelfAttention's state_dict keys (`<path>.q.weight`, ...).
"""

from __future__ import annotations

import numpy as np

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


def _causal(em: Emitter, x: str, length: int | str, scores: str) -> str:
    """-inf where key position j comes after query position i (i < j)."""
    if isinstance(length, int) and not em.dynamic:
        later = em.const("later", np.triu(np.ones((length, length), bool), 1), np.bool_)
    else:  # from the input's own length, [L] whatever L is
        first = em.op("Gather", [x, em.ints("first", 0)], axis=0)  # [L, D]
        column = em.op("Gather", [first, em.ints("feature", 0)], axis=1)  # [L]
        ones = em.op("Add", [em.op("Mul", [column, em.const("zero", 0.0)]), em.const("one", 1.0)])
        positions = em.op("CumSum", [ones, em.ints("axis", 0)])  # 1..L
        later = em.op("Less", [em.unsqueeze(positions, [1]), positions])
    return em.op("Where", [later, em.const("minus_inf", float("-inf")), scores])


@lowers("attention")
def attention(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, d = node.attrs, ins[0][-1]
    heads, kv = a["heads"], a["kv_heads"]
    width, group = d // heads, heads // kv
    x = xs[0]
    # queries [N, kv, group, L, width]; keys [N, kv, 1, width, L]; values [N, kv, 1, L, width]
    q = _heads(em, _project(em, node, x, "q", d, d), kv, group, width, [0, 2, 3, 1, 4])
    k = _heads(em, _project(em, node, x, "k", d, kv * width), kv, 1, width, [0, 2, 3, 4, 1])
    v = _heads(em, _project(em, node, x, "v", d, kv * width), kv, 1, width, [0, 2, 3, 1, 4])
    scaled = em.op("Mul", [q, em.const("scale", 1.0 / width**0.5)])
    scores = em.op("MatMul", [scaled, k])
    if a["causal"]:
        scores = _causal(em, x, ins[0][1], scores)
    weights = em.op("Softmax", [scores], axis=-1)
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
