"""Multiply-adds, FLOPs components and receptive fields against the reference figures.

Every expected number comes from tests/data/reference (torchvision models measured in
PyTorch, the papers) or from the definitions written out by hand below; none is
netspec's own earlier output.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from netspec.api import check_text
from tests.conftest import load_reference
from tests.test_zoo import _CHECKPOINT, FIGURES, analysis, spec_text

TV = FIGURES["torchvision"]
ALEX = FIGURES["alexnet_family"]

# zoo spec -> the torchvision model it equals, module by module
TORCHVISION = {
    "alexnet_torchvision": "alexnet",
    "vgg16": "vgg16",
    "resnet18": "resnet18",
    "resnet50": "resnet50",
}


@pytest.mark.parametrize("spec", sorted(TORCHVISION))
def test_macs_equal_torchvision_gflops(spec):
    ref = TV[TORCHVISION[spec]]
    a = analysis(spec)
    assert a.totals.macs == ref["macs_total_conv_linear_mha"]
    conv = sum(x.cost.macs for x in a.layers if x.op == "conv")
    linear = sum(x.cost.macs for x in a.layers if x.op == "linear")
    assert (conv, linear) == (ref["macs_conv"], ref["macs_linear"])


def _flops_of(a, ops: set[str]) -> int:
    return sum(x.cost.flops for x in a.layers if x.op in ops)


@pytest.mark.parametrize("spec", sorted(TORCHVISION))
def test_flops_components_equal_the_references_counts(spec):
    """figures.json counts bias adds, pooling ops, BN and activation elements of the
    torchvision model; the flops convention's per-op formulas must reproduce each."""
    ref = TV[TORCHVISION[spec]]
    a = analysis(spec)
    weighted = [x for x in a.layers if x.op in ("conv", "linear")]
    bias_adds = sum(x.cost.flops - 2 * x.cost.macs for x in weighted)
    assert bias_adds == ref["bias_adds"]
    pools = {"maxpool", "avgpool", "adaptive_avgpool", "global_avgpool"}
    assert _flops_of(a, pools) == ref["pool_ops"]
    assert _flops_of(a, {"bn"}) == 2 * ref["norm_elems"]  # scale and shift per element
    assert _flops_of(a, {"relu"}) == ref["act_elems"]  # one per element


def test_flops_total_is_the_sum_of_its_parts_for_vgg16():
    a = analysis("vgg16")
    ref = TV["vgg16"]
    expected = 2 * ref["macs_total_conv_linear_mha"] + ref["bias_adds"] + ref["pool_ops"]
    assert a.totals.flops == expected + ref["act_elems"]  # dropout is off at inference


@pytest.mark.parametrize(
    ("variant", "spec_variant"),
    [("at_227_nopad", {}), ("same_widths_ungrouped", {"gpus": 1})],
)
def test_alexnet_macs_per_layer(variant, spec_variant):
    ref = ALEX["krizhevsky2012_2gpu"].get(variant) or ALEX[variant]
    a = analysis("alexnet", **spec_variant)
    for row in ref["layers"]:
        assert a.statement(row["layer"]).cost.macs == row["macs"], row["layer"]
    assert a.totals.macs == ref["total_macs"]


def test_vgg16_macs_per_layer_in_order():
    convs = [x for x in analysis("vgg16").layers if x.op in ("conv", "linear")]
    ref = [r for r in FIGURES["vgg16_D"]["layers"] if r["macs"]]
    assert [x.cost.macs for x in convs] == [r["macs"] for r in ref]


def test_lenet5_multiply_adds_are_the_weight_products_of_its_conv_and_linear_layers():
    rows = {r["layer"]: r for r in FIGURES["lenet5"]["layers"]}
    a = analysis("lenet5")
    for name in ("C1", "C3", "C5", "F6"):
        assert a.statement(name).cost.macs == rows[name]["weight_mults"]
    assert a.totals.macs == sum(rows[n]["weight_mults"] for n in ("C1", "C3", "C5", "F6"))


