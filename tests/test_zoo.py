"""The zoo against the world: every figure here comes from the reference files
(tests/data/reference: papers, torchvision, hand-built PyTorch models) or from a
spec's header, whose figures were verified on hand-built PyTorch models. Nothing is
compared with netspec's own earlier output.
"""

from __future__ import annotations

import re
from functools import cache
from math import prod

import pytest

from netspec.analysis import Analysis
from netspec.api import check, check_text
from tests.conftest import SPECS, load_reference
from tests.modern_zoo import MODERN, RECURRENT, TRANSFORMERS

FIGURES = load_reference("figures.json")
ZOO = sorted(p.stem for p in SPECS.glob("*.netspec"))


@cache
def _check(name: str, overrides: tuple = ()) -> tuple[Analysis, ...]:
    return tuple(check(str(SPECS / f"{name}.netspec"), overrides=dict(overrides) or None))


def analysis(name: str, **overrides) -> Analysis:
    analyses = _check(name, tuple(sorted(overrides.items())))
    assert len(analyses) == 1, f"{name}: expected one network, got {len(analyses)}"
    return analyses[0]


def sample(shape) -> tuple:
    """A shape without its batch dimension (the reference figures are per sample)."""
    return tuple(shape[1:])


def attrs_of(a: Analysis, layer) -> dict:
    """The normalised attributes of one layer (its graph node)."""
    (node,) = [n for n in a.graph.nodes if n.path == layer.path]
    return dict(node.attrs)


def spec_text(name: str) -> str:
    return (SPECS / f"{name}.netspec").read_text(encoding="utf-8")


# --- every zoo spec checks, and has its totals pinned ---------------------------------

_TV = FIGURES["torchvision"]
_ALEX = FIGURES["alexnet_family"]

# name -> (trainable params, fixed params, buffers, connections or None), with sources.
TOTALS = {
    # LeCun et al. 1998: 60,000 trainable; output RBF 10 x 84 = 840 fixed; 340,908 links.
    "lenet5": (
        FIGURES["lenet5"]["total_trainable_params"],
        10 * 84,
        0,
        FIGURES["lenet5"]["total_connections"],
    ),
    # d2l LeNet: 61,706 (reference README).
    "lenet5_d2l": (61_706, 0, 0, None),
    # W 10 x 3072 + b 10 (spec header, CS231n).
    "linear_cifar10": (10 * 3072 + 10, 0, 0, None),
    "alexnet": (_ALEX["krizhevsky2012_2gpu"]["at_227_nopad"]["total_params"], 0, 0, None),
    "alexnet_torchvision": (
        _TV["alexnet"]["computed_num_params"],
        0,
        _TV["alexnet"]["buffers_numel"],
        None,
    ),
    "vgg16": (FIGURES["vgg16_D"]["total_params"], 0, _TV["vgg16"]["buffers_numel"], None),
    "resnet18": (
        _TV["resnet18"]["computed_num_params"],
        0,
        _TV["resnet18"]["buffers_numel"],
        None,
    ),
    "resnet50": (
        _TV["resnet50"]["computed_num_params"],
        0,
        _TV["resnet50"]["buffers_numel"],
        None,
    ),
    # Spec header (hand-built PyTorch model): 6,998,552; no batch norm, so no buffers.
    "googlenet": (6_998_552, 0, 0, None),
    # Spec header (hand-built PyTorch model): 31,030,658; no batch norm.
    "unet": (31_030_658, 0, 0, None),
    # Spec header: 538,122. Buffers as PyTorch's BatchNorm1d saves them: running mean and
    # variance per feature + num_batches_tracked: (2 * 512 + 1) + (2 * 256 + 1) = 1,538.
    "mlp": (538_122, 0, (2 * 512 + 1) + (2 * 256 + 1), None),
    # The six below: measured on torchvision 0.28's models (get_model(name, weights=None),
    # torch 2.13): sum(p.numel() for p in model.parameters()) and the same over
    # model.buffers() (BN running mean + var + num_batches_tracked, 2C + 1 per BN).
    # num_params of the IMAGENET1K_V1 weights agrees for each.
    # mobilenet_v2: 3,504,872 parameters, 34,164 buffer elements (52 BN).
    "mobilenet_v2": (3_504_872, 0, 34_164, None),
    # densenet121: 7,978,856 parameters, 83,769 buffer elements (121 BN).
    "densenet121": (7_978_856, 0, 83_769, None),
    # squeezenet1_1: 1,235,496 parameters; no batch norm, no buffers.
    "squeezenet1_1": (1_235_496, 0, 0, None),
    # vgg16_bn: 138,365,992 parameters, 8,461 buffer elements (13 BN over 4,224 channels).
    "vgg16_bn": (138_365_992, 0, 8_461, None),
    # resnet34: 21,797,672 parameters, 17,060 buffer elements (36 BN).
    "resnet34": (21_797_672, 0, 17_060, None),
    # resnet101: 44,549,160 parameters, 105,448 buffer elements (104 BN).
    "resnet101": (44_549_160, 0, 105_448, None),
    # Issue 14's table (torchvision 0.28 models with default arguments; buffers include
    # num_batches_tracked); tools/modern_zoo_figures.py recomputes them where torchvision
    # loads. regnet_y_400mf: 4,344,144 parameters, 27,205 buffer elements.
    **{name: (params, 0, buffers, None) for name, (params, buffers, _) in MODERN.items()},
    **{n: (params, 0, buffers, None) for n, (params, buffers, _) in TRANSFORMERS.items()},
    **{n: (params, 0, buffers, None) for n, (params, buffers, _) in RECURRENT.items()},
    # gpt_tiny: its header's sum, embedding 16,384 + positions 4,096 + 2 layers x 49,984 +
    # final layer norm 128 + head 16,640 (no reference model: it is netspec's own example).
    "gpt_tiny": (137_216, 0, 0, None),
}

