"""The ONNX reader of `netspec import`: netspec's own exports of zoo CNNs read back
into the stages they came from (op counts, weights as many as `netspec check` counts,
known layers' arguments), and small models built with onnx.helper for the folds (Pad
into Conv, Sigmoid * x into silu, MatMul + Add into linear, channel shuffle) and for
what is refused (control flow, an unknown op: all listed; `partial` stops before).
"""

from __future__ import annotations

from collections import Counter

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from netspec.api import check, export_onnx  # noqa: E402
from netspec.frontends.imported import NotImportable  # noqa: E402
from netspec.frontends.onnx import read_onnx  # noqa: E402

ZOO = {
    "lenet5_d2l": {"conv": 2, "sigmoid": 4, "avgpool": 2, "flatten": 1, "linear": 3},
    "resnet18": {"conv": 20, "bn": 20, "relu": 17, "maxpool": 1, "add": 8}
    | {"global_avgpool": 1, "flatten": 1, "linear": 1},
    "mobilenet_v2": {"conv": 52, "bn": 52, "relu6": 35, "add": 10}
    | {"global_avgpool": 1, "flatten": 1, "linear": 1},
}


@pytest.fixture(scope="module", params=sorted(ZOO))
def zoo(request, tmp_path_factory):
    name = request.param
    path = tmp_path_factory.mktemp("onnx") / f"{name}.onnx"
    export_onnx(f"specs/{name}.netspec", path)
    return name, read_onnx(path), check(f"specs/{name}.netspec")[0]


def stage(imported, source: str):
    return next(s for s in imported.stages if s.source == source)


def test_the_stages_are_the_spec_ops(zoo):
    name, imported, _ = zoo
    assert Counter(s.op for s in imported.stages) == ZOO[name]


def test_every_stage_reads_what_is_already_made(zoo):
    _, imported, _ = zoo
    made = {i.name for i in imported.inputs}
    for s in imported.stages:
        assert set(s.inputs) <= made, s
        assert s.output not in made
        made.add(s.output)
    assert set(imported.outputs) <= made
    assert imported.inputs[0].shape[0] == "N"


def test_weights_are_the_parameters_and_buffers_of_check(zoo):
    _, imported, analysis = zoo
    total = sum(w.size for s in imported.stages for _, w in s.weights)
    batch_counters = sum(s.op == "bn" for s in imported.stages)  # not in ONNX
    assert total == analysis.totals.params + analysis.totals.buffers - batch_counters


def test_known_layers(zoo):
    name, imported, _ = zoo
    if name == "resnet18":
        stem = stage(imported, "stem.conv")
        assert (stem.args, stem.kwargs) == (
            (64, 7),
            (("stride", 2), ("padding", 3), ("bias", False)),
        )
        assert stem.inputs == ("image",) and stem.output == "stem_conv"
        pool = stage(imported, "stem.maxpool")
        assert (pool.args, pool.kwargs) == ((3,), (("stride", 2), ("padding", 1)))
        assert [k for k, _ in stage(imported, "stem.bn").weights] == [
            "weight", "bias", "running_mean", "running_var"
        ]  # fmt: skip
        assert stage(imported, "head.linear").weights[0][1].shape == (1000, 512)  # [out, in]
        assert imported.name == "ResNet18" and imported.notes == ()
    if name == "mobilenet_v2":
        depthwise = stage(
            imported, "bottleneck1.inverted_residual1.linear_bottleneck1.depthwise.conv"
        )
        assert depthwise.args == (32, 3)
        assert dict(depthwise.kwargs) == {"padding": 1, "groups": 32, "bias": False}
    if name == "lenet5_d2l":
        conv1 = stage(imported, "conv1.conv")
        assert (conv1.args, conv1.kwargs) == ((6, 5), (("padding", 2),))
        assert [(k, w.shape) for k, w in conv1.weights] == [
            ("weight", (6, 1, 5, 5)),
            ("bias", (6,)),
        ]
        # biased convolutions and no norm, but netspec's own export (its doc strings
        # name spec lines), which never folds batch norm: nothing to say
        assert imported.notes == ()


# small models built by hand


def model(nodes, inputs, outputs, constants=(), name="Small"):
    inits = [
        numpy_helper.from_array(np.asarray(v, dtype=np.asarray(v).dtype), k) for k, v in constants
    ]
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def imported(tmp_path, m, partial=False):
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    return read_onnx(path, partial=partial)


