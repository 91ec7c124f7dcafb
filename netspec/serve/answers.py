"""The playground's error answers: REPORT.md's error document with one diagnostic, for a
request the API refuses, a worker stopped by its limits, or a bug.

Assumes nothing of the server. Guarantees the same document `netspec check --format
json` prints for a spec that is not accepted (`errors`, `partial` null).
"""

from __future__ import annotations

import json
from typing import Any

from netspec.errors import Diagnostic
from netspec.report.json_report import errors_json

NAME = "playground.netspec"  # the file name diagnostics give the editor's text


def failure(code: str, message: str, help: str = "") -> dict[str, Any]:
    """An error document with one diagnostic and no partial report."""
    d = Diagnostic(code, message, None, (help,) if help else ())
    return json.loads(errors_json([d], NAME))