# Conv + linear multiply-adds at batch 1, 224x224, bias excluded (torchvision's "GFLOPS"
# convention) of every zoo spec that has an exact torchvision counterpart: for each
# Conv2d out.numel() x in_channels / groups x kh x kw, for each Linear
# out.numel() x in_features, summed over the forward pass of torchvision's model.
# alexnet_torchvision, vgg16, resnet50: totals.macs of tests/data/reference/alexnet.json,
# vgg16.json, resnet50.json; resnet18: its spec header. All ten (these four too) measured
# with forward hooks on torchvision 0.28's models (get_model(name, weights=None), torch
# 2.13, input 1x3x224x224). Each agrees with the GFLOPS of its IMAGENET1K_V1 weights to
# the digits given there.
TORCHVISION_MACS = {
    "alexnet_torchvision": 714_188_480,  # GFLOPS 0.714
    "vgg16": 15_470_264_320,  # GFLOPS 15.47
    "resnet18": 1_814_073_344,  # GFLOPS 1.814
    "resnet50": 4_089_184_256,  # GFLOPS 4.089
    "resnet34": 3_663_761_408,  # GFLOPS 3.664
    "resnet101": 7_801_405_440,  # GFLOPS 7.801
    "vgg16_bn": 15_470_264_320,  # GFLOPS 15.47 (batch norm adds no multiply-adds)
    "mobilenet_v2": 300_774_272,  # GFLOPS 0.301
    "densenet121": 2_834_161_664,  # GFLOPS 2.834
    "squeezenet1_1": 349_151_936,  # GFLOPS 0.349
    # Issue 14's table: torch.utils.flop_counter's count of torchvision's model, halved.
    **{name: macs for name, (_, _, macs) in MODERN.items()},
    **{name: macs for name, (_, _, macs) in TRANSFORMERS.items()},
    **{name: macs for name, (_, _, macs) in RECURRENT.items()},  # issue 16's figure
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_MACS))
def test_multiply_adds_equal_torchvision(name):
    assert analysis(name).totals.macs == TORCHVISION_MACS[name]


