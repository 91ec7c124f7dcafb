"""The playground's analysis runs in worker processes, each with a time limit and a
memory cap, killed and replaced when it overruns: a hostile spec cannot hang or exhaust
the server for the other requests (a thread could not be killed).

A :class:`Worker` is one process that answers requests in turn over a pipe
(netspec/serve/tasks.py's `run_task`). Its heap is capped with RLIMIT_DATA (private
memory, which is what an analysis allocates; shared libraries such as torch's, mapped
from files, do not count), so an analysis that needs more fails with MemoryError inside
it (answered as E-limit), and a request not answered within `seconds` kills the process
(answered as E-timeout); the next request starts a fresh one. A :class:`Pool` hands
requests to a few workers, so one slow request leaves the others to answer.

The server hands a request over as it came, its raw body (`raw`: bytes), which the
worker decodes under its own caps: a large or deeply nested body costs the server
nothing but the bytes. The worker encodes its answer too, and refuses one above
MAX_ANSWER bytes, so that the server only passes bytes on.

Assumes the `spawn` start method (a clean interpreter: nothing of the server's threads or
sockets is inherited) and POSIX resource limits where they exist. Guarantees an answer
to every request, a JSON object with the HTTP status it calls for: never an exception.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import queue
from typing import Any

from netspec.serve.answers import failure, status_of

SECONDS = 10.0  # an analysis longer than this is killed (the zoo's largest take < 1 s)
MEMORY = 2 * 1024**3  # bytes of heap a worker may allocate
MAX_ANSWER = 8 * 1024**2  # bytes of JSON an answer may take (activations: about 2 MB)
SERVER_WEIGHTS = "server_weights"  # the field that carries `netspec serve --weights`

Encoded = tuple[int, bytes]  # an answer's HTTP status and JSON


class BadBody(ValueError):
    """A request body that is not a JSON object: answered as E-request."""


def _serve(connection, memory: int) -> None:
    """The worker's loop: answer each request it receives until the pipe closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    except (ImportError, ValueError, OSError):  # no POSIX limits here: time still bounds it
        pass
    from netspec.serve.tasks import run_task

    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = run_task(decoded(message))
        except BadBody as exc:
            answer = failure("E-request", str(exc))
        except Exception as exc:  # noqa: BLE001 (a bug must not take the worker down)
            answer = _failed(exc)
        connection.send(encoded(answer))


def _failed(exc: BaseException) -> dict[str, Any]:
    """E-limit where the memory cap is the cause (a MemoryError or an OSError saying
    ENOMEM, also one that a library turned into another exception on its way out), else
    E-internal."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or getattr(seen, "errno", None) == errno.ENOMEM:
            return failure("E-limit", "the analysis needed more memory than the playground allows")
        seen = seen.__cause__ or seen.__context__
    return failure("E-internal", f"netspec failed on this spec: {type(exc).__name__}")


def decoded(message: dict[str, Any]) -> dict[str, Any]:
    """The request a message carries: its raw body decoded, with the task the route named
    and the server's checkpoint (a client's own `server_weights` is dropped); a message
    without `raw` is a request already."""
    if "raw" not in message:
        return message
    try:
        body = json.loads(message["raw"])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadBody("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise BadBody("the request body must be a JSON object")
    body.pop(SERVER_WEIGHTS, None)
    trusted = {k: message[k] for k in (SERVER_WEIGHTS,) if message.get(k)}
    return {**body, **trusted, "task": message["task"]}


def encoded(answer: dict[str, Any]) -> Encoded:
    """The answer as JSON bytes with its status; E-limit in its place when too large."""
    data = json.dumps(answer).encode()
    if len(data) > MAX_ANSWER:
        answer = failure(
            "E-limit",
            f"the answer would take {len(data):,} bytes; the playground sends at most "
            f"{MAX_ANSWER:,}",
            "a smaller input or network keeps the answer small",
        )
        data = json.dumps(answer).encode()
    return status_of(answer), data


class Worker:
    """One worker process and its pipe; restarted after a kill."""

    def __init__(self, seconds: float = SECONDS, memory: int = MEMORY):
        self.seconds, self.memory = seconds, memory
        self.process = None
        self.connection = None

    def answer(self, request: dict[str, Any]) -> Encoded:
        if self.process is None or not self.process.is_alive():
            self._start()
        try:
            self.connection.send(request)
            if self.connection.poll(self.seconds):
                return self.connection.recv()
        except (EOFError, OSError):  # it died (killed by the kernel): a fresh one next time
            self.stop()
            return encoded(failure("E-limit", "the analysis ran out of memory and was stopped"))
        self.stop()
        return encoded(
            failure(
                "E-timeout",
                f"the analysis took longer than {self.seconds:g} s and was stopped",
                "a smaller repeat count or input keeps the playground responsive; "
                "`netspec check` on the command line has no time limit",
            )
        )

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer decoded (for callers in Python: the tests, `Pool.warm`)."""
        return json.loads(self.answer(request)[1])

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.memory), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join(timeout=5)
        if self.connection is not None:
            self.connection.close()
        self.process = self.connection = None


class Pool:
    """A few workers; `answer` blocks until one is free (call it from a thread)."""

    def __init__(self, size: int = 2, seconds: float = SECONDS, memory: int = MEMORY):
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.workers = [Worker(seconds, memory) for _ in range(size)]
        for worker in self.workers:
            self.idle.put(worker)

    def answer(self, request: dict[str, Any]) -> Encoded:
        worker = self.idle.get()
        try:
            return worker.answer(request)
        finally:
            self.idle.put(worker)

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        return json.loads(self.answer(request)[1])

    def warm(self) -> None:
        """Start every worker now (each imports netspec once), not on the first request."""
        for worker in self.workers:
            worker.run({"task": "zoo"})

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
