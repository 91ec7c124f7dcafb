"""The parts of attention written by hand, and positions: scale, causal_mask,
learned_positions and sinusoidal.

`scale(factor)` multiplies every element by a constant (attention's 1/sqrt(width));
`causal_mask` sets the scores of a key after its query to -inf, on the last two axes
[..., L, S] (key j > query i), so that a softmax after it gives them weight 0; with
`matmul`, `softmax(dim=-1)`, `transpose` and `reshape`, a hand-written attention has the
figures of the `attention` op (tests/test_sequence_ops.py). `sinusoidal(max_length)`
adds Vaswani et al.'s fixed position table to a sequence [N, L, D]:
PE[p, 2i] = sin(p / base^(2i/D)), PE[p, 2i+1] = cos(p / base^(2i/D)) ("Attention Is All
You Need", 2017, §3.5), held as a buffer [max_length, D] of which the first L rows are
added (PyTorch's tutorial PositionalEncoding(d_model, max_len)). `learned_positions
(max_length)` adds the first L rows of a learned [max_length, D] table instead (GPT-2's
and BERT's position embeddings, nn.Embedding(max_length, D) read at 0 .. L - 1): its
L may be the input's named length, so one model takes every length up to max_length.

Figures: learned_positions max_length x D trainable parameters, sinusoidal's table a
max_length x D buffer, the others nothing. FLOPs: scale 1 per element
(a multiply, as attention counts it), causal_mask 0 (a select, as attention's mask
counts nothing), the position tables 1 per element (the add). Positions are kept (POINTWISE):
causal_mask acts on scores, not on positions of the input.

Assumes arguments elaboration bound and type-checked against `params`. Guarantees every
rule of base.Op for each op, and the facts declared with it: explanation, diagram
`family`, `torchinfo` and `fvcore` (torchinfo counts learned_positions' parameters, N x
the table, as for any leaf module with a weight; nothing else: fvcore has no handle for
mul by a scalar, masked_fill, index or add).
"""

from __future__ import annotations

from netspec.ops.base import (
    MAGNITUDE,
    POSITIVE,
    Attrs,
    Counts,
    OpError,
    Param,
    lazy,
    per_element,
    register,
)
from netspec.ops.counting import NOT_COUNTED, PARAMS_PER_SAMPLE
from netspec.ops.elementwise import Elementwise
from netspec.values import Shape, show_shape


class _Sequence(Elementwise):
    family = "other"
    torchinfo = fvcore = NOT_COUNTED


@register
class Scale(_Sequence):
    name = "scale"
    params = (Param("factor", "float", doc="the constant multiplied in", interval=MAGNITUDE),)
    summary = "multiplies by a constant: attention's scores by 1/sqrt(width)"
    explain = lazy("sequence", "explain_scale")

    def describe(self, a: Attrs) -> str:
        return f"scale {a['factor']:g}"


@register
class CausalMask(_Sequence):
    name = "causal_mask"
    params = ()
    min_rank = 2
    summary = "scores [..., L, S] of a key after its query (j > i) set to -inf"
    cost = per_element(0)
    flops_rule = "0 (a select, as attention's mask)"
    explain = lazy("sequence", "explain_causal_mask")

    def describe(self, a: Attrs) -> str:
        return "causal mask"


class _Positions(_Sequence):
    """A table of max_length rows, one per position, whose first L rows are added to a
    sequence [N, L, D]."""

    min_rank = max_rank = 3
    flops_rule = "1 per element (the add)"

    def rank_help(self) -> str:
        return f"{self.name} adds positions to a sequence [N, L, D]"

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        _, length, d = inputs[0]
        self.check_width(d, inputs[0])
        if isinstance(length, int) and length > a["max_length"]:
            raise OpError(
                "E-shape",
                f"the sequence has {length} positions and the table {a['max_length']}",
                f"raise max_length to at least {length}",
                "max_length",
            )
        return a

    def check_width(self, d, x: Shape) -> None:
        if not isinstance(d, int):
            raise OpError(
                "E-shape",
                f"{self.name} needs a concrete width D, got {show_shape(x)}",
                "the table has a row of D numbers per position: give D as a number",
            )


@register
class LearnedPositions(_Positions):
    name = "learned_positions"
    params = (Param("max_length", "int", minimum=1, doc="rows of the table (positions)"),)
    summary = "adds a learned position table's first L rows to [N, L, D] (GPT-2's wpe)"
    param_rule = "max_length x D trainable (a row per position)"
    explain = lazy("sequence", "explain_learned_positions")
    torchinfo = PARAMS_PER_SAMPLE  # a leaf module with a `weight`: N x its parameters

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=a["max_length"] * inputs[0][-1])

    def describe(self, a: Attrs) -> str:
        return f"learned positions {a['max_length']}"


@register
class Sinusoidal(_Positions):
    name = "sinusoidal"
    params = (
        Param("max_length", "int", minimum=1, doc="rows of the fixed table (positions)"),
        Param("base", "float", 10000.0, doc="the wavelengths' base", interval=POSITIVE),
    )
    summary = "adds the fixed sin/cos position table to [N, L, D] (a max_length x D buffer)"
    param_rule = "no parameters; a max_length x D buffer (the table)"
    explain = lazy("sequence", "explain_sinusoidal")

    def check_width(self, d, x: Shape) -> None:
        if not isinstance(d, int) or d % 2:
            raise OpError(
                "E-shape",
                f"sinusoidal needs an even, concrete width D, got {show_shape(x)}",
                "the table pairs a sine and a cosine per frequency: give D as an even number",
            )

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(buffers=a["max_length"] * inputs[0][-1])

    def describe(self, a: Attrs) -> str:
        return f"sinusoidal positions {a['max_length']}"