@pytest.mark.parametrize("name", ZOO)
def test_zoo_spec_checks_without_errors(name):
    analyses = _check(name)  # a CompileError would fail the test here
    assert analyses, f"{name}: no network checked"
    for a in analyses:
        assert a.layers, f"{name}: network {a.name} has no layers"


def test_every_zoo_spec_has_reference_totals():
    assert sorted(TOTALS) == ZOO, "add the reference totals of new zoo specs to TOTALS"


@pytest.mark.parametrize("name", sorted(TOTALS))
def test_zoo_totals(name):
    trainable, fixed, buffers, connections = TOTALS[name]
    totals = analysis(name).totals
    assert totals.trainable_params == trainable
    assert totals.fixed_params == fixed
    assert totals.params == trainable + fixed
    assert totals.buffers == buffers
    if connections is not None:
        assert totals.connections == connections


# --- per-statement figures stated in the spec headers --------------------------------

# Every figure below is copied from the spec's header (verified there on a hand-built
# PyTorch model); statement name -> parameters.
HEADER_STATEMENT_PARAMS = {
    "lenet5_d2l": {"conv1": 156, "conv2": 2_416, "fc1": 48_120, "fc2": 10_164, "fc3": 850},
    "alexnet_torchvision": {
        "conv1": 23_296,
        "conv2": 307_392,
        "conv3": 663_936,
        "conv4": 884_992,
        "conv5": 590_080,
        "fc6": 37_752_832,
        "fc7": 16_781_312,
        "fc8": 4_097_000,
    },
    "vgg16": {
        "stage1": 38_720,
        "stage2": 221_440,
        "stage3": 1_475_328,
        "stage4": 5_899_776,
        "stage5": 7_079_424,
        "fc6": 102_764_544,
        "fc7": 16_781_312,
        "fc8": 4_097_000,
    },
    "resnet18": {
        "stem": 9_536,
        "layer1": 147_968,
        "layer2": 525_568,
        "layer3": 2_099_712,
        "layer4": 8_393_728,
        "head": 513_000,
    },
    "resnet50": {
        "stem": 9_536,
        "layer1": 215_808,
        "layer2": 1_219_584,
        "layer3": 7_098_368,
        "layer4": 14_964_736,
        "head": 2_049_000,
    },
    "googlenet": {
        "conv1": 9_472,
        "conv2": 4_160,
        "conv3": 110_784,
        "inception3a": 163_696,
        "inception3b": 388_736,
        "inception4a": 376_176,
        "inception4b": 449_160,
        "inception4c": 510_104,
        "inception4d": 605_376,
        "inception4e": 868_352,
        "inception5a": 1_043_456,
        "inception5b": 1_444_080,
        "fc": 1_025_000,
    },
    "unet": {
        "enc1": 37_568,
        "enc2": 221_440,
        "enc3": 885_248,
        "enc4": 3_539_968,
        "bottom": 14_157_824,
        "dec4": 9_176_576,
        "dec3": 2_294_528,
        "dec2": 573_824,
        "dec1": 143_552,
        "head": 130,
    },
    "mlp": {"hidden1": 403_456, "hidden2": 132_096, "output": 2_570},
    "gpt_tiny": {"pos": 4_096, "tokens": 16_384, "repeat1": 2 * 49_984, "logits": 128 + 16_640},
}


@pytest.mark.parametrize(
    ("name", "statement", "params"),
    [
        pytest.param(name, stmt, params, id=f"{name}-{stmt}")
        for name, table in HEADER_STATEMENT_PARAMS.items()
        for stmt, params in table.items()
    ],
)
def test_statement_params_from_spec_headers(name, statement, params):
    assert analysis(name).statement(statement).counts.params == params


