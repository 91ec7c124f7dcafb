"""Embeddings: `embedding(vocab, width)`, a table of learned vectors looked up by token id.

Reads int64 token ids (`input ids: [N, L] int64`), the only op that does; gives
[..., width] float32 vectors, one row of the vocab x width table per id (PyTorch's
nn.Embedding; `padding_index` names an id whose row stays zero and gets no gradient,
still counted, as PyTorch counts it). A lookup multiplies nothing: 0 multiply-adds,
0 FLOPs. Connections: each output unit is one weight, read: one link. Receptive field:
per position (a token's vector depends on that token only).

Assumes arguments elaboration bound and type-checked against `params`. Guarantees every
rule of base.Op, and the facts declared with it: its explanation
(netspec/ops/explain/embedding.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops.base import (
    POINTWISE,
    Attrs,
    Cost,
    Counts,
    Op,
    OpError,
    Param,
    lazy,
    register,
)
from netspec.ops.counting import NOT_COUNTED, PARAMS_PER_SAMPLE
from netspec.values import Shape, numel


@register
class Embedding(Op):
    name = "embedding"
    params = (
        Param("vocab", "int", minimum=1, doc="how many token ids (rows of the table)"),
        Param("width", "int", minimum=1, doc="the vector of each id"),
        Param("padding_index", "int", None, doc="an id whose vector stays zero"),
    )
    reads_dtypes = ("int64",)
    min_rank = 1
    summary = "learned vector per token id: int64 ids [..] -> [.., width] (nn.Embedding)"
    param_rule = "vocab x width weights"
    connection_rule = "1 link per output unit (the weight it reads)"
    flops_rule = "0 (a lookup)"
    explain = lazy("embedding", "explain_embedding")
    family = "linear"
    # torchinfo 1.8: a module with a weight and no kernel counts N x parameters (as for
    # nn.Linear); fvcore 0.1.5 has no handle for aten::embedding
    torchinfo, fvcore = PARAMS_PER_SAMPLE, NOT_COUNTED

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        pad = a["padding_index"]
        if pad is not None and not -a["vocab"] <= pad < a["vocab"]:
            raise OpError(
                "E-value",
                f"padding_index {pad} is no id of a vocabulary of {a['vocab']}",
                f"ids are 0 to {a['vocab'] - 1} (or -1 for the last)",
                "padding_index",
            )
        return a

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return (*inputs[0], a["width"])

    def counts(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Counts:
        return Counts(trainable=a["vocab"] * a["width"])

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return numel(out)

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        return Cost(0, 0)

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return POINTWISE

    def weight(self, a: Attrs, inputs: tuple[Shape, ...]) -> tuple[int, int]:
        return (a["vocab"], a["width"])

    def describe(self, a: Attrs) -> str:
        pad = f" pad {a['padding_index']}" if a["padding_index"] is not None else ""
        return f"embedding {a['vocab']} x {a['width']}{pad}"
