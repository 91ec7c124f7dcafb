"""One op, one place: every op of the registry declares every fact about itself, and the
files that explain and lower it mirror its op family (CONTRIBUTING.md).

For each op: a diagram family of the legend, torchinfo and fvcore rules that answer for
a layer of it (with formula text), an explanation in netspec/ops/explain/<family>.py,
a PyTorch lowering in netspec/backends/torch/lowering/<family>.py and an ONNX lowering
in netspec/backends/onnx/lowering/<family>.py, where <family> is the file of
netspec/ops/ that defines the op. A fact an op does not declare is an error naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import netspec
from netspec.analysis.compat import FVCORE, TORCHINFO, formula
from netspec.backends.torch.lowering import LOWERINGS as TORCH_LOWERINGS
from netspec.ops import REGISTRY, Op, declared
from netspec.ops.base import ToolRule
from netspec.ops.counting import NOT_COUNTED
from netspec.teach.diagram.graph import family
from netspec.teach.diagram.style import FAMILY_STYLE
from tests.test_ops import _generic_call

PACKAGE = Path(netspec.__file__).parent
SHARED = {"__init__", "base", "records", "arith", "kinds", "counting", "mistakes"}
SHARED |= {"steps", "window"}  # netspec/ops/explain/'s shared steps
OPS = sorted(REGISTRY)


def _family_file(name: str) -> str:
    """`conv` for an op defined in netspec/ops/conv.py."""
    return type(REGISTRY[name]).__module__.rsplit(".", 1)[1]


def _layer(name: str) -> SimpleNamespace:
    """A layer of the op on the generic input of tests/test_ops.py, as the analysis has it."""
    op = REGISTRY[name]
    attrs, inputs, out = _generic_call(op)
    return SimpleNamespace(
        op=name,
        attrs=attrs,
        input_shapes=inputs,
        output_shape=out,
        description=op.describe(attrs),
        counts=op.counts(attrs, inputs, out),
        cost=op.cost(attrs, inputs, out),
    )


@pytest.mark.parametrize("name", OPS)
def test_every_op_declares_its_diagram_family(name):
    legend = set(FAMILY_STYLE) - {"block", "input", "output"}
    assert declared(REGISTRY[name], "family") in legend
    assert family(name) == REGISTRY[name].family


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("tool", ["torchinfo", "fvcore"])
def test_every_op_declares_its_counting_rules(name, tool):
    rule = declared(REGISTRY[name], tool)
    assert isinstance(rule, ToolRule)
    layer = _layer(name)
    figure = rule(layer)
    assert figure is None or (isinstance(figure, int) and figure >= 0)
    assert rule.formula(layer).strip()
    table = TORCHINFO if tool == "torchinfo" else FVCORE
    assert table[name] is rule and formula(table, layer) == rule.formula(layer)


@pytest.mark.parametrize("name", OPS)
def test_torchinfo_counts_exactly_the_ops_with_parameters(name):
    # torchinfo's Mult-Adds come from a module's parameters: none, nothing counted
    layer = _layer(name)
    rule = declared(REGISTRY[name], "torchinfo")
    if name == "param":  # a bare nn.Parameter: its own rule (ops/learned.py)
        assert rule(layer) == 0
        assert rule(SimpleNamespace(**vars(layer), path="b.pos_bias")) is None
    elif layer.counts.params:
        assert rule is not NOT_COUNTED, f"{name} has parameters that torchinfo counts"
        assert rule(layer) > 0
    else:
        assert rule(layer) == 0


@pytest.mark.parametrize("name", OPS)
def test_every_explanation_is_in_its_family_file(name):
    explain = type(REGISTRY[name]).explain
    assert explain is not Op.explain, f"{name} has no explanation"
    assert explain.__module__ == f"netspec.ops.explain.{_family_file(name)}"


@pytest.mark.parametrize("name", OPS)
def test_every_op_has_a_torch_lowering_in_its_family_file(name):
    assert name in TORCH_LOWERINGS, f"{name} has no PyTorch lowering"
    module = TORCH_LOWERINGS[name].__module__
    assert module == f"netspec.backends.torch.lowering.{_family_file(name)}"


@pytest.mark.parametrize("name", OPS)
def test_every_op_has_an_onnx_lowering_in_its_family_file(name):
    pytest.importorskip("onnx")
    from netspec.backends.onnx.lowering import LOWERINGS

    assert name in LOWERINGS, f"{name} has no ONNX lowering"
    module = LOWERINGS[name].__module__
    assert module == f"netspec.backends.onnx.lowering.{_family_file(name)}"


def _modules(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.py")} - SHARED


@pytest.mark.parametrize(
    "folder", ["ops/explain", "backends/torch/lowering", "backends/onnx/lowering"]
)
def test_each_folder_mirrors_the_op_families(folder):
    families = {_family_file(name) for name in REGISTRY}
    assert _modules(PACKAGE / "ops") == families
    assert _modules(PACKAGE / folder) == families


class _Undeclared(Op):
    name = "undeclared"


def test_a_fact_an_op_does_not_declare_is_an_error_naming_it(monkeypatch):
    monkeypatch.setitem(REGISTRY, "undeclared", _Undeclared())
    for fact in ("family", "torchinfo", "fvcore"):
        with pytest.raises(NotImplementedError, match=f"op 'undeclared' has no {fact} rule"):
            declared(REGISTRY["undeclared"], fact)
    with pytest.raises(NotImplementedError, match="'undeclared'"):
        family("undeclared")  # not "other"
    for table in (TORCHINFO, FVCORE):
        with pytest.raises(NotImplementedError, match="'undeclared'"):
            table.get("undeclared")  # not None, which would read as "no formula"
    assert TORCHINFO.get("no such op") is None


def test_readme_vocabulary_lists_every_op():
    text = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## The vocabulary") : text.index("## PyTorch: build and train")]
    missing = [name for name in OPS if not re.search(rf"`{name}\b", table)]
    assert not missing, f"README.md's vocabulary does not list {missing}"
