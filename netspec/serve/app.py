"""The playground's web app: the page, its assets, and a JSON API over the pipeline.

Routes: `GET /` the page, `GET /static/...` its assets (package data: no network at run
time), `POST /api/TASK` for each task of netspec/serve/tasks.py (check, explain, figure,
diagram, sizes, activations, exercises: a JSON object with the spec's `text` and the
task's fields), `GET /api/zoo`, `GET /api/zoo/{name}` and `GET /api/initial` (the spec
the page opens with, and whether the server has a checkpoint for the activations
panel). Every answer is JSON; an error is REPORT.md's error document (`errors`,
`partial`), never a stack trace.

Assumes starlette (the `serve` extra). Guarantees bounded requests: a body above
MAX_BODY bytes (UPLOAD_BODY for /api/activations, which takes uploaded images and
weights) is refused (413) before it is read whole; the body is decoded, the analysis run
and the answer encoded (at most worker.MAX_ANSWER bytes) in a worker process with a time
limit and a memory cap (netspec/serve/worker.py), so the server itself only moves
bytes, and one hostile spec stalls at most one worker for at most its time limit. A
POST must say `content-type: application/json` (so that a web page elsewhere cannot post
to it without the browser asking first, which it never grants), and only the hosts in
`hosts` are served (loopback names by default: a DNS-rebinding page gets 400). A client
never names a file the server reads: the server's checkpoint (`netspec serve --weights`)
is put in an activations request here, and whatever a client sends in its place is
dropped by the worker.
"""

from __future__ import annotations

import contextlib
from importlib.resources import files
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from netspec.serve.answers import failure
from netspec.serve.worker import SERVER_WEIGHTS, Pool

MAX_BODY = 512 * 1024  # bytes of a request body: a spec of MAX_TEXT characters and more
UPLOAD_BODY = 16 * 1024**2  # /api/activations: a 2 MiB image or a checkpoint, as base64
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")  # names the page is served under


def create_app(
    pool: Pool | None = None,
    spec: tuple[str, str] | None = None,
    weights: str | None = None,
    hosts: tuple[str, ...] = LOOPBACK_HOSTS,
) -> Starlette:
    """The app; `pool` answers the analyses (a fresh Pool of two workers by default);
    `spec`, (name, text), is what the page opens with (else the zoo's LeNet-5); `weights`,
    a checkpoint file the activations panel may run the network with; `hosts`, the Host
    names served (`("*",)`: any, for `netspec serve --host` on another address)."""
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
        trusted = {SERVER_WEIGHTS: weights} if weights and task == "activations" else {}
        return await _answer(pool, {"task": task, "raw": body, **trusted})

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

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))]
    app = Starlette(
        routes=routes, exception_handlers=handlers, lifespan=lifespan, middleware=middleware
    )
    app.state.pool = pool
    return app


async def _answer(pool: Pool, request: dict[str, Any]) -> Response:
    """The worker's answer, passed on as the bytes it encoded."""
    status, data = await run_in_threadpool(pool.answer, request)
    return Response(data, status_code=status, media_type="application/json")


async def _body(request: Request, limit: int = MAX_BODY) -> bytes | Response:
    """The request's body, read up to `limit` bytes (the worker decodes it); else the
    error response."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return _error(415, "E-request", "the request must be JSON (content-type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return _error(413, "E-request", f"the request is larger than {limit:,} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            return _error(413, "E-request", f"the request is larger than {limit:,} bytes")
    return bytes(data)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(failure(code, message), status_code=status)


async def _internal(request: Request, exc: Exception) -> Response:
    return _error(500, "E-internal", "the playground failed on this request")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, "E-request", f"nothing at {request.url.path}")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error(405, "E-request", f"{request.method} is not allowed at {request.url.path}")
