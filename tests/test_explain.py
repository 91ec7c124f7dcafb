"""`netspec explain SPEC [LAYER]`: every number it prints is the analysis's number.

Each op's explanation (Op.explain) computes its figures from the formulas its steps
show; these tests hold them against the op's own rules for every op of the registry,
and against the analysis for every layer of every zoo spec and of random specs
(tests/spec_strategies.py), receptive fields included. LeNet-5's figures are checked
against the paper's table as the reference and the course notes write them.
"""

from __future__ import annotations

import re

import pytest

from netspec.api import check, check_text
from netspec.ops import REGISTRY
from netspec.ops.explain.steps import Explanation, Section, n
from netspec.teach.explain.field import show_field
from netspec.teach.explain.network import (
    UnknownLayer,
    choose,
    explain_layer,
    explain_network,
    select,
)
from tests.conftest import SPECS
from tests.spec_strategies import random_network
from tests.test_ops import _generic_call

ZOO = sorted(p.stem for p in SPECS.glob("*.netspec"))
FIGURES = ("output size", "parameters", "connections", "multiply-adds", "FLOPs")


def _value(steps_result: str) -> int:
    return int(steps_result.replace(",", ""))


# --- every op explains every figure ----------------------------------------------------


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_op_has_an_explanation(name):
    op = REGISTRY[name]
    attrs, inputs, out = _generic_call(op)
    e = op.explain(attrs, inputs, out)  # the base class raises NotImplementedError
    assert isinstance(e, Explanation)
    for field, section in zip(e._fields, e, strict=True):
        assert isinstance(section, Section)
        assert not section.missing, f"{name} does not explain its {field}"
        assert section.rule.strip(), f"{name}: the {field} section has no rule"
    for section in e[:5]:
        assert section.steps, f"{name}: a figure without steps"
    assert e.shape.value == out
    assert e.params.value == op.counts(attrs, inputs, out)
    assert e.connections.value == op.connections(attrs, inputs, out)
    assert (e.macs.value, e.flops.value) == tuple(op.cost(attrs, inputs, out))
    assert e.window.value == op.receptive(attrs, inputs, out)


# --- every layer of the zoo and of random specs ---------------------------------------


def _assert_matches(analysis, explanations):
    for layer, e in zip(analysis.layers, explanations, strict=True):
        where = f"{analysis.name} {layer.path}"
        sections = dict(e.sections)
        for section in sections.values():
            labels = [s.label for s in section.steps]
            assert "analysis" not in labels, f"{where}: steps disagree with the analysis"
            assert not section.missing, where
        assert sections["output size"].value == layer.output_shape, where
        assert sections["parameters"].value == layer.counts, where
        assert sections["connections"].value == layer.connections, where
        assert sections["multiply-adds"].value == layer.cost.macs, where
        assert sections["FLOPs"].value == layer.cost.flops, where
        assert sections["receptive field"].value == layer.receptive_field, where
        if analysis.graph.sizes is not None:
            continue  # symbolic sizes: equal at the size traced, above; written otherwise
        # the last step prints the figure: the analysis's number, formatted as in reports
        for title, figure in (
            ("connections", layer.connections),
            ("multiply-adds", layer.cost.macs),
            ("FLOPs", layer.cost.flops),
        ):
            assert sections[title].steps[-1].result == n(figure), (where, title)


@pytest.mark.parametrize("spec", ZOO)
def test_zoo_explanations_are_the_analysis(spec):
    for analysis in check(spec):
        indices = list(range(len(analysis.layers)))
        _assert_matches(analysis, explain_network(analysis, indices))


@pytest.mark.parametrize("seed", range(0, 400, 10))
def test_random_spec_explanations_are_the_analysis(seed):
    for analysis in check_text(random_network(seed)):
        _assert_matches(analysis, explain_network(analysis, list(range(len(analysis.layers)))))


def _floor_axes(steps) -> set[str]:
    return {s.label for s in steps if s.note.startswith("floor drops")}


