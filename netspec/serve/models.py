"""The playground's check answer as pydantic models: REPORT.md's models (netspec/report/
schema.py) with what the editor needs besides.

`POST /api/check` answers with `netspec check --format json`'s document plus: each
diagnostic's end (`end_line`, `end_column`, where it has a place), the warnings of every
network at the top level (`warnings`), and `lines`, each statement's first and last line
per network. An answer the API refuses (E-request, E-timeout, E-limit) is REPORT.md's
error document alone. :class:`CheckAnswer` is the contract the tests hold the API to
(strict: no key missing, none extra) and :func:`check_schema` its JSON Schema.

Assumes pydantic (a core dependency). Guarantees models that differ from REPORT.md's
only by the keys named above.
"""

from __future__ import annotations

from pydantic import Field, RootModel

from netspec.report.schema import (
    Diagnostic,
    ErrorReport,
    PlacedDiagnostic,
    Report,
    allow_extra_keys,
)

Lines = dict[str, dict[str, list[int]]]


class SpannedDiagnostic(PlacedDiagnostic):
    """A diagnostic with its whole span: the editor underlines from (line, column) to
    (end_line, end_column), the end exclusive."""

    end_line: int
    end_column: int


Shown = SpannedDiagnostic | Diagnostic


class CheckedReport(Report):
    """The report of a spec that checked, with its warnings and statements' lines."""

    warnings: list[SpannedDiagnostic] = Field(description="every network's, in order")
    lines: Lines = Field(description="network -> statement -> [first line, last line]")


class RefusedReport(ErrorReport):
    """The error document, each error with its span; `lines` for the partial report's
    statements, absent when the API refused the request itself."""

    errors: list[Shown] = Field(min_length=1)
    lines: Lines | None = None


class CheckAnswer(RootModel[CheckedReport | RefusedReport]):
    """What `POST /api/check` answers."""


def check_schema() -> dict:
    """The JSON Schema of the check answer (extra keys allowed, as REPORT.md's is)."""
    return allow_extra_keys(CheckAnswer.model_json_schema())
