"""The VS Code extension (editors/vscode/): its manifest has what VS Code needs, the
grammar it contributes is the editors' grammar, extension.js starts `netspec lsp` (run
under Node with `vscode` and `vscode-languageclient` stubbed, so no npm install), and
that command runs. Node and the `lsp` command may be missing: those tests then skip,
saying why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netspec.cli.main import COMMANDS
from tests.conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"
MANIFEST = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
NODE = shutil.which("node")

# Runs activate() with stand-ins for VS Code's API and the language client, then a change
# of `netspec.path`, the restart command and deactivate(); prints what it recorded.
HARNESS = r"""
const Module = require("module");
let config = JSON.parse(process.env.NETSPEC_CONFIG);
const made = [], errors = [], listeners = [], commands = {};
const vscode = {
  workspace: {
    getConfiguration: (section) => ({ get: (key) => config[`${section}.${key}`] }),
    onDidChangeConfiguration: (fn) => { listeners.push(fn); return { dispose() {} }; },
  },
  commands: { registerCommand: (name, fn) => { commands[name] = fn; return { dispose() {} }; } },
  window: { showErrorMessage: (message) => { errors.push(message); } },
};
class LanguageClient {
  constructor(id, name, server, options) {
    this.record = { id, name, server, options, stopped: false };
    made.push(this.record);
  }
  async start() { if (process.env.NETSPEC_FAIL) throw new Error("spawn netspec ENOENT"); }
  async stop() { this.record.stopped = true; }
}
const stubs = { vscode, "vscode-languageclient/node": { LanguageClient } };
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in stubs ? stubs[request] : load.call(this, request, ...rest);
};
(async () => {
  const extension = require(process.env.NETSPEC_EXTENSION);
  const context = { subscriptions: [] };
  await extension.activate(context);
  config = { "netspec.path": "/opt/venv/bin/netspec", "netspec.inlayHints.parameters": true };
  for (const fn of listeners) fn({ affectsConfiguration: (s) => s === "netspec.path" });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await commands["netspec.restartServer"]();
  await extension.deactivate();
  const subscriptions = context.subscriptions.length;
  console.log(JSON.stringify({ made, errors, commands: Object.keys(commands), subscriptions }));
})();
"""


def run_extension(config: dict[str, str], fail: bool = False) -> dict:
    if NODE is None:
        pytest.skip("node is not installed: extension.js cannot be run")
    env = dict(os.environ, NETSPEC_CONFIG=json.dumps(config))
    env["NETSPEC_EXTENSION"] = str(EXTENSION / MANIFEST["main"])
    env.pop("NETSPEC_FAIL", None)
    if fail:
        env["NETSPEC_FAIL"] = "1"
    done = subprocess.run(
        [NODE, "-e", HARNESS], capture_output=True, text=True, env=env, timeout=30, check=True
    )
    return json.loads(done.stdout)


def test_the_manifest_has_what_vs_code_needs():
    for field in ("name", "publisher", "version", "main", "engines"):
        assert MANIFEST[field], field
    assert MANIFEST["engines"]["vscode"].startswith("^1.")
    assert (EXTENSION / MANIFEST["main"]).is_file()
    assert "onLanguage:netspec" in MANIFEST["activationEvents"]
    [language] = MANIFEST["contributes"]["languages"]
    assert language["id"] == "netspec" and language["extensions"] == [".netspec"]
    assert "vscode-languageclient" in MANIFEST["dependencies"]
    settings = MANIFEST["contributes"]["configuration"]["properties"]
    assert settings["netspec.path"]["default"] == "netspec"
    assert settings["netspec.inlayHints.parameters"]["default"] is False


def test_the_language_configuration_comments_brackets_and_pairs():
    [language] = MANIFEST["contributes"]["languages"]
    config = json.loads((EXTENSION / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert {tuple(pair) for pair in config["brackets"]} == {("{", "}"), ("[", "]"), ("(", ")")}
    closing = {(pair["open"], pair["close"]) for pair in config["autoClosingPairs"]}
    assert {("{", "}"), ("[", "]"), ("(", ")"), ('"', '"'), ("'", "'")} <= closing


def test_the_grammar_it_contributes_is_the_editors_grammar():
    [grammar] = MANIFEST["contributes"]["grammars"]
    assert grammar["language"] == "netspec" and grammar["scopeName"] == "source.netspec"
    contributed = EXTENSION / grammar["path"]
    assert contributed.is_file()
    # a copy, since a .vsix holds only the extension's folder; `vscode:prepublish` renews it
    canonical = ROOT / "editors" / "netspec.tmLanguage.json"
    assert contributed.read_bytes() == canonical.read_bytes(), (
        "copy editors/netspec.tmLanguage.json to editors/vscode/syntaxes/"
    )
    assert "../netspec.tmLanguage.json" in MANIFEST["scripts"]["vscode:prepublish"]


def test_the_extension_starts_netspec_lsp_over_stdio():
    ran = run_extension({})
    first, second, third = ran["made"]
    assert first["server"] == {"command": "netspec", "args": ["lsp"]}  # no --stdio flag
    assert first["id"] == "netspec" and first["stopped"]
    assert {"scheme": "file", "language": "netspec"} in first["options"]["documentSelector"]
    assert first["options"]["initializationOptions"] == {"inlayParameters": False}
    # a new `netspec.path` restarts the server with it, and so does the command
    assert second["server"]["command"] == third["server"]["command"] == "/opt/venv/bin/netspec"
    assert second["options"]["initializationOptions"] == {"inlayParameters": True}
    assert second["stopped"] and third["stopped"] and ran["errors"] == []
    assert ran["commands"] == ["netspec.restartServer"]
    assert ran["commands"] == [c["command"] for c in MANIFEST["contributes"]["commands"]]
    assert ran["subscriptions"] == 2


def test_a_server_that_does_not_start_names_the_setting():
    ran = run_extension({"netspec.path": "/nowhere/netspec"}, fail=True)
    message = ran["errors"][0]
    assert "/nowhere/netspec lsp" in message and "netspec.path" in message
    assert "pip install 'netspec[lsp]'" in message


def lsp_command_lines() -> list[list[str]]:
    """`netspec lsp --help` by the installed entry point (beside this Python, as in a
    virtual environment, or on PATH) and by `python -m netspec`."""
    if "lsp" not in COMMANDS:
        pytest.skip("`netspec lsp` is not registered yet in netspec/cli/main.py COMMANDS")
    lines = [[sys.executable, "-m", "netspec", "lsp", "--help"]]
    beside = Path(sys.executable).parent / "netspec"
    entry = str(beside) if beside.is_file() else shutil.which("netspec")
    if entry is not None:
        lines.append([entry, "lsp", "--help"])
    return lines


def test_the_command_it_spawns_runs():
    for line in lsp_command_lines():
        done = subprocess.run(line, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (line, done.stderr)
        assert "netspec lsp" in done.stdout, line
