"""Shared test fixtures: paths to the repo, the zoo and the reference figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# The reference figures live beside the checkout (../shared/reference) in development
# and CI; tests that need them are skipped with a message when they are absent.
REFERENCE = ROOT.parent / "shared" / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files from the current output instead of comparing")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def reference() -> dict:
    path = REFERENCE / "figures.json"
    if not path.exists():
        pytest.skip(f"reference figures not found at {path}")
    return json.loads(path.read_text())


def load_reference(name: str) -> dict:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference file not found at {path}")
    return json.loads(path.read_text())