@pytest.mark.parametrize("name", sorted(HEADER_STATEMENT_PARAMS))
def test_header_statements_add_up_to_the_total(name):
    """Statements the header leaves out (pools, flatten, ...) carry no parameters."""
    a = analysis(name)
    assert sum(s.counts.params for s in a.statements) == a.totals.params
    assert sum(HEADER_STATEMENT_PARAMS[name].values()) == TOTALS[name][0]


def test_mlp_layers_from_header():
    # hidden1: linear 401,920 (784 x 512 + 512), bn 1,024 (2 x 512), prelu 512;
    # hidden2: linear 131,328 (512 x 256 + 256), bn 512, prelu 256.
    a = analysis("mlp")
    expected = {
        "hidden1": {"linear": 784 * 512 + 512, "bn": 2 * 512, "prelu": 512},
        "hidden2": {"linear": 512 * 256 + 256, "bn": 2 * 256, "prelu": 256},
    }
    for stmt, per_op in expected.items():
        layers = [a.layers[i] for i in a.statement(stmt).layers]
        got = {layer.op: layer.counts.trainable for layer in layers}
        assert got == per_op, stmt
        bn = next(layer for layer in layers if layer.op == "bn")
        assert bn.counts.buffers == 2 * per_op["prelu"] + 1  # running mean, var, counter


# GoogLeNet, Szegedy et al. 2015, Table 1: output size of every row (C, H, W).
GOOGLENET_TABLE1 = {
    "conv1": (64, 112, 112),
    "maxpool1": (64, 56, 56),
    "conv2": (64, 56, 56),  # the "#3x3 reduce" 64 of the second convolution row
    "conv3": (192, 56, 56),
    "maxpool2": (192, 28, 28),
    "inception3a": (256, 28, 28),
    "inception3b": (480, 28, 28),
    "maxpool3": (480, 14, 14),
    "inception4a": (512, 14, 14),
    "inception4b": (512, 14, 14),
    "inception4c": (512, 14, 14),
    "inception4d": (528, 14, 14),
    "inception4e": (832, 14, 14),
    "maxpool4": (832, 7, 7),
    "inception5a": (832, 7, 7),
    "inception5b": (1024, 7, 7),
    "avgpool": (1024, 1, 1),
    "fc": (1000,),
}


@pytest.mark.parametrize("statement", list(GOOGLENET_TABLE1))
def test_googlenet_table1_shapes(statement):
    a = analysis("googlenet")
    assert sample(a.statement(statement).output_shape) == GOOGLENET_TABLE1[statement]


# --- LeNet-5: every figure of LeCun et al. 1998 -------------------------------------

LENET = FIGURES["lenet5"]
LENET_STATEMENT = {"OUTPUT": "output"}  # paper's layer name -> statement name


@pytest.mark.parametrize("row", LENET["layers"], ids=[r["layer"] for r in LENET["layers"]])
def test_lenet5_per_layer(row):
    a = analysis("lenet5")
    s = a.statement(LENET_STATEMENT.get(row["layer"], row["layer"]))
    assert sample(s.output_shape) == tuple(row["out_shape"])
    assert s.counts.trainable == row["params"]
    assert s.counts.fixed == row.get("fixed_params", 0)
    assert s.connections == row["connections"]
    first = a.layers[s.layers[0]]
    assert prod(sample(first.input_shapes[0])) == prod(row["in_shape"])


def test_lenet5_statement_order_and_torch_shapes():
    a = analysis("lenet5")
    names = [LENET_STATEMENT.get(r["layer"], r["layer"]) for r in LENET["layers"]]
    assert [s.name for s in a.statements] == names
    for layer, shape in LENET["torch_shapes"].items():
        assert sample(a.statement(LENET_STATEMENT.get(layer, layer)).output_shape) == tuple(shape)


def test_lenet5_totals_match_paper():
    totals = analysis("lenet5").totals
    assert totals.trainable_params == LENET["torch_total_params"] == 60_000
    assert totals.connections == LENET["total_connections"] == 340_908
    assert totals.connections - 840 == LENET["total_connections_excl_output"]


