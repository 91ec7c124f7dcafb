"""Explanation of attention, multi-head self-attention with its projections
(netspec/ops/attention.py).

Assumes the op's normalised attributes (kv_heads set), its input [N, L, D] and output
shape. Guarantees an Explanation whose values are the op's own rules, computed here from
the formulas the steps show: the shapes (L, D, heads, head width D / heads), the
projections' parameters (ViT-B/16: 4·768·768 + 4·768 = 2,362,368), the multiply-adds
split into projections (4·197·768·768 = 464,781,312) and attention products
(2·197·197·768 = 59,610,624), the FLOPs, the links, and a field that becomes the whole
input. A symbolic L counts as 1 here, as the op's figures count it.
"""

from __future__ import annotations

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


def _sizes(a, x: Shape) -> tuple[int, int, int, int]:
    """(batch, L, D, Dkv), a symbolic batch or L counted as 1 (per sample)."""
    batch = x[0] if isinstance(x[0], int) else 1
    length = x[1] if isinstance(x[1], int) else 1
    return batch, length, x[2], x[2] * a["kv_heads"] // a["heads"]


def explain_attention(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    x = inputs[0]
    return Explanation(
        _shape(a, x),
        _params(self, a, x),
        _connections(self, a, x),
        _macs(self, a, x),
        _flops(self, a, x),
        reads_everything("every position attends to every position of the sequence"),
    )


def _shape(a, x: Shape) -> Section:
    d, heads = x[2], a["heads"]
    steps = (
        Step("sequence", f"L = {x[1]}, D = {d}", show_shape(x)),
        Step("heads", f"{heads} query, {a['kv_heads']} key/value", n(heads)),
        Step("head width", f"{d}/{heads}", n(d // heads), "D / heads"),
        Step("output", "the heads concatenated, projected back to D", show_shape(x)),
    )
    return Section("the output has the input's shape [N, L, D]", steps, tuple(x))


def _params(self, a, x: Shape) -> Section:
    _, _, d, kv = _sizes(a, x)
    weights, biases = 2 * d * d + 2 * d * kv, (2 * d + 2 * kv if a["bias"] else 0)
    steps = (
        Step("q and out weights", times(2, d, d), n(2 * d * d)),
        Step("k and v weights", times(2, d, kv), n(2 * d * kv), f"Dkv = {kv}"),
        Step("biases", f"2{DOT}{d} + 2{DOT}{kv}" if biases else "", n(biases), _no_bias(a)),
        Step("trainable", f"{weights} + {biases}", n(weights + biases)),
    )
    return Section(self.param_rule, steps, Counts(trainable=weights + biases))


def _no_bias(a) -> str:
    return "" if a["bias"] else "bias=false"


def _connections(self, a, x: Shape) -> Section:
    batch, length, d, kv = _sizes(a, x)
    fan_in, units = d + (1 if a["bias"] else 0), length * (2 * d + 2 * kv)
    products, softmax = 4 * length * length * d, a["heads"] * length * length * length
    total = batch * (fan_in * units + products + softmax)
    steps = (
        Step("projections", times(fan_in, units), n(fan_in * units), "(D + bias) per unit"),
        Step("QKᵀ and AV", times(4, length, length, d), n(products), "2k per product unit"),
        Step("softmax", times(a["heads"], length, length, length), n(softmax), "L per score"),
        Step("connections", _sum(x, fan_in * units, products, softmax), n(total)),
    )
    return Section(self.connection_rule, steps, total)


def _macs(self, a, x: Shape) -> Section:
    batch, length, d, kv = _sizes(a, x)
    projections, products = length * d * (2 * d + 2 * kv), 2 * length * length * d
    macs = batch * (projections + products)
    steps = (
        Step("projections", f"{times(length, d)}{DOT}(2{DOT}{d} + 2{DOT}{kv})", n(projections)),
        Step("QKᵀ and AV", times(2, length, length, d), n(products), "heads·L·L·width each"),
        Step("multiply-adds", _sum(x, projections, products), n(macs)),
    )
    return Section(self.macs_rule, steps, macs)


def _flops(self, a, x: Shape) -> Section:
    batch, length, d, kv = _sizes(a, x)
    macs = batch * (length * d * (2 * d + 2 * kv) + 2 * length * length * d)
    bias = batch * length * (2 * d + 2 * kv) if a["bias"] else 0
    scores = batch * 4 * a["heads"] * length * length
    steps = (
        Step("2 per multiply-add", times(2, macs), n(2 * macs)),
        Step(
            "bias adds",
            _per_batch(x, length, f"(2{DOT}{d} + 2{DOT}{kv})") if bias else "",
            n(bias),
            _no_bias(a),
        ),  # fmt: skip
        Step("scale and softmax", _per_batch(x, 4, a["heads"], length, length), n(scores)),
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
