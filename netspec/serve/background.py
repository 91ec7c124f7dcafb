"""The playground served from a thread of this process, on a free loopback port: for the
browser tests, the latency benchmark and the script that refreshes the docs' screenshots
(`netspec serve` itself runs uvicorn in the foreground).

Assumes the serve extra. Guarantees that the server listens before `serving` yields its
address, and that the server and its workers are stopped when the block ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from netspec.serve.app import create_app
from netspec.serve.worker import Pool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(spec: tuple[str, str] | None = None, workers: int = 2) -> Iterator[str]:
    """`http://127.0.0.1:PORT/`, the playground opening `spec` (name, text) or LeNet-5."""
    pool = Pool(workers)
    pool.warm()
    port = free_port()
    config = uvicorn.Config(create_app(pool, spec), port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    try:
        if not server.started:
            raise RuntimeError("the playground's server did not start within 20 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        pool.close()