def test_lenet5_c3_uses_the_papers_table():
    a = analysis("lenet5")
    (node,) = [n for n in a.graph.nodes if n.statement == "C3" and n.op == "conv"]
    assert [list(row) for row in node.attrs["connect"]] == LENET["c3_inputs"]


C3_ROWS = [r for r in LENET["layers"] if r["layer"] == "C3"][0]


@pytest.mark.parametrize(
    ("index", "inputs", "params"),
    [
        pytest.param(i, row, p, id=f"map{i}-{len(row)}inputs")
        for i, (row, p) in enumerate(
            zip(LENET["c3_inputs"], C3_ROWS["per_map_params"], strict=True)
        )
    ],
)
def test_lenet5_c3_per_map_params(index, inputs, params):
    """One C3 map alone: 25 weights per connected S2 map + 1 bias (the paper's count)."""
    text = (
        "network C3Map {\n"
        "    input s2: [N, 6, 14, 14]\n"
        f"    y = conv(1, 5, connect=[{list(inputs)}])\n"
        "}\n"
    )
    (a,) = check_text(text)
    s = a.statement("y")
    assert sample(s.output_shape) == (1, 10, 10)
    assert s.counts.trainable == params
    assert s.connections == params * 10 * 10  # every unit: all its links, no padding


# --- AlexNet: the 2-GPU original and its variants ------------------------------------

_CHECKPOINT = re.compile(r"\s*->\s*\[[^\]]*\]")


def _substitute(text: str, old: str, new: str) -> str:
    assert old in text, f"alexnet.netspec no longer contains {old!r}; update the variant"
    return text.replace(old, new)


def alexnet_variant(variant: str) -> str:
    """specs/alexnet.netspec rewritten into one of figures.json's variants; the spec's
    own checkpoints are dropped so that only the reference decides."""
    text = _CHECKPOINT.sub("", spec_text("alexnet"))
    if variant in ("at_224_conv1pad2", "at_224_nopad_caffe_ceil_pool"):
        text = _substitute(text, "[N, 3, 227, 227]", "[N, 3, 224, 224]")
    if variant == "at_224_conv1pad2":
        text = _substitute(text, "conv(96, 11, stride=4)", "conv(96, 11, stride=4, padding=2)")
    if variant == "at_224_nopad_caffe_ceil_pool":
        text = _substitute(text, "maxpool(3, stride=2)", "maxpool(3, stride=2, ceil_mode=true)")
    return text


ALEXNET_VARIANTS = {
    **{
        k: v
        for k, v in _ALEX["krizhevsky2012_2gpu"].items()
        if isinstance(v, dict) and "layers" in v
    },
    "same_widths_ungrouped": _ALEX["same_widths_ungrouped"],
}


@cache
def alexnet_analysis(variant: str) -> Analysis:
    if variant == "at_227_nopad":
        return analysis("alexnet")  # the spec as it is
    if variant == "same_widths_ungrouped":
        return analysis("alexnet", gpus=1)  # the spec's own parameter: groups=gpus
    (a,) = check_text(alexnet_variant(variant), name=f"alexnet-{variant}.netspec")
    return a


@pytest.mark.parametrize(
    ("variant", "row"),
    [
        pytest.param(variant, row, id=f"{variant}-{row['layer']}")
        for variant, ref in ALEXNET_VARIANTS.items()
        for row in ref["layers"]
    ],
)
def test_alexnet_per_layer(variant, row):
    a = alexnet_analysis(variant)
    s = a.statement(row["layer"])  # the spec's statements are named as the paper's layers
    assert sample(s.output_shape) == tuple(row["out_shape"])
    assert s.counts.params == row["params"]
    convs = [a.layers[i] for i in s.layers if a.layers[i].op == "conv"]
    assert len(convs) == (1 if row["layer"].startswith("conv") else 0)
    for layer in convs:
        assert attrs_of(a, layer)["groups"] == row["groups"]


