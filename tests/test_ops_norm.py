"""The normalisations of netspec/ops/norm.py: layer_norm, rms_norm, group_norm and
instance_norm, against PyTorch and onnxruntime.

- each case's output shape, trainable parameters and buffers are those of the PyTorch
  module the op lowers to (`numel` of its parameters and buffers), and its connections,
  FLOPs, receptive-field rule and torchinfo / fvcore figures the ones docs/costs.md states;
- errors are positioned where the spec is wrong, and netspec rejects a configuration
  exactly when PyTorch does (hypothesis);
- one spec holding every op and variant exports at opsets 13, 17 and 21: onnx.checker's
  full check, strict shape inference equal to the analysis, and onnxruntime within 1e-4
  of the PyTorch module on the same random weights and running statistics.
"""

from __future__ import annotations

import json

import pytest

from netspec.analysis.conventions import costs
from netspec.api import check_text
from netspec.errors import CompileError
from netspec.ops.base import GLOBAL, POINTWISE
from netspec.report.accepted import describe
from netspec.report.figures import figures
from netspec.report.table import summary_lines
from tests.conftest import ROOT

torch = pytest.importorskip("torch")
nn = torch.nn
runtime = pytest.importorskip("netspec.backends.torch.runtime")


def spec(shape: str, *stages: str) -> str:
    body = "".join(f"    {s}\n" for s in stages)
    return f"network T {{\n    input x: {shape}\n{body}}}\n"


def layer(shape: str, stage: str):
    (analysis,) = check_text(spec(shape, stage))
    (only,) = analysis.layers
    return only


