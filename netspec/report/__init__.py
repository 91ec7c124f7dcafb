"""Stage 4, Analysis -> what a person or a tool reads.

Assumes :class:`netspec.analysis.Analysis` results. Guarantees output that depends only
on them and the options, one module per form so that each command imports only the
format it prints: ``figures`` (the option-dependent figures every format shares),
``table`` (the terminal table, with rich; ``fit`` chooses its columns for the width and
``describe`` writes the op column), ``json_report`` (`--format json` and the
error document, REPORT.md), ``tabular`` (CSV and Markdown), ``diff`` (two specs'
per-statement deltas), ``schema`` (the pydantic models of the JSON documents: their
contract, imported only by `netspec schema` and the tests).
"""
