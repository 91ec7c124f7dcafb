"""Multi-head attention as one op: attention, PyTorch's nn.MultiheadAttention
(batch_first=True) on a sequence [N, L, D], its projections included: self-attention,
or cross-attention with `memory=enc` naming a sequence [N, S, Dm] (kdim = vdim = Dm).

The stream's D features are projected to queries (D), the keys' sequence (the memory,
else the stream itself: S = L, Dm = D) to keys and values (Dkv = D x kv_heads / heads
each: grouped-query attention when kv_heads < heads), split into heads of width
D / heads, each head's scaled dot-product attention softmax(QKᵀ / sqrt(width)) V taken
over the S key positions (position i reads positions <= i only with causal=true, which
a memory refuses; `padding=pad`, a bool [N, S], hides the keys marked true, PyTorch's
key_padding_mask), the heads concatenated and projected back to D. The output has the
stream's shape.

Figures (per sample where N is symbolic, as numel counts; a symbolic L or S is a
formula): parameters D·D for the q and out projections, Dm·Dkv for k and v, plus their
biases: 4·D² + 4·D for self-attention with kv_heads = heads (ViT-B/16's 2,362,368 at
D = 768). Multiply-adds: the projections L·D·2D + S·Dm·2Dkv, and the two products QKᵀ
and AV, heads·L·S·width each, 2·L·S·D together; the dense products are counted with
causal=true or a padding mask too, as both backends compute them (masked after: the
masks add a select per score, no multiply-add and no FLOP). FLOPs: 2 per multiply-add,
a bias add per projected element, and 4 per element of the heads x L x S scores: the
1/sqrt(width) scale and softmax's 3 (exp, sum, divide, as the softmax op counts).
Connections, as the same network written with linear, matmul and softmax counts them:
(D + 1 bias link) per q and out unit, (Dm + 1) per k and v unit, 2·width per score and
2·S per attended value (matmul's 2k), and S per softmax output (the softmax op's links
along its axis); a mask links nothing. Receptive field: every position reads every
position, so the field becomes the whole input (GLOBAL; causal attention's last
position reads them all too).

Counting tools: torchinfo sums its leaf modules, the four nn.Linear, each batch x its
parameters (PARAMS_PER_SAMPLE); fvcore counts the four projections by its linear handle
(input elements x out features) and the two products, which the runtime's SelfAttention
writes as torch.matmul, by its matmul handle (prod(first input) x n): the layer's
multiply-adds (MACS; read from fvcore 0.1.5's handles, not measured: no fvcore here).

Assumes arguments elaboration bound and type-checked against `params`, a given tensor
argument passed as an extra input after the stream (memory first) and left out of the
attributes, an omitted one None (kv_heads None: as many as heads). Guarantees every
rule of base.Op, and the facts declared with it: its explanation
(netspec/ops/explain/attention.py), diagram `family`, `torchinfo` and `fvcore`;
normalised attributes with kv_heads set and memory and padding as booleans; E-value
naming heads and D (or kv_heads and heads) where one does not divide; E-shape at
`memory` (not [N, S, Dm] of the stream's batch) and at `padding` (not [N, S]); E-arg at
`causal` with a memory.
"""

from __future__ import annotations

from math import isqrt
from typing import NamedTuple

from netspec.ops.base import (
    GLOBAL,
    Attrs,
    Cost,
    Counts,
    Interval,
    Op,
    OpError,
    Param,
    lazy,
    register,
)
from netspec.ops.counting import MACS, PARAMS_PER_SAMPLE
from netspec.values import Shape, show_shape

_BELOW_ONE = Interval(0, 1, open_high=True)


class Sizes(NamedTuple):
    """One attention layer's sizes: batch, the stream's L and D, the keys' S and Dm (the
    memory's, or L and D again), Dkv; a symbolic batch, L or S that is no formula counts
    as 1 (figures per sample, as numel counts them)."""

    n: int
    length: int
    d: int
    keys: int
    dm: int
    kv: int


def given(a: Attrs, name: str) -> bool:
    """Whether the tensor argument `name` (memory, padding) was given: elaboration passes
    it as an extra input and leaves it out of the attributes (None when omitted);
    normalize records True or False."""
    return a.get(name, True) not in (None, False)


