"""Fixtures for the playground's browser tests: one server and one Chromium for the whole
run, a fresh page per test module.

`served` starts `netspec serve`'s app (two warm workers, LeNet-5 opening) on a free
loopback port in a thread (netspec/serve/background.py); `chromium` launches Debian's
Chromium through Playwright (no browser download); `page` opens the playground at
1280x800. A module that uses them skips, saying how to install what is missing, without
Chromium, Playwright or the serve extra. `screenshot(page, name)` saves the page as
DIR/name.png when pytest runs with `--screenshots DIR` (the docs' pictures are made by
the tests: tools/playground_screenshots.py), and does nothing otherwise. Imported by
tests/conftest.py, so every test module sees them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LENET = (ROOT / "specs" / "lenet5.netspec").read_text()


@pytest.fixture(scope="session")
def served():
    """The playground's address, http://127.0.0.1:PORT/ (LeNet-5 opens)."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from netspec.serve.background import serving

    with serving(("lenet5.netspec", LENET)) as url:
        yield url


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


@pytest.fixture(scope="session")
def screenshot(request):
    """save(page, name): the page as DIR/name.png under `--screenshots DIR`, else nothing."""
    folder = request.config.getoption("--screenshots")

    def save(page, name: str, full_page: bool = False) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)

    return save
