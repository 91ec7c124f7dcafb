"""The repository's own specs are formatted, and formatting them keeps their meaning
and comments (tests/errors/ holds invalid specs: not formatted; a warning's golden spec
whose point is its layout, a badly indented continuation, stays as it is).

CI runs `netspec fmt --check` on the same files through this test."""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.fmt import format_text
from tests.test_fmt import assert_properties

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    p
    for folder in ("specs", "examples", "tests/warnings")
    for p in (ROOT / folder).rglob("*.netspec")
)


# the W-indent golden: a continuation line indented as the language does not read it
LAYOUT_GOLDENS = {"tests/warnings/indented_continuation.netspec"}
FORMATTED = [p for p in SPECS if str(p.relative_to(ROOT)) not in LAYOUT_GOLDENS]


@pytest.mark.parametrize("spec", FORMATTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_formatted(spec: Path):
    text = spec.read_text()
    assert format_text(text, str(spec)) == text, f"run `netspec fmt {spec.relative_to(ROOT)}`"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_properties(spec: Path):
    assert_properties(spec.read_text())
