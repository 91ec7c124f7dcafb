"""Explanation of the embedding lookup (netspec/ops/embedding.py).

Assumes the op's normalised attributes, its input shape (the token ids) and its output
shape. Guarantees an Explanation whose values are the op's own rules: vocab x width
weights, one link per output unit, no multiply-adds and no FLOPs (a lookup).
"""

from __future__ import annotations

from netspec.ops.base import Counts
from netspec.ops.explain.steps import (
    Explanation,
    Section,
    Step,
    dims_product,
    keeps_positions,
    n,
    no_macs,
    per_element_flops,
    times,
)
from netspec.values import Shape, numel, show_shape


def explain_embedding(self, a, inputs: tuple[Shape, ...], out: Shape) -> Explanation:
    ids, vocab, width = inputs[0], a["vocab"], a["width"]
    pad = a["padding_index"]
    return Explanation(
        Section(
            "each token id becomes its row of the table: a width axis is added",
            (Step("ids", show_shape(ids), ""), Step("output", f"+ [{width}]", show_shape(out))),
            tuple(out),
        ),
        Section(
            self.param_rule,
            (
                Step(
                    "weights",
                    times(vocab, width),
                    n(vocab * width),
                    f"row {pad} stays zero, counted as PyTorch counts it"
                    if pad is not None
                    else "",
                ),
            ),
            Counts(trainable=vocab * width),
        ),
        Section(
            self.connection_rule,
            (Step("connections", dims_product(out), n(numel(out)), "each unit is one weight"),),
            numel(out),
        ),
        no_macs(self),
        per_element_flops(self, 0, out, "looked-up elements"),
        keeps_positions("a token's vector depends on that token only"),
    )
