"""How other tools count an op: the rules ops declare as `torchinfo` and `fvcore`.

Each op says what torchinfo 1.8 ("Mult-Adds") and fvcore 0.1.5 (FlopCountAnalysis in
eval mode) report for the PyTorch module netspec lowers it to, as class attributes of
type base.ToolRule (`torchinfo = PARAMS_PER_SAMPLE`). docs/costs.md lists the tools'
sources, file and line; tests/data/conventions.json and tests/test_conventions.py hold
the measurements the rules are tested against. This module holds the rules many ops
share; a rule only one op uses lives with that op (DENSE_RUN in ops/conv.py).

Assumes a layer's figures: an object with the fields base.Figures lists, as
netspec.analysis.LayerFigures has them (ops do not import the analysis). Guarantees a
rule's figure for the layer (None where the tool would count a module netspec cannot
predict, so that a total needing it is incomplete, never short) and the text `netspec
explain --convention` shows for it, with the layer's numbers put in. Nothing defaults:
an op without a rule makes base.declared raise, naming the op.
"""

from __future__ import annotations

from math import prod

from netspec.ops.base import Figures, ToolRule
from netspec.values import Shape


def batch(layer: Figures) -> int:
    """The concrete batch size, or 1 where it is symbolic."""
    n = layer.output_shape[0]
    return n if isinstance(n, int) else 1


def known(shape: Shape) -> int:
    """The product of the concrete dims of `shape`."""
    return prod(d for d in shape if isinstance(d, int))


def dims(shape: Shape) -> str:
    """`6·28·28`: the concrete dims as a product, `1` when there are none."""
    return "·".join(str(d) for d in shape if isinstance(d, int)) or "1"


def _params_per_position(layer: Figures) -> int:
    # torchinfo (layer_info.py, calculate_macs): for a module whose class name contains
    # "Conv", parameters x output_size[:1] + output_size[2:] -- the output's positions,
    # also for a transposed convolution, and the bias included.
    out = layer.output_shape
    return layer.counts.params * known(out[:1] + out[2:])


def _params_per_sample(layer: Figures) -> int:
    # torchinfo: any other module, output_size[0] x parameters (a Linear on [N, L, F]
    # counts once per batch entry, not per position); fixed parameters count too (rbf).
    return batch(layer) * layer.counts.params


# Neither tool counts the op's module: no parameters (torchinfo), no handle (fvcore).
NOT_COUNTED = ToolRule(lambda layer: 0, lambda layer: "not counted by this tool")

# fvcore: the traced convolution's or matmul's multiply-adds, which are the layer's.
MACS = ToolRule(lambda layer: layer.cost.macs, lambda layer: "the layer's multiply-adds")

# torchinfo, for modules whose class name contains "Conv" (TableConv and PartialConv too).
PARAMS_PER_POSITION = ToolRule(
    _params_per_position,
    lambda layer: (
        f"parameters x batch x output positions = {layer.counts.params}·{batch(layer)}·"
        f"{dims(layer.output_shape[2:])}"
    ),
)

# torchinfo, for every other module with parameters.
PARAMS_PER_SAMPLE = ToolRule(
    _params_per_sample,
    lambda layer: f"batch x parameters = {batch(layer)}·{layer.counts.params}",
)
