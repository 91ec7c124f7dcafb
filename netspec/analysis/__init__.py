"""Stage 3, graph IR -> Analysis: passes over the graph, each returning results keyed by
layer path; none annotates the IR (which stays immutable).

Assumes a Graph from :mod:`netspec.elaborate`, whose shapes are final. Guarantees, for
every layer, parameters, connections (as LeCun counted them), multiply-adds and FLOPs
under a named convention (``conventions``, ``compat`` for torchinfo and fvcore),
receptive field (``receptive``), memory (``memory``); plus the block-call scopes both
backends group layers by (``scopes``) and the architecture fingerprint
(``fingerprint``). A figure that cannot be computed is None with a warning, never 0.
"""

from netspec.analysis.counts import (
    Analysis,
    LayerFigures,
    StatementFigures,
    Totals,
    analyze,
    warnings_of,
)

__all__ = ["Analysis", "LayerFigures", "StatementFigures", "Totals", "analyze", "warnings_of"]
