"""An installed (non-editable) wheel carries the grammar and the zoo and works by itself.

Builds the wheel with hatchling (a dev dependency, so no network is needed), installs
it into a scratch directory and runs it from outside the checkout, so that nothing can
be found through the source tree.
"""

from __future__ import annotations

import os
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


def test_installed_wheel_checks_zoo_specs_by_name(installed, tmp_path):
    probe = (
        "import netspec\n"
        "from netspec.syntax.parser import grammar_path\n"
        "print(netspec.__file__)\n"
        "print(grammar_path())\n"
        "[a] = netspec.check('resnet50')\n"
        "print(a.totals.params)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=installed["env"],
    )
    assert done.returncode == 0, done.stderr
    module, grammar, params = done.stdout.split()
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