def memory_of(a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
    """The sequence keys and values come from: the memory [N, S, Dm], else the stream."""
    return inputs[1] if given(a, "memory") else inputs[0]


def sizes(a: Attrs, inputs: tuple[Shape, ...]) -> Sizes:
    (n, length, d), (_, keys, dm) = inputs[0], memory_of(a, inputs)
    count = [v if isinstance(v, int) else 1 for v in (n, length, keys)]
    return Sizes(count[0], count[1], d, count[2], dm, d * a["kv_heads"] // a["heads"])


def projected(a: Attrs, inputs: tuple[Shape, ...]) -> int:
    """Units the four projections write per sample: L x 2D (q, out) + S x 2Dkv (k, v)."""
    s = sizes(a, inputs)
    return s.length * 2 * s.d + s.keys * 2 * s.kv


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
        Param("memory", "tensor", None, doc="cross-attention: keys and values from [N, S, Dm]"),
        Param("padding", "tensor", None, doc="key padding mask [N, S] bool: true = ignored"),
    )
    arg_dtypes = {"padding": "bool"}
    min_rank = max_rank = 3
    summary = (
        "multi-head scaled dot-product attention on [N, L, D] with its q, k, v and out "
        "projections (nn.MultiheadAttention, batch_first): self-attention, or cross-attention "
        "to memory=[N, S, Dm]; padding=[N, S] bool masks keys out"
    )
    param_rule = "q and out: D x D each, k and v: Dm x Dkv each (Dkv = D x kv_heads / heads;"
    param_rule += " Dm = D without memory), + a bias per output of each"
    connection_rule = (
        "(D + 1 bias link) per q and out unit, (Dm + 1) per k and v unit, 2 x width per "
        "score, S per softmax output, 2S per attended value (S = L without memory)"
    )
    macs_rule = (
        "projections L x D x 2D + S x Dm x 2Dkv + QKᵀ and AV 2 x L x S x D (dense, causal "
        "or padded: masks cost no multiply-add)"
    )
    flops_rule = (
        "2 x macs + a bias add per projected unit + 4 per score (scale, softmax's 3); "
        "the causal and padding masks add none (a select per score, no arithmetic)"
    )
    explain = lazy("attention", "explain_attention")
    family = "linear"
    torchinfo, fvcore = PARAMS_PER_SAMPLE, MACS

    def rank_help(self) -> str:
        return "attention takes a sequence [N, L, D]; reshape a map with flatten(2) transpose(1, 2)"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs[:1])
        flags = {name: given(a, name) for name in ("memory", "padding")}
        a = {**a, **flags, "kv_heads": a["kv_heads"] or a["heads"]}
        extra = iter(inputs[1:])
        memory = next(extra) if flags["memory"] else None
        padding = next(extra) if flags["padding"] else None
        _check_heads(a, inputs[0])
        if memory is not None:
            _check_memory(a, inputs[0], memory)
        if padding is not None:
            _check_padding(inputs[0], memory or inputs[0], padding)
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return inputs[0]

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        s = sizes(a, inputs)
        biases = 2 * s.d + 2 * s.kv if a["bias"] else 0
        return Counts(trainable=2 * s.d * s.d + 2 * s.dm * s.kv + biases)

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        s = sizes(a, inputs)
        projections = s.length * s.d * 2 * s.d + s.keys * s.dm * 2 * s.kv
        macs = s.n * (projections + 2 * s.length * s.keys * s.d)
        bias_adds = projected(a, inputs) if a["bias"] else 0
        return Cost(macs, 2 * macs + s.n * (bias_adds + 4 * a["heads"] * s.length * s.keys))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        s, b = sizes(a, inputs), (1 if a["bias"] else 0)
        links = (s.d + b) * s.length * 2 * s.d + (s.dm + b) * s.keys * 2 * s.kv
        scores = a["heads"] * s.length * s.keys
        return s.n * (links + 4 * s.length * s.keys * s.d + scores * s.keys)

    def internal(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        # q, k, v and the heads' context (the out projection's input), and the attention
        # weights, heads x L x S, as the written-out products keep them (again as the
        # dropped weights with dropout); fused kernels keep O(L) per head instead
        s = sizes(a, inputs)
        weights = a["heads"] * s.length * s.keys * (2 if a["dropout"] else 1)
        return projected(a, inputs) * s.n + s.n * weights

    def cache(self, a: Attrs, inputs: tuple[Shape, ...], context: int) -> int:
        s = sizes(a, inputs)  # keys and values of every position, for each sample
        return s.n * 2 * context * s.kv if a["causal"] else 0

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL  # each position reads the whole sequence (the last one, if causal)

    def describe(self, a: Attrs) -> str:
        text = f"attention {a['heads']} heads"
        text += " causal" if a["causal"] else ""
        text += " cross" if a.get("memory") else ""
        text += " padded" if a.get("padding") else ""
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


def _check_memory(a: Attrs, x: Shape, memory: Shape) -> None:
    """memory [N, S, Dm]: rank 3, the stream's batch, a concrete Dm; no causal mask (a
    query position says nothing of the memory's positions). E-shape or E-arg at it."""
    if len(memory) != 3 or memory[0] != x[0] or not isinstance(memory[2], int):
        raise OpError(
            "E-shape",
            f"memory {show_shape(memory)} does not fit the stream {show_shape(x)}",
            f"the memory is a sequence [{x[0]}, S, Dm] of the stream's batch, Dm a number",
            "memory",
        )
    if a["causal"]:
        raise OpError(
            "E-arg",
            "causal=true with memory: a query's position orders no memory position",
            "cross-attention reads the whole memory: drop causal=true (a decoder's own "
            "self-attention is the causal one); hide memory positions with padding=mask",
            "causal",
        )


def _check_padding(x: Shape, keys: Shape, padding: Shape) -> None:
    """padding [N, S]: one flag per key position of each sample, E-shape at it."""
    if tuple(padding) != (x[0], keys[1]):
        source = "the memory" if keys is not x else "the stream"
        raise OpError(
            "E-shape",
            f"padding {show_shape(padding)} does not fit the keys: {source} is "
            f"{show_shape(keys)}, so the mask is [{x[0]}, {keys[1]}]",
            f"one bool per key position: input pad: [{x[0]}, {keys[1]}] bool, "
            "true where the position is padding",
            "padding",
        )
