"""The figures a report shows, worked out once per network for the chosen options.

Assumes an :class:`netspec.analysis.Analysis`. Guarantees :func:`figures` depends only
on it and the :class:`Options` (cost convention, memory dtype and batch, table layout),
so the table, JSON, CSV and Markdown of one check agree figure for figure.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.analysis import Analysis, LayerFigures
from netspec.analysis.conventions import ConventionTotal, costs
from netspec.analysis.memory import DTYPE_BYTES, Memory

COLUMNS = ("shape", "params", "connections", "cost", "share", "rf", "memory")


class Options(NamedTuple):
    """What a report shows: the cost convention, memory dtype and batch, table layout."""

    convention: str = "macs"
    dtype: str = "float32"
    batch: int = 1
    columns: tuple[str, ...] = COLUMNS
    top: int = 0
    depth: int = 0
    width: int | None = None  # the table fits this many columns; None: every column
    context: int | None = None  # a decoder's key/value cache length (None: its input's)


DEFAULT = Options()


class Figures(NamedTuple):
    """An analysis with the option-dependent figures worked out once."""

    analysis: Analysis
    costs: ConventionTotal
    memory: Memory
    options: Options

    def activation_bytes(self, layer: LayerFigures) -> int:
        return layer.activations * DTYPE_BYTES[self.options.dtype] * self.options.batch


def figures(analysis: Analysis, options: Options = DEFAULT) -> Figures:
    return Figures(
        analysis,
        costs(analysis, options.convention),
        analysis.memory(options.dtype, options.batch, options.context),
        options,
    )