def test_resnet50_with_the_papers_stride_placement():
    """Stride on the first 1x1 of each stage (v1): same parameters, 3,857,973,248."""
    text = spec_text("resnet50")
    old_main = "conv(width, 1) bn relu\n        conv(width, 3, stride=stride, padding=1)"
    new_main = "conv(width, 1, stride=stride) bn relu\n        conv(width, 3, padding=1)"
    assert old_main in text
    (a,) = check_text(text.replace(old_main, new_main), name="resnet50_v1.netspec")
    assert a.totals.params == TV["resnet50"]["computed_num_params"]
    assert a.totals.macs == 3_857_973_248


# --- receptive fields -------------------------------------------------------------


def _reference_fields(model: str) -> list[tuple[int, int, int]]:
    ref = load_reference(f"{model}.json")["by_name"]
    fields = [v["receptive_field"] for v in ref.values() if v.get("receptive_field")]
    return [(f["rf"], f["effective_stride"], f["effective_padding"]) for f in fields]


@pytest.mark.parametrize(
    ("spec", "model"), [("vgg16", "vgg16"), ("alexnet_torchvision", "alexnet")]
)
def test_receptive_fields_per_layer_equal_the_reference(spec, model):
    expected = _reference_fields(model)
    layers = analysis(spec).layers[: len(expected)]
    got = []
    for layer in layers:
        f = layer.receptive_field
        assert len(set(f.axes)) == 1, "square input, square field"
        got.append(tuple(int(v) for v in f.axes[0]))
    assert got == expected


def test_vgg16_after_pool5_is_212_32_90():
    a = analysis("vgg16")
    field = a.layer("stage5.maxpool1").receptive_field
    assert (field.size, field.stride, field.padding) == ((212, 212), (32, 32), (90, 90))


def _field(text: str, path: str):
    (a,) = check_text(text)
    return a, a.layer(path).receptive_field


def _net(*lines: str, shape: str = "[N, 1, 64, 64]") -> str:
    body = "\n    ".join(lines)
    return f"network T {{\n    input x: {shape}\n    {body}\n}}\n"


def test_dilation_widens_the_field_by_d_k_minus_1():
    _, f = _field(_net("a = conv(4, 3, dilation=2) conv(4, 3, dilation=4)"), "a.conv2")
    # r = 1 + 4 + 8 = 13, stride 1, padding 0
    assert f.axes[0] == (13, 1, 0)


def test_asymmetric_and_same_padding_use_the_padding_before():
    _, f = _field(_net("a = conv(4, 3, stride=2, padding=[[0, 1], [2, 0]])"), "a")
    assert f.axes == ((3, 2, 0), (3, 2, 2))
    # TensorFlow "same" on 64 with k=4, s=2: total 2, 1 before, 1 after
    _, f = _field(_net('a = conv(4, 4, stride=2, padding="same")'), "a")
    assert f.axes[0] == (4, 2, 1)


def test_transposed_convolution_has_a_fractional_stride():
    _, f = _field(
        _net("a = conv(4, 3, stride=2, padding=1) conv_transpose(4, 4, stride=2, padding=1)"),
        "a.conv_transpose",
    )
    # conv: r 3, S 2, P 1; transposed: extent 3/2 + 1, stride 1/2, padding 3/2 - 1/2 = 1
    assert f.axes[0] == (Fraction(3) + Fraction(3, 2) * 2, Fraction(1), Fraction(1) + 1 * 2)


def test_branches_with_equal_strides_and_centres_keep_the_largest_field():
    a, f = _field(
        _net("a = concat { conv(4, 1) | conv(4, 3, padding=1) | conv(4, 5, padding=2) }"), "a"
    )
    assert f.axes[0] == (5, 1, 2)
    assert not a.warnings


def test_branches_with_different_centres_give_the_union_and_a_warning():
    a, f = _field(
        _net("a = add { conv(4, 3, padding=1) | conv(4, 3, padding=[[0, 2], [0, 2]]) }"), "a"
    )
    # [y - 1, y + 1] and [y, y + 2]: union [y - 1, y + 2]
    assert f.axes[0] == (4, 1, 1)
    assert [w.code for w in a.warnings] == ["W-rf-centre"]  # one per merge


