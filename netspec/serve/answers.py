"""The playground's error answers: REPORT.md's error document with one diagnostic, for a
request the API refuses, a worker stopped by its limits, or a bug; and the HTTP status
each answer calls for.

Assumes nothing of the server. Guarantees the same document `netspec check --format
json` prints for a spec that is not accepted (`errors`, `partial` null).
"""

from __future__ import annotations

import json
from typing import Any

from netspec.errors import Diagnostic
from netspec.report.json_report import errors_json

NAME = "playground.netspec"  # the file name diagnostics give the editor's text

# A spec's own errors, a timeout or a memory limit are answers (200), as `netspec check`
# prints them; a request the API cannot read is the client's (400), a bug the server's.
_STATUS = {"E-request": 400, "E-internal": 500}


def failure(code: str, message: str, help: str = "") -> dict[str, Any]:
    """An error document with one diagnostic and no partial report."""
    d = Diagnostic(code, message, None, (help,) if help else ())
    return json.loads(errors_json([d], NAME))


def spec_errors(diagnostics) -> dict[str, Any]:
    """The error document of a spec that is not accepted, without a partial report (a
    task other than the check answers only whether it could)."""
    return json.loads(errors_json(list(diagnostics), NAME))


def status_of(answer: dict[str, Any]) -> int:
    """The HTTP status of an answer: by its first error's code, else 200."""
    errors = answer.get("errors") or [{}]
    return _STATUS.get(errors[0].get("code"), 200)
