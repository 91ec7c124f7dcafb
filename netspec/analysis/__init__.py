"""Analyses over the graph IR. Each pass returns results; none annotates the IR."""

from netspec.analysis.counts import Analysis, LayerFigures, StatementFigures, Totals, analyze

__all__ = ["Analysis", "LayerFigures", "StatementFigures", "Totals", "analyze"]
