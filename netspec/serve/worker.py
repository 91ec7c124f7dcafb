"""The playground's analysis runs in worker processes, each with a time limit and a
memory cap, killed and replaced when it overruns: a hostile spec cannot hang or exhaust
the server for the other requests (a thread could not be killed).

A :class:`Worker` is one process that answers requests in turn over a pipe
(netspec/serve/tasks.py's `run_task`). Its address space is capped with RLIMIT_AS, so an
analysis that needs more fails with MemoryError inside it (answered as E-limit), and a
request not answered within `seconds` kills the process (answered as E-timeout); the
next request starts a fresh one. A :class:`Pool` hands requests to a few workers, so one
slow request leaves the others to answer.

Assumes the `spawn` start method (a clean interpreter: nothing of the server's threads or
sockets is inherited) and POSIX resource limits where they exist. Guarantees an answer,
a JSON object, to every request: never an exception.
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

from netspec.serve.answers import failure

SECONDS = 10.0  # an analysis longer than this is killed (the zoo's largest take < 1 s)
MEMORY = 2 * 1024**3  # bytes of address space a worker may map


def _serve(connection, memory: int) -> None:
    """The worker's loop: answer each request it receives until the pipe closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # no POSIX limits here: time still bounds it
        pass
    from netspec.serve.tasks import run_task

    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = run_task(request)
        except MemoryError:
            answer = failure(
                "E-limit", "the analysis needed more memory than the playground allows"
            )
        except Exception as exc:  # noqa: BLE001 (a bug must not take the worker down)
            answer = failure("E-internal", f"netspec failed on this spec: {type(exc).__name__}")
        connection.send(answer)


class Worker:
    """One worker process and its pipe; restarted after a kill."""

    def __init__(self, seconds: float = SECONDS, memory: int = MEMORY):
        self.seconds, self.memory = seconds, memory
        self.process = None
        self.connection = None

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.process is None or not self.process.is_alive():
            self._start()
        try:
            self.connection.send(request)
            if self.connection.poll(self.seconds):
                return self.connection.recv()
        except (EOFError, OSError):  # it died (killed by the kernel): a fresh one next time
            self.stop()
            return failure("E-limit", "the analysis ran out of memory and was stopped")
        self.stop()
        return failure(
            "E-timeout",
            f"the analysis took longer than {self.seconds:g} s and was stopped",
            "a smaller repeat count or input keeps the playground responsive; "
            "`netspec check` on the command line has no time limit",
        )

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
    """A few workers; `run` blocks until one is free (call it from a thread)."""

    def __init__(self, size: int = 2, seconds: float = SECONDS, memory: int = MEMORY):
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.workers = [Worker(seconds, memory) for _ in range(size)]
        for worker in self.workers:
            self.idle.put(worker)

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        worker = self.idle.get()
        try:
            return worker.run(request)
        finally:
            self.idle.put(worker)

    def warm(self) -> None:
        """Start every worker now (each imports netspec once), not on the first request."""
        for worker in self.workers:
            worker.run({"task": "zoo"})

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
