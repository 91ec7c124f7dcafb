"""Fixtures for the playground's browser tests: one server and one Chromium for the whole
run, a fresh page per test module.

`served` starts `netspec serve`'s app (two warm workers, LeNet-5 opening) on a free
loopback port in a thread; `chromium` launches Debian's Chromium through Playwright (no
browser download); `page_at(url)` opens a page at 1280x800. A module that uses them
skips, saying how to install what is missing, without Chromium, Playwright or the
serve extra. Imported by tests/conftest.py, so every test module sees them.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LENET = (ROOT / "specs" / "lenet5.netspec").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served():
    """The playground's address, http://127.0.0.1:PORT/ (LeNet-5 opens)."""
    pytest.importorskip("starlette")
    uvicorn = pytest.importorskip("uvicorn")
    from netspec.serve.app import create_app
    from netspec.serve.worker import Pool

    pool = Pool(2)
    pool.warm()
    port = _free_port()
    config = uvicorn.Config(
        create_app(pool, ("lenet5.netspec", LENET)), port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)
    pool.close()


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Debian's), shared by the browser tests."""
    if CHROMIUM is None:
        pytest.skip("needs Chromium: apt-get install chromium (Debian's package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(served, chromium):
    """A page on the playground at 1280x800, opened once per test module; a module that
    needs another address navigates itself (page.goto(served + '?spec=...'))."""
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served)
    page.wait_for_function("document.querySelectorAll('#report tbody tr').length > 0")
    page.script_errors = errors  # a test can assert the page raised nothing
    yield page
    page.close()
