"""docs/tutorial.md shows real output: every `$ netspec ...` line of its console blocks
is run, and what it prints must be the text that follows it in the block.

`pytest tests/test_tutorial.py --update-goldens` writes today's output into the
tutorial (review the diff). Commands run in a temporary folder where `examples/` is the
repository's, so pictures they write land there; an SVG they write must be well-formed.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET

import pytest

from netspec.cli.main import main
from tests.conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.M | re.S)


def commands(block: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of one console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
    return [(cmd, "\n".join(out).rstrip()) for cmd, out in pairs]


def run(command: str, capsys) -> str:
    argv = shlex.split(command)
    assert argv[0] == "netspec", f"the tutorial runs only netspec commands: {command}"
    main(argv[1:])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip()


def render(block: str, outputs: dict[str, str]) -> str:
    lines = []
    for cmd, _ in commands(block):
        lines.append(f"$ {cmd}")
        if outputs[cmd]:
            lines.append(outputs[cmd])
    return "\n".join(lines) + "\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_tutorial_output_is_current(workdir, capsys, update_goldens):
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert len(blocks) >= 10, "the tutorial's console blocks were not found"
    stale = []
    for block in blocks:
        outputs = {cmd: run(cmd, capsys) for cmd, _ in commands(block)}
        for cmd, expected in commands(block):
            if outputs[cmd] != expected:
                stale.append(cmd)
        text = text.replace(block, render(block, outputs), 1)
    for svg in workdir.glob("*.svg"):
        ET.parse(svg)  # well-formed
    if update_goldens:
        TUTORIAL.write_text(text, encoding="utf-8")
        return
    assert not stale, f"docs/tutorial.md shows old output for: {stale} (--update-goldens)"


def test_tutorial_pictures_exist():
    text = TUTORIAL.read_text(encoding="utf-8")
    for link in re.findall(r"\]\((pictures/[^)]+)\)", text):
        assert (TUTORIAL.parent / link).is_file(), link