@pytest.mark.parametrize("spec", ["alexnet", "googlenet", "resnet50", "squeezenet1_1", "unet"])
def test_floor_notes_are_the_w_floor_warnings(spec):
    """A step says floor drops rows exactly where the op warns W-floor (same function)."""
    for analysis in check(spec):
        for layer in analysis.layers:
            op = REGISTRY[layer.op]
            attrs = dict(layer.attrs)
            e = op.explain(attrs, layer.input_shapes, layer.output_shape)
            warned = {
                axis
                for w in op.warnings(attrs, layer.input_shapes, layer.output_shape)
                if w.code == "W-floor"
                for axes in re.findall(r"along ((?:\w+, )*\w+(?: and \w+)?),", w.message)
                for axis in re.split(r", | and ", axes)
            }
            assert _floor_axes(e.shape.steps) == warned, layer.path


# --- the worked numbers of the paper, the reference and the course notes -------------


def _lenet():
    (analysis,) = check("lenet5")
    return {e.path: dict(e.sections) for e in explain_network(analysis, list(range(14)))}


def _step(section: Section, label: str):
    return next(s for s in section.steps if s.label == label)


def test_lenet5_layer_by_layer_as_the_notes_write_it():
    lenet = _lenet()
    # feature-map size (32 - 5 + 2·0)/1 + 1 = 28, in PyTorch's form with the dilation
    h = _step(lenet["C1.conv"]["output size"], "H")
    assert (h.formula, h.result) == ("(32 + 2·0 - 1·(5-1) - 1)/1 + 1", "28")
    # notes 001: (5 × 5 + 1) × 6 × (28 × 28) = 122304 connections
    c1 = lenet["C1.conv"]["connections"].steps[-1]
    assert (c1.formula, c1.result) == ("(5·5 + 1)·6·28·28", "122,304")
    weights = _step(lenet["C1.conv"]["parameters"], "weights")
    assert (weights.formula, weights.result) == ("6·1·5·5", "150")
    assert lenet["C1.conv"]["parameters"].steps[-1].result == "156"
    # S2: 6 x 14 x 14 x (4 + 1) = 5,880 connections, 12 = 6 x 2 parameters
    s2 = lenet["S2.subsample"]
    assert (s2["connections"].steps[-1].formula, s2["connections"].steps[-1].result) == (
        "(2·2 + 1)·6·14·14",
        "5,880",
    )
    assert s2["parameters"].steps[-1].result == "12"
    # C3: the connection table, 1,516 parameters, 151,600 connections
    table = _step(lenet["C3.conv"]["parameters"], "table links")
    assert (table.formula, table.result) == ("6·3 + 9·4 + 1·6", "60")
    assert lenet["C3.conv"]["parameters"].steps[-1].result == "1,516"
    c3 = lenet["C3.conv"]["connections"].steps[-1]
    assert (c3.formula, c3.result) == ("(60·5·5 + 16)·10·10", "151,600")
    # S4 32 parameters, 2,000 connections
    assert lenet["S4.subsample"]["parameters"].steps[-1].result == "32"
    assert lenet["S4.subsample"]["connections"].steps[-1].result == "2,000"
    # notes 001: (5 × 5 × 16 + 1) × 120 = 48120; (120 + 1) × 84 = 10164
    c5 = lenet["C5.conv"]["connections"].steps[-1]
    assert (c5.formula, c5.result) == ("(16·5·5 + 1)·120·1·1", "48,120")
    assert lenet["C5.conv"]["parameters"].steps[-1].result == "48,120"
    f6 = lenet["F6.linear"]["connections"].steps[-1]
    assert (f6.formula, f6.result) == ("(120 + 1)·84", "10,164")
    assert lenet["F6.linear"]["parameters"].steps[-1].result == "10,164"
    # the RBF output: 840 fixed parameters, 840 connections
    out = lenet["output"]
    assert (out["parameters"].value.fixed, out["connections"].steps[-1].result) == (840, "840")


