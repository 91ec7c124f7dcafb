"""Stage 4, Analysis -> what a person or a tool reads.

Assumes :class:`netspec.analysis.Analysis` results. Guarantees output that depends only
on them and the options: ``formats`` (the figures of each layer, JSON, CSV, Markdown),
``table`` (the terminal table, with rich), ``diff`` (two specs' per-statement deltas),
``schema`` (the pydantic models of the JSON report: the contract of REPORT.md). Each
command imports only the format it prints.
"""
