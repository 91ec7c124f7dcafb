"""Counting conventions: which operations a cost figure counts, by name.

Model-summary tools disagree because each picks its own convention silently. netspec
names the one it prints and can reproduce the others':

- `macs` (default): multiply-adds of convolutions, transposed convolutions, linear
  layers and matrix products (attention's QKᵀ and AV), bias excluded, batch 1 unless
  the input fixes it: torchvision's "GFLOPS".
- `flops`: every floating-point operation, each op's formula in docs/costs.md.
- `torchinfo`: torchinfo 1.8's "Mult-Adds" (module parameters times output positions).
- `fvcore`: fvcore 0.1.5's FlopCountAnalysis of the model in eval mode (multiply-adds
  of its traced convolutions and matmuls plus the few other ops it has handles for).

A convention gives every layer a figure or None ("no formula": the other tool would
see a module netspec cannot predict, such as LeNet-5's custom layers). A total is
complete only when no layer is None; reports say so rather than summing silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from netspec.analysis.compat import FVCORE, TORCHINFO
from netspec.analysis.counts import Analysis, LayerFigures


class Convention(NamedTuple):
    name: str
    title: str  # the column heading and the unit: "multiply-adds"
    definition: str
    layer_cost: Callable[[LayerFigures], int | None]
    table: dict | None = None  # the per-op rules of another tool (compat.py)


def _macs(layer: LayerFigures) -> int:
    return layer.cost.macs


def _flops(layer: LayerFigures) -> int:
    return layer.cost.flops


def _compat(table: dict) -> Callable[[LayerFigures], int | None]:
    def cost(layer: LayerFigures) -> int | None:
        rule = table.get(layer.op)
        return None if rule is None else rule(layer)

    return cost


CONVENTIONS = {
    c.name: c
    for c in (
        Convention(
            "macs",
            "multiply-adds",
            "multiply-adds of conv, transposed conv, linear and matmul layers, bias "
            "excluded (torchvision's GFLOPS)",
            _macs,
        ),
        Convention(
            "flops",
            "FLOPs",
            "floating-point operations of every layer: 2 per multiply-add, bias adds, "
            "normalisation, activations, pooling, merges (docs/costs.md)",
            _flops,
        ),
        Convention(
            "torchinfo",
            "torchinfo Mult-Adds",
            "torchinfo 1.8 'Mult-Adds': conv (weights + bias) x output positions; other "
            "modules with parameters: batch x parameters",
            _compat(TORCHINFO),
            TORCHINFO,
        ),
        Convention(
            "fvcore",
            "fvcore flops",
            "fvcore 0.1.5 FlopCountAnalysis in eval mode: conv and matmul multiply-adds, "
            "batch norm, adaptive pooling and interpolation by its handles",
            _compat(FVCORE),
            FVCORE,
        ),
    )
}


class ConventionTotal(NamedTuple):
    convention: Convention
    per_layer: tuple[int | None, ...]
    total: int  # sum over the layers that have a figure
    uncounted: tuple[str, ...]  # paths of layers without a formula

    @property
    def complete(self) -> bool:
        return not self.uncounted


def costs(analysis: Analysis, name: str = "macs") -> ConventionTotal:
    """Every layer's figure under the convention `name`, and the total."""
    convention = CONVENTIONS[name]
    per_layer = tuple(convention.layer_cost(layer) for layer in analysis.layers)
    uncounted = tuple(
        layer.path for layer, c in zip(analysis.layers, per_layer, strict=True) if c is None
    )
    return ConventionTotal(convention, per_layer, sum(c or 0 for c in per_layer), uncounted)
