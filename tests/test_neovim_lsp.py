"""`netspec lsp` driven by Neovim's own LSP client (headless), where Neovim is installed.

Another client than the tests' pygls one: Neovim (0.7 and later) starts the server,
opens ResNet-50 with a checkpoint a size off, and sends what it types as incremental
changes. tests/neovim_lsp.lua does the editing and writes what Neovim received: the
diagnostic at its place, a hover, the inlay hints, no diagnostic once the checkpoint is
mended, and the next one's diagnostic once another is broken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("pygls")
NVIM = shutil.which("nvim")


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed")
def test_neovim_shows_diagnostics_hover_and_hints_as_it_edits(tmp_path: Path):
    text = (ROOT / "specs" / "resnet50.netspec").read_text(encoding="utf-8")
    broken = text.replace("-> [N, 256, 56, 56]", "-> [N, 256, 56, 57]")
    assert broken != text
    spec = tmp_path / "resnet50.netspec"
    spec.write_text(broken, encoding="utf-8")
    out = tmp_path / "seen.txt"
    env = {**os.environ, "NETSPEC_PYTHON": sys.executable, "NETSPEC_OUT": str(out)}
    script = ROOT / "tests" / "neovim_lsp.lua"
    command = [NVIM, "--headless", "-u", "NONE", "-i", "NONE", str(spec), "-c", f"luafile {script}"]
    subprocess.run(command, cwd=tmp_path, env=env, timeout=120, check=True, capture_output=True)
    seen = out.read_text(encoding="utf-8").splitlines()
    lines = text.splitlines()
    layer1 = next(i for i, line in enumerate(lines) if "layer1 =" in line)
    layer3 = next(i for i, line in enumerate(lines) if "layer3 =" in line)
    stem = next(i for i, line in enumerate(lines) if line.startswith("    stem"))
    assert seen[0] == "opened true"
    assert seen[1].startswith(f"diagnostic {layer1}:") and seen[1].endswith("E-checkpoint")
    assert "hover **statement** `layer1` in `ResNet50`" in seen
    assert f"hint {stem}  [N, 64, 56, 56]" in seen
    assert "mended true" in seen and "broken true" in seen
    assert seen[-1].startswith(f"diagnostic {layer3}:") and seen[-1].endswith("E-checkpoint")
