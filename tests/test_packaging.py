"""An installed (non-editable) wheel carries the grammar and the zoo and works by itself;
the README's test command installs everything the tests need, and CI runs that command.

Builds the wheel with hatchling (in the `test` extra, so no network is needed), installs
it into a scratch directory and runs it from outside the checkout, so that nothing can
be found through the source tree.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    pytest.importorskip("hatchling")
    dist = tmp_path_factory.mktemp("dist")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("netspec-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    return {"wheel": str(wheel), "target": str(target), "env": env}  # type: ignore[dict-item]


def test_wheel_contains_grammar_and_zoo(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert "netspec/_data/grammars/netspec.lark" in names
    assert "netspec/_data/specs/lenet5.netspec" in names
    assert "netspec/_data/specs/resnet50.netspec" in names
    assert "netspec/_data/docs/tutorial.md" in names  # netspec train --data text's corpus


def test_wheel_carries_the_playground(installed, tmp_path):
    """The page, its assets, its sample images and the exercises it opens ship in the
    wheel (issue 17: no Node or network at install or run time)."""
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for folder in ("static", "samples"):  # the page's assets, the activations' images
        for asset in (ROOT / "netspec" / "serve" / folder).iterdir():
            assert f"netspec/serve/{folder}/{asset.name}" in names
    for exercise in (ROOT / "examples" / "exercises").rglob("*.*"):
        relative = exercise.relative_to(ROOT).as_posix()
        assert f"netspec/_data/{relative}" in names
    probe = (
        "from netspec.serve.tasks import run_task\n"
        "e = run_task({'task': 'exercises', 'name': '01_mnist_without_padding'})\n"
        "print(len(e['hint']) > 40, 'padding=2' in e['solution'])\n"
    )
    assert _probe(installed, tmp_path, probe).split() == ["True", "True"]


def _probe(installed, tmp_path, code: str) -> str:
    """What `code` prints, run by the installed wheel's interpreter outside the checkout."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=installed["env"],
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_installed_wheel_reads_the_packaged_corpus(installed, tmp_path):
    probe = (
        "from netspec.training.corpus import CORPUS, load_text\n"
        "symbols, note = load_text('text')\n"
        "print(len(symbols) > 100_000, len(CORPUS))\n"
        "print(note)\n"
    )
    first, note = _probe(installed, tmp_path, probe).splitlines()
    assert first == "True 11"
    assert f"from {installed['target']}" in note  # the wheel's copy, not the checkout's


def test_installed_wheel_checks_zoo_specs_by_name(installed, tmp_path):
    probe = (
        "import netspec\n"
        "from netspec.syntax.parser import grammar_path\n"
        "print(netspec.__file__)\n"
        "print(grammar_path())\n"
        "[a] = netspec.check('resnet50')\n"
        "print(a.totals.params)\n"
    )
    module, grammar, params = _probe(installed, tmp_path, probe).split()
    assert module.startswith(installed["target"])
    assert grammar.startswith(installed["target"])
    assert params == "25557032"
    cli = subprocess.run(
        [sys.executable, "-m", "netspec", "check", "lenet5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=installed["env"],
    )
    assert cli.returncode == 0, cli.stderr
    assert "340,908" in cli.stdout


# ---- the test environment: README.md's command, the `test` extra, .ci/run ----------

DISTRIBUTIONS = {"PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml"}  # import -> package


def _test_command() -> str:
    """The command of README.md that runs the tests (the block that runs pytest)."""
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    [command] = [b for b in blocks if "pytest" in b]
    return command


def _extra(name: str) -> set[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["optional-dependencies"][name]
    return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_ci_runs_the_readme_test_command():
    command = _test_command()
    assert "-c constraints/test.txt" in command and "'.[test]'" in command
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in lines
    installs = [line for line in lines if "pip install" in line]
    assert installs == [command]  # the README's command does all the installing


def _imported_by_tests() -> set[str]:
    """The top-level modules the tests import: import statements at any level, and
    `pytest.importorskip("name")` calls."""
    names = set()
    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return {name.split(".")[0] for name in names}


def test_the_test_extra_has_every_package_a_test_imports():
    local = {"netspec", "tests", "__future__"} | set(sys.stdlib_module_names)
    needed = {DISTRIBUTIONS.get(n, n).lower() for n in _imported_by_tests() - local}
    assert {"torch", "onnxruntime", "scikit-learn"} <= needed  # the parser found them
    missing = needed - _extra("test") - {"lark", "pydantic", "rich"}  # core
    assert not missing, f"add to the test extra in pyproject.toml: {sorted(missing)}"
    assert "torchvision" not in needed  # its wheels here do not load with the CPU torch


def test_constraints_keep_torch_to_the_cpu_build():
    pins = (ROOT / "constraints" / "test.txt").read_text().splitlines()
    assert "torch==2.13.0" in pins