def weight(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    "pads, padding",
    [
        ([0, 0, 1, 1, 0, 0, 1, 1], 2),  # the Pad's 1 and the Conv's own 1
        ([0, 0, 0, 0, 0, 0, 1, 1], ((1, 2), (1, 2))),  # TensorFlow's "same" of a stride 2
        ([0, 0, 2, 0, 0, 0, 2, 0], (3, 1)),
    ],
)
def test_a_pad_folds_into_the_conv(tmp_path, pads, padding):
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["padded"], name="pad"),
        helper.make_node("Conv", ["padded", "w"], ["y"], name="conv", pads=[1, 1, 1, 1]),
    ]
    consts = [("pads", np.array(pads, np.int64)), ("w", weight(4, 3, 3, 3))]
    m = model(nodes, [tensor("x", ["N", 3, 8, 8])], [tensor("y", None)], consts)
    (conv,) = imported(tmp_path, m).stages
    assert conv.op == "conv" and conv.inputs == ("x",)
    assert dict(conv.kwargs) == {"padding": padding, "bias": False}


def test_a_zero_pad_before_a_maxpool_stays_a_pad(tmp_path):
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["padded"], name="pad"),
        helper.make_node("MaxPool", ["padded"], ["y"], name="pool", kernel_shape=[2, 2]),
    ]
    consts = [("pads", np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64))]
    m = model(nodes, [tensor("x", ["N", 3, 8, 8])], [tensor("y", None)], consts)
    pad, pool = imported(tmp_path, m).stages
    assert (pad.op, dict(pad.kwargs)) == ("pad", {"padding": ((0, 1), (0, 1))})
    assert (pool.op, pool.args, pool.kwargs) == ("maxpool", (2,), (("stride", 1),))


def test_fused_patterns(tmp_path):
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
        helper.make_node("Mul", ["x", "s"], ["silu.out"], name="silu"),
        helper.make_node("Reshape", ["silu.out", "grouped"], ["g"], name="r1"),
        helper.make_node("Transpose", ["g"], ["t"], name="t", perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["t", "back"], ["shuffled"], name="r2"),
        helper.make_node("Clip", ["shuffled", "lo", "hi"], ["r6"], name="clip"),
        helper.make_node("GlobalAveragePool", ["r6"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("MatMul", ["flat", "w"], ["mm"], name="mm"),
        helper.make_node("Add", ["mm", "b"], ["logits"], name="bias"),
    ]
    consts = [
        ("grouped", np.array([0, 2, 4, 5, 5], np.int64)),
        ("back", np.array([0, 8, 5, 5], np.int64)),
        ("lo", np.array(0.0, np.float32)),
        ("hi", np.array(6.0, np.float32)),
        ("w", weight(8, 10)),
        ("b", weight(10)),
    ]
    m = model(nodes, [tensor("x", ["N", 8, 5, 5])], [tensor("logits", None)], consts)
    result = imported(tmp_path, m)
    ops = [(s.op, s.args, s.output) for s in result.stages]
    assert ops == [
        ("silu", (), "silu_out"),
        ("channel_shuffle", (2,), "shuffled"),
        ("relu6", (), "r6"),
        ("global_avgpool", (), "gap"),
        ("flatten", (), "flat"),
        ("linear", (10,), "logits"),
    ]
    linear = result.stages[-1]
    assert linear.weights[0][1].shape == (10, 8)
    assert np.array_equal(linear.weights[0][1], consts[4][1].T)
    assert result.name == "Small" and result.outputs == ("logits",)


def refused_model():
    then = helper.make_graph(
        [helper.make_node("Identity", ["r"], ["a"])], "then", [], [tensor("a", ["N", 4])]
    )
    other = helper.make_graph(
        [helper.make_node("Neg", ["r"], ["b"])], "else", [], [tensor("b", ["N", 4])]
    )
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="first"),
        helper.make_node(
            "If", ["cond"], ["chosen"], name="gate", then_branch=then, else_branch=other
        ),
        helper.make_node("FrobNorm", ["chosen"], ["y"], name="weird"),
    ]
    consts = [("cond", np.array(True))]
    return model(nodes, [tensor("x", ["N", 4])], [tensor("y", None)], consts)


def test_every_unsupported_node_is_listed(tmp_path):
    with pytest.raises(NotImportable) as caught:
        imported(tmp_path, refused_model())
    problems = [(p.node, p.op_type) for p in caught.value.problems]
    assert problems == [("gate", "If"), ("weird", "FrobNorm")]
    assert "control flow" in caught.value.problems[0].why
    assert "gate (If)" in str(caught.value) and "weird (FrobNorm)" in str(caught.value)


