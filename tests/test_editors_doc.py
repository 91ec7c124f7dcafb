"""docs/editors.md's configuration snippets: the Helix TOML parses and starts
`netspec lsp` for .netspec files; every Lua block compiles (where Neovim is installed)
and the server command it names is `netspec lsp`; the settings table lists the VS Code
extension's settings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
NVIM = shutil.which("nvim")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11's")
def test_the_helix_configuration_starts_the_server_for_netspec_files():
    import tomllib

    [block] = blocks("toml")
    config = tomllib.loads(block)
    server = config["language-server"]["netspec"]
    assert [server["command"], *server["args"]] == ["netspec", "lsp"]
    [language] = config["language"]
    assert language["file-types"] == ["netspec"] and language["language-servers"] == ["netspec"]
    assert language["scope"] == "source.netspec" and language["comment-token"] == "#"


def test_the_lua_blocks_name_the_server_and_compile(tmp_path):
    lua = blocks("lua")
    assert len(lua) == 4
    assert sum('cmd = { "netspec", "lsp" }' in block for block in lua) == 2
    if NVIM is None:
        pytest.skip("Neovim is not installed: the Lua blocks cannot be compiled")
    for i, block in enumerate(lua):
        path = tmp_path / f"block{i}.lua"
        path.write_text(block)
        # nvim's exit status is 0 after an error in -c: exit 1 by hand
        check = f"lua if not loadstring(io.open([[{path}]]):read('*a')) then os.exit(1) end"
        subprocess.run([NVIM, "--headless", "-u", "NONE", "-c", check, "-c", "qa!"], check=True)


def test_the_settings_table_lists_the_extensions_settings():
    manifest = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text())
    settings = manifest["contributes"]["configuration"]["properties"]
    listed = set(re.findall(r"^\| `(netspec\.[\w.]+)` \|", DOC, re.M))
    assert listed == set(settings)
