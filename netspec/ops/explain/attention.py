"""Explanation of attention, multi-head self- or cross-attention with its projections
(netspec/ops/attention.py).

Assumes the op's normalised attributes (kv_heads set, memory and padding booleans), its
inputs (the stream [N, L, D], then the memory [N, S, Dm] when given, then the padding
mask) and output shape. Guarantees an Explanation whose values are the op's own rules,
computed here from the formulas the steps show: the shapes (L, S, D, heads, head width
D / heads), the projections' parameters (ViT-B/16: 4·768·768 + 4·768 = 2,362,368), the
multiply-adds split into projections (4·197·768·768 = 464,781,312) and attention
products (2·197·197·768 = 59,610,624), the FLOPs, the links, and a field that becomes
the whole input. A symbolic L or S counts as 1 here, as the op's figures count it.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.ops.base import Counts
from netspec.ops.explain.steps import (
    DOT,
    Explanation,
    Section,
    Step,
    batch_prefix,
    n,
    reads_everything,
    times,
)
from netspec.values import Shape, show_shape


class _Sizes(NamedTuple):
    batch: int
    length: int  # L, the queries
    d: int
    keys: int  # S, the keys and values (L without a memory)
    dm: int  # the memory's features (D without one)
    kv: int


def _sizes(a, inputs: tuple[Shape, ...]) -> _Sizes:
    """The op's sizes, a symbolic batch, L or S counted as 1 (per sample)."""
    x = inputs[0]
    m = inputs[1] if a.get("memory") else x
    batch, length, keys = (v if isinstance(v, int) else 1 for v in (x[0], x[1], m[1]))
    return _Sizes(batch, length, x[2], keys, m[2], x[2] * a["kv_heads"] // a["heads"])


def explain_attention(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    s = _sizes(a, inputs)
    return Explanation(
        _shape(a, inputs),
        _params(self, a, s),
        _connections(self, a, s, inputs[0]),
        _macs(self, a, s, inputs[0]),
        _flops(self, a, s, inputs[0]),
        reads_everything(
            "every position attends to every position of the memory"
            if a.get("memory")
            else "every position attends to every position of the sequence"
        ),
    )


def _shape(a, inputs: tuple[Shape, ...]) -> Section:
    x = inputs[0]
    d, heads = x[2], a["heads"]
    steps = [Step("sequence", f"L = {x[1]}, D = {d}", show_shape(x))]
    if a.get("memory"):
        m = inputs[1]
        steps.append(Step("memory", f"S = {m[1]}, Dm = {m[2]}: keys and values", show_shape(m)))
    if a.get("padding"):
        steps.append(Step("padding", "true: a key no query reads", show_shape(inputs[-1])))
    steps += [
        Step("heads", f"{heads} query, {a['kv_heads']} key/value", n(heads)),
        Step("head width", f"{d}/{heads}", n(d // heads), "D / heads"),
        Step("output", "the heads concatenated, projected back to D", show_shape(x)),
    ]
    return Section("the output has the stream's shape [N, L, D]", tuple(steps), tuple(x))


def _params(self, a, s: _Sizes) -> Section:
    d, dm, kv = s.d, s.dm, s.kv
    weights, biases = 2 * d * d + 2 * dm * kv, (2 * d + 2 * kv if a["bias"] else 0)
    why = f"Dkv = {kv}" + (f", Dm = {dm}" if a.get("memory") else "")
    steps = (
        Step("q and out weights", times(2, d, d), n(2 * d * d)),
        Step("k and v weights", times(2, dm, kv), n(2 * dm * kv), why),
        Step("biases", f"2{DOT}{d} + 2{DOT}{kv}" if biases else "", n(biases), _no_bias(a)),
        Step("trainable", f"{weights} + {biases}", n(weights + biases)),
    )
    return Section(self.param_rule, steps, Counts(trainable=weights + biases))


def _no_bias(a) -> str:
    return "" if a["bias"] else "bias=false"


def _connections(self, a, s: _Sizes, x: Shape) -> Section:
    b = 1 if a["bias"] else 0
    queries, keys = (s.d + b) * s.length * 2 * s.d, (s.dm + b) * s.keys * 2 * s.kv
    products = 4 * s.length * s.keys * s.d
    softmax = a["heads"] * s.length * s.keys * s.keys
    total = s.batch * (queries + keys + products + softmax)
    steps = (
        Step("projections", _projections(s, b), n(queries + keys), "(in + bias) per unit"),
        Step("QKᵀ and AV", times(4, s.length, s.keys, s.d), n(products), "2k per product unit"),
        Step("softmax", times(a["heads"], s.length, s.keys, s.keys), n(softmax), "S per score"),
        Step("connections", _sum(x, queries + keys, products, softmax), n(total)),
    )
    return Section(self.connection_rule, steps, total)


def _projections(s: _Sizes, b: int) -> str:
    """`(D + 1)·L·2D + (Dm + 1)·S·2Dkv` with the numbers put in."""
    return f"{times(s.d + b, s.length, 2 * s.d)} + {times(s.dm + b, s.keys, 2 * s.kv)}"


def _macs(self, a, s: _Sizes, x: Shape) -> Section:
    projections = s.length * s.d * 2 * s.d + s.keys * s.dm * 2 * s.kv
    products = 2 * s.length * s.keys * s.d
    macs = s.batch * (projections + products)
    shown = f"{times(s.length, s.d)}{DOT}2{DOT}{s.d} + {times(s.keys, s.dm)}{DOT}2{DOT}{s.kv}"
    steps = (
        Step("projections", shown, n(projections)),
        Step("QKᵀ and AV", times(2, s.length, s.keys, s.d), n(products), "heads·L·S·width each"),
        Step("multiply-adds", _sum(x, projections, products), n(macs)),
    )
    return Section(self.macs_rule, steps, macs)


def _flops(self, a, s: _Sizes, x: Shape) -> Section:
    macs = s.batch * (s.length * s.d * 2 * s.d + s.keys * s.dm * 2 * s.kv)
    macs += s.batch * 2 * s.length * s.keys * s.d
    units = f"{s.length}{DOT}2{DOT}{s.d} + {s.keys}{DOT}2{DOT}{s.kv}"
    units = f"({units})" if batch_prefix(x) else units
    bias = s.batch * (s.length * 2 * s.d + s.keys * 2 * s.kv) if a["bias"] else 0
    scores = s.batch * 4 * a["heads"] * s.length * s.keys
    steps = (
        Step("2 per multiply-add", times(2, macs), n(2 * macs)),
        Step("bias adds", _per_batch(x, units) if bias else "", n(bias), _no_bias(a)),
        Step("scale and softmax", _per_batch(x, 4, a["heads"], s.length, s.keys), n(scores)),
        Step("FLOPs", f"{2 * macs} + {bias} + {scores}", n(2 * macs + bias + scores)),
    )
    return Section(self.flops_rule, steps, 2 * macs + bias + scores)


def _sum(x: Shape, *parts: int) -> str:
    """`a + b`, or `2·(a + b)` for a concrete batch of 2."""
    text = " + ".join(map(str, parts))
    return f"{batch_prefix(x)}({text})" if batch_prefix(x) else text


def _per_batch(x: Shape, *factors: object) -> str:
    """The factors as a product, the batch first where it is a number above 1."""
    return batch_prefix(x) + times(*factors)
