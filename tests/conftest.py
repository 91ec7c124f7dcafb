"""Shared test fixtures: paths to the repo, the zoo and the reference figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# the playground's browser fixtures (served, chromium, page), for every test module
from tests.serve_fixtures import chromium, page, screenshot, served  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# A copy of the project's reference figures (shared/reference, with their sources in
# README.md there): what the zoo must reproduce.
REFERENCE = Path(__file__).resolve().parent / "data" / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite golden files from the current output instead of comparing",
    )
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="the playground's browser tests save their screenshots (PNG) into DIR "
        "(tools/playground_screenshots.py: docs/pictures/playground)",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def reference() -> dict:
    return load_reference("figures.json")


def load_reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def diagnostic(text: str):
    """The one diagnostic of a spec that does not check (the spec text given)."""
    from netspec.api import check_text
    from netspec.errors import CompileError

    with pytest.raises(CompileError) as info:
        check_text(text)
    (diag,) = info.value.diagnostics
    return diag


def explicit_products(model):
    """`model` with attention's products written out (matmul, softmax) rather than fused
    in scaled_dot_product_attention, which torch.utils.flop_counter does not see on the
    CPU (netspec/backends/torch/runtime/modern.py SelfAttention)."""
    for module in model.modules():
        if hasattr(module, "explicit_products"):
            module.explicit_products = True
    return model
