"""Multi-head self-attention as one op: attention, PyTorch's nn.MultiheadAttention
(batch_first=True) on a sequence [N, L, D], its projections included.

The sequence's D features are projected to queries (D), keys and values (Dkv = D x
kv_heads / heads each: grouped-query attention when kv_heads < heads), split into heads
of width D / heads, each head's scaled dot-product attention softmax(QKᵀ / sqrt(width)) V
taken over the L positions (position i reads positions <= i only with causal=true), the
heads concatenated and projected back to D. The output has the input's shape.

Figures (per sample where N is symbolic, as numel counts; a symbolic L is a formula):
parameters D·D for the q and out projections, D·Dkv for k and v, plus their biases:
4·D² + 4·D with kv_heads = heads (ViT-B/16's 2,362,368 at D = 768). Multiply-adds:
the projections L·D·(2D + 2Dkv), and the two products QKᵀ and AV, heads·L·L·width
each, 2·L²·D together; the dense products are counted with causal=true too, as both
backends compute them (masked after). FLOPs: 2 per multiply-add, a bias add per
projected element, and 4 per element of the heads x L x L scores: the 1/sqrt(width)
scale and softmax's 3 (exp, sum, divide, as the softmax op counts). Connections, as the
same network written with linear, matmul and softmax counts them: (D + 1 bias link)
per projected unit, 2·width per score and 2·L per attended value (matmul's 2k), and L
per softmax output (the softmax op's links along its axis). Receptive field: every
position reads every position, so the field becomes the whole input (GLOBAL; causal
attention's last position reads them all too).

Counting tools: torchinfo sums its leaf modules, the four nn.Linear, each batch x its
parameters (PARAMS_PER_SAMPLE); fvcore counts the four projections by its linear handle
(input elements x out features) and the two products, which the runtime's SelfAttention
writes as torch.matmul, by its matmul handle (prod(first input) x n): the layer's
multiply-adds (MACS; read from fvcore 0.1.5's handles, not measured: no fvcore here).

Assumes arguments elaboration bound and type-checked against `params` (kv_heads None:
as many as heads). Guarantees every rule of base.Op, and the facts declared with it:
its explanation (netspec/ops/explain/attention.py), diagram `family`, `torchinfo` and
`fvcore`; E-value naming heads and D (or kv_heads and heads) where one does not divide.
"""

from __future__ import annotations

from math import isqrt

from netspec.ops.base import (
    GLOBAL,
    Attrs,
    Cost,
    Counts,
    Interval,
    Op,
    OpError,
    Param,
    register,
)
from netspec.ops.counting import MACS, PARAMS_PER_SAMPLE
from netspec.ops.explain.attention import explain_attention
from netspec.values import Shape, show_shape

_BELOW_ONE = Interval(0, 1, open_high=True)


def sizes(a: Attrs, x: Shape) -> tuple[int, int, int, int]:
    """(batch, L, D, Dkv) of the input [N, L, D]: a symbolic batch or a named L that is
    no formula counts as 1 (figures per sample, as numel counts them)."""
    n, length, d = x
    n = n if isinstance(n, int) else 1
    length = length if isinstance(length, int) else 1
    return n, length, d, d * a["kv_heads"] // a["heads"]


def projected(a: Attrs, x: Shape) -> int:
    """Units the four projections write per sample: L x (2D + 2Dkv)."""
    _, length, d, kv = sizes(a, x)
    return length * (2 * d + 2 * kv)


def divisors(n: int) -> str:
    """`1, 2, 3, 4, 6, 12`: found up to sqrt(n), so a huge D costs no more than a small one."""
    small = [k for k in range(1, isqrt(n) + 1) if n % k == 0]
    return ", ".join(map(str, sorted({*small, *(n // k for k in small)})))


@register
class Attention(Op):
    name = "attention"
    params = (
        Param("heads", "int", minimum=1, doc="attention heads; D must divide by it"),
        Param("bias", "bool", True),
        Param("causal", "bool", False),
        Param("kv_heads", "int", None, minimum=1, doc="key/value heads (default: heads)"),
        Param("dropout", "float", 0.0, doc="on the attention weights", interval=_BELOW_ONE),
    )
    min_rank = max_rank = 3
    summary = (
        "multi-head scaled dot-product self-attention on [N, L, D] with its q, k, v and "
        "out projections (nn.MultiheadAttention, batch_first)"
    )
    param_rule = "q and out: D x D each, k and v: D x Dkv each (Dkv = D x kv_heads / heads)"
    param_rule += ", + a bias per output of each"
    connection_rule = (
        "(D + 1 bias link) per projected unit, 2 x width per score, L per softmax output, "
        "2L per attended value"
    )
    macs_rule = "projections L x D x (2D + 2Dkv) + QKᵀ and AV 2 x L² x D (dense, causal or not)"
    flops_rule = "2 x macs + a bias add per projected unit + 4 per score (scale, softmax's 3)"
    explain = explain_attention
    family = "linear"
    torchinfo, fvcore = PARAMS_PER_SAMPLE, MACS

    def rank_help(self) -> str:
        return "attention takes a sequence [N, L, D]; reshape a map with flatten(2) transpose(1, 2)"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        a = {**a, "kv_heads": a["kv_heads"] or a["heads"]}
        _check_heads(a, inputs[0])
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return inputs[0]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        _, _, d, kv = sizes(a, inputs[0])
        biases = 2 * d + 2 * kv if a["bias"] else 0
        return Counts(trainable=2 * d * d + 2 * d * kv + biases)

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        n, length, d, _ = sizes(a, inputs[0])
        units = projected(a, inputs[0])
        macs = n * (units * d + 2 * length * length * d)
        bias_adds = units if a["bias"] else 0
        return Cost(macs, 2 * macs + n * (bias_adds + 4 * a["heads"] * length * length))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        n, length, d, _ = sizes(a, inputs[0])
        fan_in = d + (1 if a["bias"] else 0)
        scores = a["heads"] * length * length
        return n * (fan_in * projected(a, inputs[0]) + 4 * length * length * d + scores * length)

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL  # each position reads the whole sequence (the last one, if causal)

    def describe(self, a: Attrs) -> str:
        text = f"attention {a['heads']} heads"
        text += " causal" if a["causal"] else ""
        text += f" kv {a['kv_heads']}" if a["kv_heads"] != a["heads"] else ""
        return text + ("" if a["bias"] else " no bias")


def _check_heads(a: Attrs, x: Shape) -> None:
    """D concrete and divisible by heads, heads by kv_heads: E-value naming both numbers."""
    d, heads, kv = x[-1], a["heads"], a["kv_heads"]
    if not isinstance(d, int):
        raise OpError(
            "E-shape",
            f"attention needs a concrete feature size D, got {show_shape(x)}",
            "the last dimension must be a number: [N, L, 768]",
        )
    if d % heads:
        raise OpError(
            "E-value",
            f"heads {heads} does not divide the feature size {d}",
            f"choose heads among the divisors of {d}: {divisors(d)}",
            "heads",
        )
    if heads % kv:
        raise OpError(
            "E-value",
            f"kv_heads {kv} does not divide heads {heads}",
            f"choose kv_heads among the divisors of {heads}: {divisors(heads)}",
            "kv_heads",
        )