@pytest.mark.parametrize("variant", list(ALEXNET_VARIANTS))
def test_alexnet_totals(variant):
    ref = ALEXNET_VARIANTS[variant]
    a = alexnet_analysis(variant)
    assert a.totals.params == ref["total_params"]
    assert [s.name for s in a.statements if s.name.startswith(("conv", "pool", "fc"))] == [
        r["layer"] for r in ref["layers"]
    ]


def test_alexnet_ungrouped_total_is_62_378_344():
    assert alexnet_analysis("same_widths_ungrouped").totals.params == 62_378_344
    assert _ALEX["torch_check"]["ungrouped_227"][1] == 62_378_344


def test_alexnet_matches_caffenet():
    assert analysis("alexnet").totals.params == _ALEX["caffenet"]["params"]


# --- per-module comparison with torchvision (execution order) ------------------------

TORCH_OP = {
    "Conv2d": {"conv"},
    "Linear": {"linear"},
    "BatchNorm2d": {"bn"},
    "MaxPool2d": {"maxpool"},
    "AdaptiveAvgPool2d": {"adaptive_avgpool", "global_avgpool"},
    "ReLU": {"relu"},
    "Dropout": {"dropout"},
}
# Ops that have no module in torchvision's models (functional or view calls).
NO_MODULE = {"add", "concat", "flatten"}
# torchvision file -> our zoo spec
TORCHVISION_SPECS = {
    "alexnet.json": "alexnet_torchvision",
    "vgg16.json": "vgg16",
    "resnet50.json": "resnet50",
}


def _pairs(reference: str, types: set[str]):
    calls = [c for c in load_reference(reference)["calls"] if c["type"] in types]
    ops = set().union(*(TORCH_OP[t] for t in types))
    ours = [layer for layer in analysis(TORCHVISION_SPECS[reference]).layers if layer.op in ops]
    assert len(ours) == len(calls), f"{len(ours)} of our layers vs {len(calls)} torch calls"
    return list(zip(ours, calls, strict=True))


@pytest.mark.parametrize("reference", sorted(TORCHVISION_SPECS))
def test_module_sequence_matches_torchvision(reference):
    """Every torchvision module call, in execution order, is one of our layers."""
    calls = load_reference(reference)["calls"]
    ours = [
        layer
        for layer in analysis(TORCHVISION_SPECS[reference]).layers
        if layer.op not in NO_MODULE
    ]
    assert [c["type"] for c in calls] == [
        next(t for t, ops in TORCH_OP.items() if layer.op in ops) for layer in ours
    ]
    for layer, call in zip(ours, calls, strict=True):
        assert sample(layer.output_shape) == tuple(call["output_shape"][1:]), layer.path
        assert layer.counts.params == call["params"], layer.path


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        pytest.param(ref, kind, id=f"{ref.removesuffix('.json')}-{kind}")
        for ref in sorted(TORCHVISION_SPECS)
        for kind in ("Conv2d", "Linear", "MaxPool2d")
    ],
)
def test_layers_match_torchvision(reference, kind):
    """Shapes, parameters and configuration of every conv / linear / max-pool layer."""
    for layer, call in _pairs(reference, {kind}):
        where = f"{layer.path} vs {call['name']}"
        assert sample(layer.output_shape) == tuple(call["output_shape"][1:]), where
        assert sample(layer.input_shapes[0]) == tuple(call["input_shape"][1:]), where
        assert layer.counts.trainable == call["params"], where
        config = call["config"]
        a = attrs_of(analysis(TORCHVISION_SPECS[reference]), layer)
        if kind == "Linear":
            assert (layer.input_shapes[0][-1], a["out"]) == (config["in"], config["out"]), where
            assert a["bias"] == config["bias"], where
            continue
        assert tuple(a["kernel"]) == tuple(config["k"]), where
        assert tuple(a["stride"]) == tuple(config["stride"]), where
        assert tuple(a["padding"]) == tuple((p, p) for p in config["padding"]), where
        if kind == "Conv2d":
            assert tuple(a["dilation"]) == tuple(config["dilation"]), where
            assert a["groups"] == config["groups"], where
            assert a["bias"] == config["bias"], where
        else:
            assert a["ceil_mode"] == config["ceil_mode"], where