def test_partial_stops_before_the_first(tmp_path):
    result = imported(tmp_path, refused_model(), partial=True)
    assert [(s.op, s.output) for s in result.stages] == [("relu", "r")]
    assert result.outputs == ("r",)
    assert any("stopped before gate (If)" in n for n in result.notes)


def test_attributes_become_arguments(tmp_path):
    node = helper.make_node
    bn_attrs = {"epsilon": 1e-3, "momentum": 0.99}
    resize = {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    window = {"kernel_shape": [3, 3], "strides": [2, 2]}
    nodes = [
        node("Conv", ["x", "w", "b"], ["c"], name="c", auto_pad="SAME_UPPER", strides=[2, 2]),
        node("BatchNormalization", ["c", "s", "b", "b", "v"], ["bn"], name="bn", **bn_attrs),
        node("LeakyRelu", ["bn"], ["lr"], name="lr", alpha=0.2),
        node("AveragePool", ["lr"], ["ap"], name="ap", pads=[1, 1, 1, 1], **window),
        node("Resize", ["ap", "", "scales"], ["up"], name="up", **resize),
        node("MaxPool", ["up"], ["mp"], name="mp", ceil_mode=1, **window),
        node("Add", ["mp", "bias"], ["biased"], name="biased"),
        node("Mul", ["biased", "half"], ["y"], name="half"),
    ]
    consts = [("w", weight(8, 3, 3, 3)), ("b", weight(8)), ("s", weight(8)), ("v", weight(8) ** 2)]
    consts += [("scales", np.array([1, 1, 2, 2], np.float32)), ("bias", weight(1, 8, 1, 1))]
    consts += [("half", np.array(0.5, np.float32))]
    m = model(nodes, [tensor("x", ["N", 3, 32, 32])], [tensor("y", None)], consts)
    got = [(s.op, s.args, dict(s.kwargs)) for s in imported(tmp_path, m).stages]
    assert got == [
        ("conv", (8, 3), {"stride": 2, "padding": ((0, 1), (0, 1))}),
        ("bn", (), {"eps": 0.001, "momentum": 0.01}),
        ("leaky_relu", (), {"slope": 0.2}),
        ("avgpool", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),  # ONNX: 0
        ("upsample", (2,), {}),
        ("maxpool", (3,), {"stride": 2, "ceil_mode": True}),
        ("param", ((1, 8, 1, 1),), {}),
        ("add", (), {}),
        ("scale", (0.5,), {}),
    ]


TINY = """network Tiny {
    input image: [N, 3, 16, 16]
    conv(8, 3, padding=1) bn relu lrn(5)
    concat { conv(4, 1) | maxpool(3, stride=1, padding=1) }
    global_avgpool flatten dropout(0.2) linear(10)
}
"""


# torch's TorchScript exporter warns about tracing and its own deprecations: not ours
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("training", [False, True])
def test_what_torch_onnx_export_writes(tmp_path, training):
    """torch.onnx spells lrn as shape arithmetic with an If around a 3-d pool, and a
    concat with Expands to a computed batch; eval mode folds bn into the convolution."""
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch
    from netspec.source import Source

    module = to_torch(Source("tiny.netspec", TINY), seed=0)
    path = tmp_path / "tiny.onnx"
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    x = torch.randn(2, 3, 16, 16)
    dynamic = {"image": {0: "N"}}
    torch.onnx.export(
        module, (x,), path, dynamo=False, training=mode, input_names=["image"],
        dynamic_axes=dynamic, do_constant_folding=not training,
    )  # fmt: skip
    result = read_onnx(path)
    ops = [s.op for s in result.stages]
    extra = ["bn"] if training else []
    tail = ["dropout", "linear"] if training else ["linear"]
    assert ops == ["conv", *extra, "relu", "lrn", "conv", "maxpool", "concat"] + [
        "global_avgpool", "flatten", *tail
    ]  # fmt: skip
    assert next(s for s in result.stages if s.op == "lrn").args == (5,)
    assert result.name == "Imported" and result.inputs[0].shape == ("N", 3, 16, 16)
    assert bool(result.notes) is not training  # folded bn is said, "may have"


@pytest.mark.parametrize("content", [b"", b"not a model at all", bytes(range(256)) * 4])
def test_a_file_that_is_not_a_model_is_a_clear_error_and_nothing_is_written(tmp_path, content):
    from netspec.cli.main import main

    model = tmp_path / "model.onnx"
    model.write_bytes(content)
    spec = tmp_path / "model.netspec"
    assert main(["import", str(model), "-o", str(spec)]) == 1
    assert not spec.exists() and not spec.with_suffix(".safetensors").exists()
