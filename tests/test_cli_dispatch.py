"""The dispatch table of netspec/cli/main.py: each command imports only its own module.

`netspec check` must start fast: it loads no module of another command, nor pydantic
(only `netspec schema` needs it), nor torch. The top-level help is built from the table
without importing any command, and no module of cli/ imports cli/main.py.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest

from netspec.cli.main import COMMANDS, chosen_command, main
from tests.conftest import ROOT

CLI = ROOT / "netspec" / "cli"

# Runs the command line in a fresh interpreter, then lists what it had imported.
PROBE = """
import contextlib, io, json, sys
from netspec.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["modules"])


def commands_loaded(modules: set[str]) -> set[str]:
    return {name for name, entry in COMMANDS.items() if entry.module in modules}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_check_imports_only_what_it_runs(fmt):
    code, modules = imported("check", "resnet18", "--format", fmt)
    assert code == 0
    assert commands_loaded(modules) == {"check"}
    heavy = {"pydantic", "torch", "numpy", "onnx", "onnxruntime", "PIL"} & modules
    assert not heavy
    for package in ("netspec.teach", "netspec.training", "netspec.backends"):
        assert package not in modules
    assert ("rich" in modules) == (fmt == "table")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_imports_its_own_module_only(command):
    code, modules = imported(command, "--help")
    assert code == 0
    assert commands_loaded(modules) == {command}


def test_help_lists_the_table_without_importing_a_command(capsys):
    code, modules = imported("--help")
    assert code == 0 and commands_loaded(modules) == set()
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\w+)", out, re.MULTILINE)
    assert listed == list(COMMANDS)
    for entry in COMMANDS.values():
        assert " ".join(entry.help.split()[:3]) in " ".join(out.split())


def test_schema_is_the_only_command_that_imports_pydantic():
    code, modules = imported("schema")
    assert code == 0 and "pydantic" in modules
    code, modules = imported("diff", "lenet5", "lenet5", "--format", "json")
    assert code == 0 and "pydantic" not in modules


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_module_of_cli_imports_main(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        assert "netspec.cli.main" not in names, f"{path.name}:{node.lineno}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_module_has_the_interface(name):
    module = __import__(COMMANDS[name].module, fromlist=["run_command"])
    assert isinstance(module.DESCRIPTION, str) and module.DESCRIPTION
    assert callable(module.add_arguments) and callable(module.run_command)
    assert module.__doc__ and "Assumes" in module.__doc__ and "Guarantees" in module.__doc__


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        ([], None),
        (["check", "lenet5"], "check"),
        (["--version", "check"], "check"),
        (["-h"], None),
        (["--bogus", "draw", "conv"], "draw"),
        (["-", "check"], "-"),
        (["-1", "check"], "-1"),
        (["--", "diff", "a", "b"], "diff"),
        (["--"], None),
    ],
)
def test_the_command_is_read_as_argparse_reads_it(argv, command):
    assert chosen_command(argv) == command


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        ([], 2, "the following arguments are required: COMMAND"),
        (
            ["bogus"],
            2,
            "invalid choice: 'bogus' (choose from 'check', 'diff', 'fmt', 'sizes', 'schema',",
        ),
        (["check"], 2, "the following arguments are required: spec"),
        (["check", "lenet5", "extra"], 2, "unrecognized arguments: extra"),
        (["--frob", "check", "lenet5"], 2, "netspec: error: unrecognized arguments: --frob"),
    ],
)
def test_misuse_exits_2_as_argparse_says_it(capsys, argv, code, says):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == code
    assert says in capsys.readouterr().err


def test_a_bad_set_is_misuse_for_every_command_that_takes_it(capsys):
    for argv in (["check", "lenet5"], ["build", "lenet5"], ["diff", "lenet5", "lenet5"]):
        assert main([*argv, "--set", "x"]) == 2
        assert capsys.readouterr().err == "netspec: error: --set expects NAME=VALUE, got 'x'\n"
    assert main(["diff", "lenet5", "lenet5", "--set-b", "x"]) == 2
    assert "--set expects NAME=VALUE, got 'x'" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith("netspec ")
