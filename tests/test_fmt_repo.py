"""The repository's own specs are formatted, and formatting them keeps their meaning
and comments (tests/errors/ holds invalid specs: not formatted; a warning's golden spec
whose point is its layout, a badly indented continuation, says `# fmt: off`).

CI runs `netspec fmt --check` on the same files through this test, the command itself
once and each file through `format_text`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netspec.cli.main import main
from netspec.fmt import format_text
from tests.test_fmt import assert_properties

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    p
    for folder in ("specs", "examples", "tests/warnings")
    for p in (ROOT / folder).rglob("*.netspec")
)


def test_netspec_fmt_check_passes_on_the_repo(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["fmt", "--check", "specs", "examples", "tests/warnings"]) == 0
    assert f"0 files would be reformatted, {len(SPECS)} unchanged" in capsys.readouterr().err


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_formatted(spec: Path):
    text = spec.read_text()
    assert format_text(text, str(spec)) == text, f"run `netspec fmt {spec.relative_to(ROOT)}`"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_spec_properties(spec: Path):
    assert_properties(spec.read_text())


def test_pre_commit_hooks_run_netspec_fmt():
    yaml = pytest.importorskip("yaml")
    offered = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert offered["netspec-fmt"]["entry"] == "netspec fmt"
    assert offered["netspec-fmt-check"]["entry"] == "netspec fmt --check"
    own = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in own["repos"] for h in repo["hooks"]}
    assert hooks["netspec-fmt"]["entry"] == ".venv/bin/netspec fmt"
    for hook in (*offered.values(), hooks["netspec-fmt"]):
        pattern = re.compile(hook["files"])
        assert pattern.search("specs/resnet50.netspec") and not pattern.search("netspec/api.py")
    assert re.match(hooks["netspec-fmt"]["exclude"], "tests/errors/bad_padding.netspec")