def test_lenet5_totals_are_the_reference_table(reference):
    lenet = _lenet()
    params = sum(s["parameters"].value.trainable for s in lenet.values())
    links = sum(s["connections"].value for s in lenet.values())
    assert (params, links) == (60_000, 340_908)


def test_feature_map_examples():
    """The size formula's classic examples: 32x32 input, 5x5 kernels, stride 1."""
    text = """network F {
        input x: [N, 3, 32, 32]
        valid = conv(10, 5)
        from x
        same = conv(10, 5, padding=2)
    }"""
    (a,) = check_text(text)
    rows = {e.path: dict(e.sections) for e in explain_network(a, [0, 1])}
    valid, same = rows["valid"], rows["same"]
    assert _step(valid["output size"], "H").result == "28"  # (32 - 5 + 2·0)/1 + 1
    h = _step(same["output size"], "H")
    assert (h.formula, h.result) == ("(32 + 2·2 - 1·(5-1) - 1)/1 + 1", "32")
    # parameter sharing: 5·5·3 = 75 weights per filter, 10 filters, 10 biases: 760
    assert _step(same["parameters"], "weights").formula == "10·3·5·5"
    assert same["parameters"].steps[-1].result == "760"


def test_alexnet_at_224_drops_a_row_and_a_column():
    """The paper's '224' with conv1 11x11 /4 and no padding: 54 outputs, row 223 unread."""
    text = "network A {\n    input image: [N, 3, 224, 224]\n    conv1 = conv(96, 11, stride=4)\n}"
    (a,) = check_text(text)
    (e,) = explain_network(a, [0])
    shape = dict(e.sections)["output size"]
    h, w = _step(shape, "H"), _step(shape, "W")
    assert h.formula == "floor((224 + 2·0 - 1·(11-1) - 1)/4) + 1 = floor(213/4) + 1"
    assert h.result == "54"
    assert "floor drops the last 1 input row (row 223 of 0-223)" in h.note
    assert "column 223" in w.note
    (a227,) = check("alexnet")
    (e227,) = explain_network(a227, select(a227, "conv1.conv"))
    assert _step(dict(e227.sections)["output size"], "H").note == ""  # 227 tiles exactly


def test_vgg16_pool5_receptive_field_is_the_reference():
    (a,) = check("vgg16")
    (index,) = select(a, "stage5.maxpool1")
    field = dict(explain_layer(a, index).sections)["receptive field"]
    assert show_field(field.value.axes[0]) == "r = 212, S = 32, P = 90"
    assert [s.result for s in field.steps[-3:]] == ["212", "32", "90"]


def test_a_merge_unites_its_branches():
    (a,) = check("resnet18")
    (index,) = [i for i in select(a, "layer2.basic1") if a.layers[i].op == "add"]
    steps = dict(explain_layer(a, index).sections)["receptive field"].steps
    labels = [s.label for s in steps]
    assert "H, W: branches" in labels and "H, W: P" in labels and "H, W: r" in labels
    assert _step(dict(explain_layer(a, index).sections)["receptive field"], "H, W: P").formula
    assert steps[labels.index("H, W: branches")].result.count("r = ") == 2


# --- choosing layers -------------------------------------------------------------------


def test_a_statement_chooses_its_layers():
    (a,) = check("lenet5")
    assert [a.layers[i].path for i in select(a, "C1")] == ["C1.conv", "C1.scaled_tanh"]
    assert [a.layers[i].path for i in select(a, "C1.conv")] == ["C1.conv"]
    (r,) = check("resnet18")
    assert all(r.layers[i].path.startswith("layer2.basic1.") for i in select(r, "layer2.basic1"))


@pytest.mark.parametrize(
    ("spec", "name", "hint"),
    [
        ("lenet5", "C7", "'C1'"),
        ("resnet18", "layer2.basic1.add1.0.conv3", "'layer2.basic1.add1.0.conv1'"),
    ],
)
def test_an_unknown_layer_names_the_closest(spec, name, hint):
    with pytest.raises(UnknownLayer, match=f"did you mean.*{re.escape(hint)}"):
        choose(check(spec), name)
