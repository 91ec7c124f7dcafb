"""Every repository path the docs and docstrings name exists, so that moving a file
cannot leave a reference behind (README.md, CONTRIBUTING.md, docs/*.md, and the
docstrings and comments of netspec/, tests/, benchmarks/ and tools/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = "netspec|tests|benchmarks|tools|docs|specs|examples|grammars|constraints"
PATH = re.compile(
    rf"(?<![\w/.-])(?:{FOLDERS})/[\w/.-]+\.(?:py|md|netspec|lark|json|txt|err|svg|png|gif|toml)\b"
)
# Paths that name something other than a file of this repository: an installed wheel's
# data folder, and a placeholder.
NOT_FILES = ("netspec/_data/", "specs/NAME.netspec")


def documents() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    for folder in ("netspec", "tests", "benchmarks", "tools"):
        found += sorted((ROOT / folder).rglob("*.py"))
    return [p for p in found if p.is_file() and p != Path(__file__).resolve()]


def references(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":  # a link's target elsewhere on the web is not ours
        text = re.sub(r"https?://\S+", "", text)
    return sorted({m for m in PATH.findall(text) if not m.startswith(NOT_FILES)})


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_named_exists(document):
    assert [ref for ref in references(document) if not (ROOT / ref).exists()] == []


def test_the_reference_finder_finds_paths():
    assert "netspec/ops/conv.py" in PATH.findall("see netspec/ops/conv.py, and `tests/x.py`")
    assert PATH.findall("docs/language.md's table") == ["docs/language.md"]