# stage, input (batch 2), module, FLOPs per element, group size (links per output), field
CASES = [
    # the last axis of [N, 7, 6] is a position axis to the receptive field, as softmax's
    ("layer_norm", (2, 7, 6), lambda: nn.LayerNorm(6), 7, 6, GLOBAL),
    ("layer_norm(bias=false)", (2, 6), lambda: nn.LayerNorm(6, bias=False), 6, 6, POINTWISE),
    (
        "layer_norm(affine=false, eps=1e-6)",
        (2, 7, 6),
        lambda: nn.LayerNorm(6, eps=1e-6, elementwise_affine=False),
        5,
        6,
        GLOBAL,
    ),
    # ConvNeXt's LayerNorm2d: the 8 channels at each position
    ("layer_norm(dim=1)", (2, 8, 5, 5), lambda: runtime.LayerNormAt(8, dim=1), 7, 8, POINTWISE),
    ("layer_norm(dim=2)", (2, 3, 4, 5), lambda: runtime.LayerNormAt(4, dim=2), 7, 4, GLOBAL),
    ("rms_norm", (2, 7, 6), lambda: nn.RMSNorm(6), 4, 6, GLOBAL),
    (
        "rms_norm(dim=1, affine=false)",
        (2, 8, 5),
        lambda: runtime.RMSNormAt(8, dim=1, elementwise_affine=False),
        3,
        8,
        POINTWISE,
    ),
    ("group_norm(4)", (2, 8, 3, 3), lambda: nn.GroupNorm(4, 8), 7, 2 * 9, GLOBAL),
    (
        "group_norm(1, affine=false)",
        (2, 6, 5),
        lambda: nn.GroupNorm(1, 6, affine=False),
        5,
        6 * 5,
        GLOBAL,
    ),
    ("group_norm(3)", (2, 6), lambda: nn.GroupNorm(3, 6), 7, 2, POINTWISE),
    ("instance_norm", (2, 4, 3, 5), lambda: nn.InstanceNorm2d(4), 5, 15, GLOBAL),
    (
        "instance_norm(affine=true)",
        (2, 4, 7),
        lambda: nn.InstanceNorm1d(4, affine=True),
        7,
        7,
        GLOBAL,
    ),
    # eval mode normalises with the running statistics: bn's 2 FLOPs, no links
    (
        "instance_norm(track_running_stats=true)",
        (2, 4, 2, 2, 2),
        lambda: nn.InstanceNorm3d(4, track_running_stats=True),
        2,
        0,
        POINTWISE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_figures_match_pytorch(case):
    stage, shape, make, per, group, field = case
    got = layer(str(list(shape)), stage)
    module = make().eval()
    with torch.no_grad():
        y = module(torch.randn(shape))
    assert got.output_shape == tuple(y.shape)
    assert got.counts.trainable == sum(p.numel() for p in module.parameters())
    assert got.counts.buffers == sum(b.numel() for b in module.buffers())
    elements = y.numel()
    assert got.cost == (0, per * elements)
    assert got.connections == group * elements
    whole = got.receptive_field is not None and got.receptive_field.whole  # None: no positions
    assert whole == (field == GLOBAL)


def test_tools_count_as_they_do():
    """torchinfo: N x parameters; fvcore: 5 per input element with affine, 4 without
    (norm_flop_counter), and 0 for RMSNorm (no handle for aten::rms_norm)."""
    stages = ("layer_norm(dim=1)", "group_norm(2, affine=false)", "instance_norm", "rms_norm")
    (analysis,) = check_text(spec("[3, 4, 5, 6]", *stages))
    elements = 3 * 4 * 5 * 6
    assert costs(analysis, "torchinfo").per_layer == (3 * 8, 0, 0, 3 * 6)
    assert costs(analysis, "fvcore").per_layer == (5 * elements, 4 * elements, 4 * elements, 0)
    (deep,) = check_text(spec("[2, 2, 2, 2, 2, 2]", "layer_norm"))
    assert costs(deep, "fvcore").uncounted == ("layer_norm1",)  # fvcore asserts rank <= 5


# tools/measure_conventions.py's records of the real tools (torchinfo 1.8.0, fvcore 0.1.5)
MEASURED = {
    "layernorm": ("[{n}, 8, 16]", "layer_norm"),
    "groupnorm": ("[{n}, 8, 16, 16]", "group_norm(2)"),
}


def test_rules_reproduce_the_measured_tools():
    data = json.loads((ROOT / "tests" / "data" / "conventions.json").read_text("utf-8"))
    records = [m for m in data["modules"] if m["case"] in MEASURED]
    assert len(records) == 4
    for record in records:
        shape, stage = MEASURED[record["case"]]
        (analysis,) = check_text(spec(shape.format(n=record["batch"]), stage))
        assert costs(analysis, "torchinfo").total == record["torchinfo_macs"]
        assert costs(analysis, "fvcore").total == record["fvcore_eval"]


# --- errors --------------------------------------------------------------------------


def diagnostic(shape: str, stage: str):
    with pytest.raises(CompileError) as info:
        check_text(spec(shape, stage))
    (diag,) = info.value.diagnostics
    return diag


def test_groups_must_divide_the_channels():
    diag = diagnostic("[N, 12, 4, 4]", "group_norm(5)")
    assert diag.code == "E-value" and "12 channels do not split into 5 groups" in diag.message
    assert "1, 2, 3, 4, 6 or 12" in " ".join(diag.help)
    assert (diag.span.line, diag.span.text()) == (3, "5")
    with pytest.raises(ValueError):
        nn.GroupNorm(5, 12)


def test_instance_norm_needs_more_than_one_position():
    diag = diagnostic("[N, 3, 1, 1]", "instance_norm")
    assert diag.code == "E-shape" and "one position" in diag.message
    with pytest.raises(ValueError):
        nn.InstanceNorm2d(3).eval()(torch.zeros(2, 3, 1, 1))
    # with running statistics PyTorch normalises by them: one position is fine
    assert layer("[N, 3, 1, 1]", "instance_norm(track_running_stats=true)").counts.buffers == 7


@pytest.mark.parametrize(
    ("shape", "stage", "code", "pointed"),
    [
        ("[N, 4, 6]", "layer_norm(dim=3)", "E-value", "3"),
        ("[N, 4]", "instance_norm", "E-shape", None),  # rank 3 to 5
        ("[N, 4, 6]", "rms_norm(eps=0)", "E-value", "0"),
    ],
)
def test_errors_are_positioned(shape, stage, code, pointed):
    diag = diagnostic(shape, stage)
    assert diag.code == code, diag.message
    assert diag.span.line == 3
    if pointed is not None:
        assert diag.span.text() == pointed


def test_symbolic_sizes_outside_the_group_are_fine():
    seq = layer("[N, T, 16]", "layer_norm")
    assert [str(d) for d in seq.output_shape] == ["N", "T", "16"] and seq.counts.trainable == 32
    assert str(seq.connections) == "256 * T"  # per sample: a formula of T
    assert (
        str(layer("[N, 4, T]", "instance_norm").connections) == "4 * T^2"
    )  # T outputs, each reading T


def test_a_symbolic_size_inside_the_group_makes_the_parameters_a_formula():
    """Normalising over T: the parameters depend on the input, and the report says so."""
    [a] = check_text(spec("[N, T, 16]", "layer_norm(dim=1)"))
    assert str(a.totals.params) == "2 * T"
    lines = summary_lines(figures(a))
    assert any("the parameter count depends on the sizes" in line for line in lines)
    # group_norm(2) over T channels: the groups divide even T only
    [b] = check_text(spec("[N, T, 16]", "group_norm(2)"))
    assert describe(b.graph.sizes.accepted).startswith("2-") and "step 2" in describe(
        b.graph.sizes.accepted
    )


# --- netspec rejects exactly when PyTorch does ----------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
oracle = pytest.importorskip("tests.test_torch_oracle")


@st.composite
def norm_layers(draw):
    """A norm layer for an NC* input; may not fit it (groups, dim, one position)."""
    c = draw(st.integers(1, 8))
    shape = (c, *draw(st.lists(st.integers(1, 2), min_size=0, max_size=3)))  # 1: one position
    rank = len(shape) + 1
    kind = draw(st.sampled_from(("layer_norm", "rms_norm", "group_norm", "instance_norm")))
    if kind == "group_norm":
        g = draw(st.integers(1, 8))
        return shape, (oracle.call("group_norm", g), lambda: nn.GroupNorm(g, c))
    if kind == "instance_norm":
        track = draw(st.booleans())
        classes = {3: nn.InstanceNorm1d, 4: nn.InstanceNorm2d, 5: nn.InstanceNorm3d}
        cls = classes.get(rank, nn.InstanceNorm1d)  # rank 2: netspec refuses, torch mis-reads

        def make():
            if rank not in classes:
                raise ValueError("InstanceNorm takes [N, C, L] to [N, C, D, H, W]")
            return cls(c, track_running_stats=track)

        return shape, (oracle.call("instance_norm", track_running_stats=track), make)
    # not the batch axis (N is symbolic in netspec, a number in torch); -rank - 1 and rank
    # do not exist
    dim = draw(st.sampled_from([d for d in range(-rank - 1, rank + 1) if d not in (0, -rank)]))
    where = "LayerNorm" if kind == "layer_norm" else "RMSNorm"

    def make_along():
        if not -rank <= dim < rank:  # no module to build: what nn.LayerNorm(x.shape[dim]) hits
            raise ValueError(f"dim {dim} does not exist")
        d = dim % rank
        size = (2, *shape)[d]
        if d == rank - 1:
            return getattr(nn, where)(size)
        return getattr(runtime, f"{where}At")(size, dim=d)

    return shape, (oracle.call(kind, dim=dim), make_along)


@hypothesis.given(norm_layers())
@hypothesis.settings(max_examples=60, **oracle.SETTINGS)
def test_rejected_iff_torch_rejects(case):
    shape, (stage, make) = case
    # batch 2: group_norm at batch 1 refuses a group of one value, a batch-size effect
    # netspec leaves to the run, as it does bn's batch statistics
    oracle.agree(shape, [(stage, make)], must_be_valid=False, batch=2)


# --- ONNX at opsets 13, 17 and 21 ------------------------------------------------------

# Each op on the inputs themselves: a norm after another would hide the first's
# per-channel mistakes (it removes any per-channel shift and scale).
EVERY = """network Norms {
    input x: [N, 8, 5, 6]
    input s: [N, T, 12]
    from x
    a = layer_norm(dim=1, eps=1e-6)
    from x
    b = group_norm(4)
    from x
    c = instance_norm(affine=true)
    from x
    d = rms_norm(dim=1)
    from x
    e = instance_norm(eps=0.001, affine=true, track_running_stats=true)
    from x
    f = layer_norm
    from x
    g = rms_norm(eps=1e-6, affine=false)
    from x
    h = group_norm(2, affine=false)
    from x
    i = layer_norm(dim=2, bias=false)
    from x
    j = flatten(2) instance_norm(affine=true)
    from x
    k = reshape([N, 4, 2, 5, 6]) group_norm(2)
    from x
    l = flatten group_norm(6)
    from x
    p = reshape([N, 4, 2, 5, 6]) instance_norm
    from s
    m = layer_norm
    from s
    n = rms_norm(eps=1e-5)
    from s
    o = layer_norm(dim=-1, affine=false)
    output a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p
}
"""


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_every_norm_exports_and_matches_pytorch(opset):
    onnx_oracle = pytest.importorskip("tests.test_to_onnx")
    np = onnx_oracle.np
    (analysis,) = check_text(EVERY)
    graph = analysis.graph
    assert {n.op for n in graph.nodes} >= {"layer_norm", "rms_norm", "group_norm", "instance_norm"}
    module = onnx_oracle.to_torch(graph, seed=0).eval()
    generator = torch.Generator().manual_seed(opset)
    with torch.no_grad():  # not PyTorch's ones and zeros: a misplaced scale must show
        for key, value in module.state_dict().items():
            if value.is_floating_point():
                fresh = torch.rand(value.shape, generator=generator) + 0.5
                value.copy_(fresh if key.endswith(("weight", "running_var")) else fresh - 1)
    built = onnx_oracle.build(graph, onnx_oracle.state(module), opset=opset)
    model = built.proto()
    onnx_oracle.onnx.checker.check_model(model, full_check=True)
    onnx_oracle.assert_shapes(graph, model)
    ops = {node.op_type for node in model.graph.node}
    assert ("LayerNormalization" in ops) == (opset >= 17)
    assert not ops & {"GroupNormalization", "RMSNormalization"}
    session = onnx_oracle.ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    for batch in (1, 3):
        inputs = onnx_oracle.feeds(graph, batch)
        ours = onnx_oracle.run_torch(module, inputs)
        theirs = session.run(None, inputs)
        for a, b in zip(ours, theirs, strict=True):
            assert np.abs(a).max() > 0.1  # not a constant: the inputs reached the output
            assert onnx_oracle.error(a, b) <= 1e-4


def test_convnext_and_transformer_stages_read_as_written():
    text = spec("[N, 96, 56, 56]", "conv(96, 7, padding=3, groups=96) layer_norm(dim=1, eps=1e-6)")
    ln = check_text(text)[0].layers[-1]
    assert (ln.op, ln.counts.trainable, ln.description) == ("layer_norm", 192, "layer_norm dim 1")
    block = layer("[N, 197, 768]", "layer_norm(eps=1e-6)")  # ViT-B/16's
    assert (block.counts.trainable, block.description) == (2 * 768, "layer_norm")
