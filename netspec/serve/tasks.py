"""What the playground's worker computes for one request: a check, a layer's explanation,
the zoo, a zoo spec's text. Each task takes a JSON object and returns one.

A check answers with the document `netspec check --format json` prints (REPORT.md:
`networks`, or `errors` with the report up to the first error as `partial`), each
diagnostic also with its end (`end_line`, `end_column`) so that the editor can underline
the whole span. An explanation answers with the sections `netspec explain` prints, as
data. A request that is not what the task expects (a missing `text`, a size that is not a
number) is answered with one E-request diagnostic, never an exception.

Assumes it runs in the worker process (netspec/serve/worker.py), which bounds its time
and memory: a task itself trusts no field and writes no file.
"""

from __future__ import annotations

import json
from typing import Any

from netspec.api import check, partial_analyses
from netspec.errors import CompileError, Diagnostic
from netspec.report.figures import Options
from netspec.report.json_report import errors_json, partial_json, to_json
from netspec.serve.answers import NAME, failure
from netspec.source import Source
from netspec.zoo import zoo_dir, zoo_names, zoo_source

MAX_TEXT = 200_000  # characters of spec text a request may carry


class BadRequest(ValueError):
    """A request that does not fit the task: answered as an E-request diagnostic."""


def run_task(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request: `{"task": "check", ...}` and so on."""
    try:
        task = TASKS.get(request.get("task")) if isinstance(request, dict) else None
        if task is None:
            raise BadRequest(f"no task {request.get('task')!r}; tasks: {', '.join(TASKS)}")
        return task(request)
    except BadRequest as exc:
        return _refused(str(exc))


def _refused(message: str) -> dict[str, Any]:
    return failure("E-request", message)


def check_task(request: dict[str, Any]) -> dict[str, Any]:
    """The spec's report, or its errors with the report up to the first."""
    source = Source(NAME, _text(request))
    options = _options(request)
    shapes = _shapes(request)
    try:
        analyses = check(source, _name(request), _overrides(request), input_shapes=shapes)
    except CompileError as exc:
        partial = partial_json(partial_analyses(exc), options)
        doc = json.loads(errors_json(exc.diagnostics, NAME, partial))
        doc["errors"] = [
            _with_end(d, j) for d, j in zip(exc.diagnostics, doc["errors"], strict=True)
        ]
        return doc
    doc = json.loads(to_json(analyses, NAME, options))
    doc["warnings"] = [_with_end(w, w.to_json()) for a in analyses for w in a.warnings]
    return doc


def _with_end(diagnostic: Diagnostic, shown: dict[str, Any]) -> dict[str, Any]:
    span = diagnostic.span
    if span is not None:
        shown = {**shown, "end_line": span.end_line, "end_column": span.end_column}
    return shown


def explain_task(request: dict[str, Any]) -> dict[str, Any]:
    """One layer's (or a statement's layers') explanation, section by section."""
    from netspec.teach.explain.network import UnknownLayer, choose, explain_layer

    layer = request.get("layer")
    if not isinstance(layer, str) or not layer:
        raise BadRequest("explain needs `layer`: a layer path or a statement name")
    source = Source(NAME, _text(request))
    try:
        analyses = check(source, _name(request), _overrides(request), input_shapes=_shapes(request))
        chosen = choose(analyses, layer)
    except CompileError as exc:
        return json.loads(errors_json(exc.diagnostics, NAME, None))
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


def zoo_task(request: dict[str, Any]) -> dict[str, Any]:
    """The bundled specs by name, with their sources; `name` gives one spec's text."""
    folder = zoo_dir()
    names = zoo_names()
    name = request.get("name")
    if name is None:
        return {
            "specs": [{"name": n, "source": zoo_source(folder / f"{n}.netspec")} for n in names]
        }
    if name not in names:
        raise BadRequest(f"no zoo spec {name!r}")
    return {"name": name, "text": (folder / f"{name}.netspec").read_text(encoding="utf-8")}


TASKS = {"check": check_task, "explain": explain_task, "zoo": zoo_task}


# --- fields of a request -------------------------------------------------------------------


def _text(request: dict[str, Any]) -> str:
    text = request.get("text")
    if not isinstance(text, str):
        raise BadRequest("`text` must be the spec's text")
    if len(text) > MAX_TEXT:
        raise BadRequest(
            f"the spec has {len(text):,} characters; the playground takes {MAX_TEXT:,}"
        )
    return text


def _name(request: dict[str, Any]) -> str | None:
    network = request.get("network")
    if network is not None and not isinstance(network, str):
        raise BadRequest("`network` must be a network's name")
    return network


def _overrides(request: dict[str, Any]) -> dict[str, object] | None:
    values = request.get("set") or {}
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float, bool, str)) for k, v in values.items()
    ):
        raise BadRequest("`set` must map parameter names to numbers, booleans or strings")
    return values or None


def _shapes(request: dict[str, Any]) -> dict[str, tuple] | None:
    shapes = request.get("input_shapes") or {}
    ok = isinstance(shapes, dict) and all(
        isinstance(k, str)
        and isinstance(v, list)
        and all((isinstance(d, int) and not isinstance(d, bool)) or isinstance(d, str) for d in v)
        for k, v in shapes.items()
    )
    if not ok:
        raise BadRequest("`input_shapes` must map input names to lists of sizes or names")
    return {k: tuple(v) for k, v in shapes.items()} or None


def _options(request: dict[str, Any]) -> Options:
    convention = request.get("convention", "macs")
    if convention not in ("macs", "flops", "torchinfo", "fvcore"):
        raise BadRequest("`convention` is one of macs, flops, torchinfo, fvcore")
    return Options(convention)