def test_resnet50_batchnorm_params_and_buffers():
    """BatchNorm2d: 2C parameters; PyTorch saves running_mean + running_var +
    num_batches_tracked = 2C + 1 buffer elements."""
    pairs = _pairs("resnet50.json", {"BatchNorm2d"})
    assert len(pairs) == 53
    for layer, call in pairs:
        channels = call["output_shape"][1]
        assert sample(layer.output_shape) == tuple(call["output_shape"][1:]), layer.path
        assert layer.counts.trainable == call["params"] == 2 * channels, layer.path
        assert layer.counts.buffers == 2 * channels + 1, layer.path


def test_resnet50_every_conv_linear_bn_in_order():
    pairs = _pairs("resnet50.json", {"Conv2d", "Linear", "BatchNorm2d"})
    assert len(pairs) == 53 + 1 + 53
    for layer, call in pairs:
        assert layer.op in TORCH_OP[call["type"]], f"{layer.path} vs {call['name']}"
        assert sample(layer.output_shape) == tuple(call["output_shape"][1:]), layer.path
        assert layer.counts.params == call["params"], layer.path


def test_resnet50_totals_match_torchvision_json():
    totals = load_reference("resnet50.json")["totals"]
    assert analysis("resnet50").totals.params == totals["params"] == 25_557_032


# --- VGG-16 configuration D ---------------------------------------------------------

VGG = FIGURES["vgg16_D"]


def test_vgg16_d_every_conv_and_linear_in_order():
    ours = [layer for layer in analysis("vgg16").layers if layer.op in ("conv", "linear")]
    ref = [r for r in VGG["layers"] if r["layer"].startswith(("conv", "fc"))]
    assert len(ours) == len(ref) == 16
    for layer, row in zip(ours, ref, strict=True):
        assert layer.op == ("conv" if row["layer"].startswith("conv") else "linear")
        assert sample(layer.output_shape) == tuple(row["out_shape"]), row["layer"]
        assert layer.counts.params == row["params"], row["layer"]
    conv_params = sum(layer.counts.params for layer in ours if layer.op == "conv")
    assert conv_params == VGG["conv_params"]


def test_vgg16_d_pools_in_order():
    ours = [layer for layer in analysis("vgg16").layers if layer.op == "maxpool"]
    ref = [r for r in VGG["layers"] if r["layer"] == "pool"]
    assert [sample(layer.output_shape) for layer in ours] == [tuple(r["out_shape"]) for r in ref]


def test_vgg16_totals():
    assert analysis("vgg16").totals.params == VGG["total_params"] == 138_357_544


# --- network parameters ---------------------------------------------------------------


def test_resnet50_classes_10_changes_only_the_head():
    default, ten = analysis("resnet50"), analysis("resnet50", classes=10)
    # fc: 2048 x classes + classes = 2049 x classes; 1000 -> 10 removes 2049 x 990.
    assert ten.totals.params == 25_557_032 - 2049 * 990
    assert ten.statement("head").counts.params == 2049 * 10
    assert sample(ten.statement("head").output_shape) == (10,)
    for before, after in zip(default.statements, ten.statements, strict=True):
        if before.name != "head":
            assert after.counts == before.counts, before.name
            assert after.output_shape == before.output_shape, before.name


@pytest.mark.parametrize("classes", [2, 100])
def test_linear_cifar10_classes(classes):
    # Header: with --set classes=K: 3,073 K parameters.
    assert analysis("linear_cifar10", classes=classes).totals.params == 3073 * classes
