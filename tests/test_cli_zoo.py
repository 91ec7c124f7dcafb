"""`netspec zoo` and the 'did you mean' of a spec name that is not in the zoo."""

from __future__ import annotations

import re

import pytest

from netspec.api import check, load
from netspec.cli.main import main
from netspec.errors import CompileError
from netspec.units import si
from netspec.zoo import similar_zoo_names, zoo_names
from tests.modern_zoo import MODERN, RECURRENT, TRANSFORMERS


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_zoo_lists_every_spec_with_check_totals(capsys):
    code, out, err = run(capsys, "zoo")
    assert code == 0 and err == ""
    header, *lines = out.splitlines()
    assert header.split() == ["name", "parameters", "multiply-adds", "source"]
    rows = {line.split()[0]: line for line in lines}
    assert sorted(rows) == zoo_names() and len(lines) == len(rows) == 18 + len(MODERN) + len(
        TRANSFORMERS
    ) + len(RECURRENT)
    for name, line in rows.items():
        [analysis] = check(load(name))
        totals = analysis.totals
        assert f" {totals.params:,} " in line, name
        assert f" {si(totals.macs)} " in line, name


def test_zoo_names_each_spec_source(capsys):
    _, out, _ = run(capsys, "zoo")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["resnet50"].endswith("He et al., CVPR 2016")
    assert rows["vgg16"].endswith("Simonyan & Zisserman, ICLR 2015")
    assert rows["densenet121"].endswith("Huang et al., CVPR 2017")
    assert rows["mlp"].endswith("course note 003")
    assert rows["lenet5"].endswith(" -")  # its file opens with no header comment


def test_zoo_is_listed_after_schema_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert re.search(r"schema .*\n\s+zoo\s+list the bundled specs", out)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("lenet", ["lenet5", "lenet5_d2l"]),
        ("resnet-18", ["resnet18"]),
        ("ResNet_50", ["resnet50"]),
        ("mobilenet-v2", ["mobilenet_v2"]),
        ("resnt34", ["resnet34"]),
        ("transformer", []),
        ("dir/lenet", []),  # a path is not a zoo name
    ],
)
def test_similar_zoo_names(typed, meant):
    assert similar_zoo_names(typed) == meant


@pytest.mark.parametrize(
    ("typed", "help"),
    [
        ("lenet", "did you mean 'lenet5' or 'lenet5_d2l'?"),
        ("resnet-18", "did you mean 'resnet18'?"),
    ],
)
def test_unknown_spec_name_suggests_zoo_names(capsys, typed, help):
    code, out, err = run(capsys, "check", typed)
    assert code == 1 and out == ""
    assert f"error[E-file]: cannot read {typed}" in err
    assert f"= help: {help}" in err


def test_unknown_path_suggests_no_zoo_name():
    with pytest.raises(CompileError) as caught:
        load("examples/lenet5")
    [diag] = caught.value.diagnostics
    assert not any("did you mean" in h for h in diag.help)
