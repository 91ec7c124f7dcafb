"""The repository's own specs are formatted, and formatting them keeps their meaning
and comments (tests/errors/ holds invalid specs: not formatted)."""

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


# Not yet: the repo's specs are reformatted, and this test turned on, once the alignment
# of over-wide rows (unet's decoder) and of hand-aligned tables is settled (issue 19).
@pytest.mark.skip(reason="the repo's specs are not reformatted yet (issue 19, open)")
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_formatted(spec: Path):
    text = spec.read_text()
    assert format_text(text, str(spec)) == text, f"run `netspec fmt {spec.relative_to(ROOT)}`"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_properties(spec: Path):
    assert_properties(spec.read_text())
