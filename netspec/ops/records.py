"""The small records ops exchange with the rest of netspec: a parameter's declaration
(Param, its Interval), the figures a rule returns (Counts, Cost, a receptive-field
Window or one of POINTWISE, GLOBAL, UNEVEN), what another counting tool reports
(ToolRule), and the errors and warnings an op raises (OpError, OpWarning).

Assumes nothing but netspec.values. Guarantees immutable records (NamedTuples); the Op
class and its registry are netspec/ops/base.py, which re-exports these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, NamedTuple, Protocol

from netspec.values import Shape

REQUIRED = object()


class OpError(Exception):
    """A problem with an op's arguments or inputs; `arg` names the argument to point at."""

    def __init__(self, code: str, message: str, help: str = "", arg: str | None = None):
        super().__init__(message)
        self.code, self.message, self.help, self.arg = code, message, help, arg


class OpWarning(NamedTuple):
    code: str
    message: str
    help: str = ""
    arg: str | None = None


class Interval(NamedTuple):
    """The values a float parameter accepts: low to high, each end closed or open."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, int | float) or math.isnan(x):
            return False
        above = self.low < x if self.open_low else self.low <= x
        return above and (x < self.high if self.open_high else x <= self.high)

    def __str__(self) -> str:
        """`[0, 1)`, `(0, 1]`, `[-1e6, 1e6]`: a bracket for a closed end, a parenthesis
        for an open one."""
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"{left}{_short(self.low)}, {_short(self.high)}{right}"


def _short(x: float) -> str:
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


# Factors and exponents stay within 1e6: finite, and no float32 overflow on sane inputs.
MAGNITUDE = Interval(-1e6, 1e6)
NON_NEGATIVE = Interval(0.0, 1e6)
POSITIVE = Interval(0.0, 1e6, open_low=True)


class Param(NamedTuple):
    """One parameter of an op: its name, kind of value, default and limits (`minimum` for
    ints, `interval` for floats: every float parameter declares one)."""

    name: str
    kind: str  # int float bool str ints padding table tensor layer size dims
    default: Any = REQUIRED
    choices: tuple = ()
    minimum: int | None = None
    doc: str = ""
    interval: Interval | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class Counts(NamedTuple):
    """Parameter elements of one layer: trainable, fixed (saved, not trained), buffers."""

    trainable: int = 0
    fixed: int = 0
    buffers: int = 0

    @property
    def params(self) -> int:
        return self.trainable + self.fixed

    @staticmethod
    def total(counts: Iterable[Counts]) -> Counts:
        trainable = fixed = buffers = 0
        for c in counts:
            trainable, fixed, buffers = (
                trainable + c.trainable,
                fixed + c.fixed,
                buffers + c.buffers,
            )
        return Counts(trainable, fixed, buffers)


class Cost(NamedTuple):
    """The work of one layer for its whole output (batch included when concrete).

    `macs`: multiply-adds of inputs with weights (convolution, transposed convolution,
    linear), bias excluded: the figure torchvision publishes as GFLOPS. `flops`: every
    floating-point operation under netspec's `flops` convention (docs/costs.md), 2 per
    multiply-add plus bias adds, normalisation, activations, pooling and merges.
    """

    macs: int = 0
    flops: int = 0


class Window(NamedTuple):
    """How a layer slides over one spatial axis, in units of its input positions.

    Output position y reads inputs [y stride - padding, y stride - padding + extent - 1].
    Fractions describe transposed convolutions and upsampling (stride 1/s); whole
    numbers may be ints (both have .numerator and .denominator, which is all the
    writers read).
    """

    extent: Fraction  # d(k - 1) + 1 for a dilated kernel
    stride: Fraction
    padding: Fraction  # before (left / top)


class Figures(Protocol):
    """What a ToolRule reads of a layer (netspec.analysis.LayerFigures has these)."""

    op: str
    description: str
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    counts: Counts
    cost: Cost
    attrs: Mapping[str, Any]


class ToolRule(NamedTuple):
    """What another tool (torchinfo, fvcore) reports for a layer of the op, and the
    formula it multiplies, with the layer's numbers (netspec/ops/counting.py)."""

    count: Callable[[Figures], int | None]  # None: a module netspec cannot predict
    formula: Callable[[Figures], str]

    def __call__(self, layer: Figures) -> int | None:
        return self.count(layer)


# What `Op.receptive` returns besides a Window per spatial axis:
POINTWISE = "pointwise"  # each output position reads the same position of its input
GLOBAL = "global"  # each output reads every position: the field becomes the whole input
UNEVEN = "uneven"  # windows of unequal size or spacing: no single (size, stride, padding)

Attrs = dict[str, Any]
