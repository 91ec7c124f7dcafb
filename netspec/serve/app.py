"""The playground's web app: the page, its assets, and a JSON API over the pipeline.

Routes: `GET /` the page, `GET /static/...` its assets (package data: no network at run
time), `POST /api/check` and `POST /api/explain` (a JSON object: the spec's `text`, and
`network`, `set`, `input_shapes`, `convention`, `layer`), `GET /api/zoo`, `GET
/api/zoo/{name}` and `GET /api/initial` (the spec the page opens with, and whether the
server has a checkpoint for the activations panel). Every answer is
JSON; an error is REPORT.md's error document (`errors`, `partial`), never a stack trace.

Assumes starlette (the `serve` extra). Guarantees bounded requests: a body above
MAX_BODY bytes (UPLOAD_BODY for /api/activations, which takes uploaded images and
weights) is refused (413) before it is read whole, and every analysis runs in a
worker process with a time limit and a memory cap (netspec/serve/worker.py), so one
hostile spec cannot stall the others. A client never names a file the server reads: the
server's checkpoint (`netspec serve --weights`) is put in an activations request here,
and whatever a client sends in its place is dropped.
"""

from __future__ import annotations

import contextlib
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from netspec.serve.answers import failure
from netspec.serve.worker import Pool

MAX_BODY = 512 * 1024  # bytes of a request body: a spec of MAX_TEXT characters and more
UPLOAD_BODY = 16 * 1024**2  # /api/activations: a 2 MiB image or a checkpoint, as base64
SERVER_WEIGHTS = "server_weights"  # the field that carries --weights to the worker


def create_app(
    pool: Pool | None = None, spec: tuple[str, str] | None = None, weights: str | None = None
) -> Starlette:
    """The app; `pool` answers the analyses (a fresh Pool of two workers by default);
    `spec`, (name, text), is what the page opens with (else the zoo's LeNet-5); `weights`,
    a checkpoint file the activations panel may run the network with."""
    pool = pool or Pool()
    static = files("netspec.serve") / "static"
    opening = {"name": spec[0], "text": spec[1]} if spec else {"name": "lenet5", "text": None}
    if weights:  # the panel offers it by this name; the path stays on the server
        opening["checkpoint"] = Path(weights).name

    async def initial(request: Request) -> Response:
        return JSONResponse(opening)

    async def page(request: Request) -> Response:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    async def analysis(request: Request) -> Response:
        task = request.path_params["task"]
        body = await _body(request, UPLOAD_BODY if task == "activations" else MAX_BODY)
        if isinstance(body, Response):
            return body
        return await _answer(pool, {**_trusted(body, task, weights), "task": task})

    async def zoo(request: Request) -> Response:
        name = request.path_params.get("name")
        return await _answer(pool, {"task": "zoo", **({"name": name} if name else {})})

    routes = [
        Route("/", page),
        Route("/api/{task:str}", analysis, methods=["POST"]),
        Route("/api/initial", initial, methods=["GET"]),
        Route("/api/zoo", zoo, methods=["GET"]),
        Route("/api/zoo/{name:str}", zoo, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    handlers = {Exception: _internal, 404: _not_found, 405: _not_allowed}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        pool.close()  # the workers end with the server

    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.state.pool = pool
    return app


# A spec's own errors, a timeout or a memory limit are answers (200), as `netspec check`
# prints them; a request the API cannot read is the client's (400), a bug the server's.
_STATUS = {"E-request": 400, "E-internal": 500}


async def _answer(pool: Pool, request: dict[str, Any]) -> Response:
    answer = await run_in_threadpool(pool.run, request)
    errors = answer.get("errors") or [{}]
    return JSONResponse(answer, status_code=_STATUS.get(errors[0].get("code"), 200))


def _trusted(body: dict[str, Any], task: str, weights: str | None) -> dict[str, Any]:
    """The body without the one field only the server may set (no task reads a path from
    any other); for activations, with the server's own checkpoint's path."""
    body = {k: v for k, v in body.items() if k != SERVER_WEIGHTS}
    return {**body, SERVER_WEIGHTS: weights} if weights and task == "activations" else body


async def _body(request: Request, limit: int = MAX_BODY) -> dict[str, Any] | Response:
    """The request's JSON object, read up to `limit` bytes; else the error response."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return _error(413, "E-request", f"the request is larger than {limit:,} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            return _error(413, "E-request", f"the request is larger than {limit:,} bytes")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "E-request", "the request body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "E-request", "the request body must be a JSON object")
    return body


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(failure(code, message), status_code=status)


async def _internal(request: Request, exc: Exception) -> Response:
    return _error(500, "E-internal", "the playground failed on this request")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, "E-request", f"nothing at {request.url.path}")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error(405, "E-request", f"{request.method} is not allowed at {request.url.path}")