def test_branches_with_different_strides_have_no_field_and_say_so():
    text = _net(
        "a = add { conv(1, 33) | maxpool(2) }",  # both 32 x 32; strides 1 and 2
    )
    a, f = _field(text, "a")
    assert f is None
    assert "W-rf-stride" in [w.code for w in a.warnings]
    assert a.layers[-1].receptive_field is None  # unknown from there on, never a guess


def test_uneven_adaptive_pool_leaves_the_field_unknown_with_a_warning():
    a, f = _field(_net("a = adaptive_avgpool(5)", shape="[N, 1, 13, 13]"), "a")
    assert f is None and [w.code for w in a.warnings] == ["W-rf-uneven"]


def test_global_pool_and_linear_see_the_whole_padded_input():
    a = analysis("vgg16")
    f = a.layers[-1].receptive_field
    # after pool5 (212 / 32 / 90) over 7 positions: 212 + 6 x 32 = 404 = 224 + 2 x 90
    assert f.whole and f.axes[0] == (404, 224, 90)


def test_a_network_without_spatial_input_has_no_receptive_field():
    (a,) = check_text(_net("a = linear(10) relu linear(2)", shape="[N, 784]"))
    assert a.field_input is None
    assert all(layer.receptive_field is None for layer in a.layers)


# --- memory ------------------------------------------------------------------------


def test_peak_memory_from_tensor_lifetimes():
    text = _net(
        "a = conv(8, 3, padding=1)",  # 8 x 64 x 64 = 32768; input 4096
        "b = relu",  # conv output and relu output alive together
        "c = flatten",  # a view: no new memory
        shape="[N, 1, 64, 64]",
    )
    (a,) = check_text(text)
    m = a.memory("float32")
    assert [x.activations for x in a.layers] == [32768, 32768, 0]
    # while conv runs: input + its output; while relu runs: conv out + relu out
    assert m.peak_activation_bytes == 4 * (32768 + 32768)
    assert m.activation_bytes == 4 * 65536
    assert m.param_bytes == 4 * (8 * 9 + 8)


def test_residual_keeps_the_shortcut_alive():
    text = _net("a = add { conv(1, 3, padding=1) conv(1, 3, padding=1) | identity }")
    (a,) = check_text(text)
    # the input (4096) lives until the add; at the second conv: input + conv1 + conv2
    assert a.memory().peak_activation_bytes == 4 * (3 * 4096)


def test_training_estimate_and_dtypes():
    a = analysis("lenet5")
    m = a.memory("float16", batch=32)
    t = a.totals
    assert m.param_bytes == 2 * t.params
    saved = 2 * 32 * (t.activations + 32 * 32)
    assert m.training_bytes["sgd"] == 2 * (t.params + 2 * t.trainable_params) + saved
    assert m.training_bytes["adam"] == 2 * (t.params + 3 * t.trainable_params) + saved
    assert a.memory("int8").param_bytes == t.params


# --- huge networks allocate nothing ------------------------------------------------


def test_vgg16_at_4096_analyses_with_exactly_scaled_conv_costs():
    text = _CHECKPOINT.sub("", spec_text("vgg16")).replace("[N, 3, 224, 224]", "[N, 3, 4096, 4096]")
    (a,) = check_text(text)
    conv = sum(x.cost.macs for x in a.layers if x.op == "conv")
    assert conv * 49 == TV["vgg16"]["macs_conv"] * 16384  # (4096 / 224)^2 = 16384 / 49
    assert a.layer("stage5.maxpool1").receptive_field.axes[0] == (212, 32, 90)


def test_ten_billion_parameters_are_counted_not_allocated():
    text = _net("a = linear(100000) linear(100000)", shape="[N, 100000]")
    (a,) = check_text(text)
    assert a.totals.params == 2 * (100000 * 100000 + 100000)
    assert a.totals.macs == 2 * 10**10
