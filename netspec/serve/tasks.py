"""What the playground's worker computes for one request. Each task takes a JSON object
and returns one; :data:`TASKS` names the function of each, imported on first use (torch
only for the tasks that need it).

A check answers with the document `netspec check --format json` prints (REPORT.md:
`networks`, or `errors` with the report up to the first error as `partial`), each
diagnostic also with its end (`end_line`, `end_column`) so that the editor can underline
the whole span, and `lines`: per network, each statement's first and last line, so the
page can select the statement under the cursor. An explanation answers with the
sections `netspec explain` prints, as data. A request that is not what the task expects
(a missing `text`, a size that is not a number) is answered with one E-request
diagnostic, never an exception.

Assumes it runs in the worker process (netspec/serve/worker.py), which bounds its time
and memory: a task itself trusts no field and writes no file.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from netspec.analysis import Analysis
from netspec.api import partial_analyses
from netspec.errors import CompileError, Diagnostic
from netspec.report.json_report import errors_json, partial_json, to_json
from netspec.serve import fields
from netspec.serve.answers import NAME, failure, spec_errors
from netspec.serve.fields import BadRequest

# task -> "module:function"; each function takes the request and returns the answer
TASKS = {
    "check": "netspec.serve.tasks:check_task",
    "explain": "netspec.serve.tasks:explain_task",
    "zoo": "netspec.serve.library:zoo_task",
    "exercises": "netspec.serve.library:exercises_task",
    "diagram": "netspec.serve.diagram:diagram_task",
    "figure": "netspec.serve.figure:figure_task",
    "sizes": "netspec.serve.sizes:sizes_task",
    "activations": "netspec.serve.activations:activations_task",
}


def run_task(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request: `{"task": "check", ...}` and so on."""
    try:
        where = TASKS.get(request.get("task")) if isinstance(request, dict) else None
        if where is None:
            raise BadRequest(f"no task {request.get('task')!r}; tasks: {', '.join(TASKS)}")
        module, function = where.split(":")
        return getattr(importlib.import_module(module), function)(request)
    except BadRequest as exc:
        return failure("E-request", str(exc))


def check_task(request: dict[str, Any]) -> dict[str, Any]:
    """The spec's report, or its errors with the report up to the first."""
    options = fields.options(request)
    try:
        analyses = fields.analysed(request)
    except CompileError as exc:
        partial = partial_analyses(exc)
        doc = json.loads(errors_json(exc.diagnostics, NAME, partial_json(partial, options)))
        doc["errors"] = [
            _with_end(d, j) for d, j in zip(exc.diagnostics, doc["errors"], strict=True)
        ]
        doc["lines"] = _lines(a for a, _ in partial)
        return doc
    doc = json.loads(to_json(analyses, NAME, options))
    doc["warnings"] = [_with_end(w, w.to_json()) for a in analyses for w in a.warnings]
    doc["lines"] = _lines(analyses)
    return doc


def _with_end(diagnostic: Diagnostic, shown: dict[str, Any]) -> dict[str, Any]:
    span = diagnostic.span
    if span is not None:
        shown = {**shown, "end_line": span.end_line, "end_column": span.end_column}
    return shown


def _lines(analyses) -> dict[str, dict[str, list[int]]]:
    """network -> statement -> [first line, last line] of the statement's text."""
    out: dict[str, dict[str, list[int]]] = {}
    for analysis in analyses:
        graph = analysis.graph
        out[graph.name] = {s.name: [s.span.line, s.span.end_line] for s in graph.statements}
    return out


def explain_task(request: dict[str, Any]) -> dict[str, Any]:
    """One layer's (or a statement's layers') explanation, section by section."""
    from netspec.teach.explain.network import UnknownLayer, choose, explain_layer

    layer = fields.word(request, "layer")
    try:
        analyses: list[Analysis] = fields.analysed(request)
        chosen = choose(analyses, layer)
    except CompileError as exc:
        return spec_errors(exc.diagnostics)
    except UnknownLayer as exc:
        raise BadRequest(str(exc)) from None
    layers = [explain_layer(a, i) for a, indices in chosen for i in indices[:64]]
    return {"layers": [_explained(e) for e in layers]}


def _explained(e) -> dict[str, Any]:
    return {
        "network": e.network,
        "path": e.path,
        "op": e.op,
        "statement": e.statement,
        "description": e.description,
        "sections": [
            {
                "title": title,
                "rule": section.rule,
                "steps": [_step(s) for s in section.steps],
            }
            for title, section in e.sections
        ],
    }


def _step(s) -> dict[str, str]:
    return {"label": s.label, "formula": s.formula, "result": str(s.result), "note": s.note}
