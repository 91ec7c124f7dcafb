"""Learned tensors (`param`), broadcasting merges (`mul`, `add` of a learned tensor) and
ops with several outputs (`a, b = chunk(2)`, `split`): issue 14, items 2-4.

Figures, errors with their positions and hints, PyTorch (state_dict keys, values against
torch.chunk / torch.split and a hand-written product) and ONNX (checker, strict shape
inference, onnxruntime against PyTorch at opsets 21 and 13).
"""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.errors import CompileError
from netspec.ops import Counts

torch = pytest.importorskip("torch")


def module_of(text: str, seed: int = 0):
    from netspec.backends.torch.to_torch import to_torch

    return to_torch(one(text).graph, seed=seed).eval()


def one(text: str):
    [analysis] = check_text(text)
    return analysis


def fails(text: str):
    with pytest.raises(CompileError) as caught:
        check_text(text)
    [diag] = caught.value.diagnostics
    return diag


def net(body: str, shape: str = "[N, 8, 4, 4]", blocks: str = "") -> str:
    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return f"{blocks}network T {{\n    input x: {shape}\n{lines}}}\n"


SCALED = """
block scaled(c) {
    param gamma: [c, 1, 1] = 0.25
    add {
        conv(c, 3, padding=1) mul(gamma)
      |
    }
}
"""


# --- param ---------------------------------------------------------------------------


def test_param_counts_its_elements_and_leaves_the_stream():
    a = one(net("param bias: [8, 1, 1] = 1.5\nrelu\nadd(bias)"))
    row = a.statement("bias")
    assert row.output_shape == (8, 1, 1)
    assert row.counts == Counts(trainable=8)
    assert a.statement("relu1").output_shape == ("N", 8, 4, 4)  # the stream, not the param
    assert a.totals.params == 8 and a.totals.macs == 0
    assert a.layer("bias").description == "param [8, 1, 1] = 1.5"


def test_param_in_a_repeated_block_is_one_per_copy_named_by_its_path():
    text = net("repeat 2 {\n    scaled(8)\n}", blocks=SCALED)
    a = one(text)
    params = [x.path for x in a.layers if x.op == "param"]
    assert len(params) == 2 and all(p.endswith(".gamma") for p in params), params
    module = module_of(text)
    state = module.state_dict()
    for path in params:
        assert path in state, sorted(state)
        assert torch.all(state[path] == 0.25) and tuple(state[path].shape) == (8, 1, 1)
    assert a.totals.params == sum(v.numel() for v in module.parameters())


@pytest.mark.parametrize(
    ("body", "code", "says", "column"),
    [
        ("param p: [N, 8] = 1", "E-type", "got the symbol N", 15),
        ('param p: [8] = "one"', "E-type", "the initial value is a number", 20),
        ("param p: [8, 0]", "E-type", "positive integers", 18),
        ("param(3)", "E-op", "unknown op or block 'param'", 5),
        ("a = relu\nparam a: [2]", "E-dup", "'a' is already defined", 5),
    ],
)
def test_param_mistakes_are_positioned(body, code, says, column):
    diag = fails(net(body))
    assert diag.code == code and says in diag.message, diag.message
    assert diag.span.column == column


def test_param_as_a_stage_hints_at_the_statement():
    diag = fails(net("relu param"))
    assert "param gamma: [96, 1, 1] = 1e-6" in diag.help[0]


# --- broadcasting --------------------------------------------------------------------


def test_add_of_two_computed_tensors_still_needs_equal_shapes():
    diag = fails(net("g = global_avgpool\nfrom x\nadd(g)"))
    assert diag.code == "E-shape"
    assert diag.message == "add: branch shapes differ: [N, 8, 4, 4] vs [N, 8, 1, 1]"


def test_add_of_a_learned_tensor_broadcasts():
    a = one(net("param pos: [1, 8, 4, 4]\nparam b: [8, 1, 1]\nadd(pos, b)"))
    assert a.statement("add1").output_shape == ("N", 8, 4, 4)
    assert a.statement("add1").connections == 3 * 8 * 16


def test_mul_gate_broadcasts_and_its_field_is_the_whole_input():
    a = one(net("mul { | global_avgpool conv(8, 1) sigmoid }", "[N, 8, 6, 6]"))
    row = a.statement("mul1")
    assert row.output_shape == ("N", 8, 6, 6)
    assert a.layers[-1].receptive_field.size == (6, 6)
    assert not a.warnings


@pytest.mark.parametrize(
    ("left", "right", "axis", "hint"),
    [
        ("[N, 16, 8, 8]", "[N, 16]", "along axis 2 of the aligned shapes, 8 vs N", "[N, 16, 1, 1]"),
        ("[N, 16, 8, 8]", "[N, 8, 1, 1]", "along axis 1 of the aligned shapes, 16 vs 8", "1"),
    ],
)
def test_mul_mismatch_names_the_axis_and_the_fix(left, right, axis, hint):
    body = f"input y: {right}\nmul(y)"
    diag = fails(net(body, left))
    assert diag.code == "E-shape" and axis in diag.message, diag.message
    assert hint in diag.help[0]


def test_mul_matches_torch():
    text = net("s = mul { | global_avgpool conv(8, 1) sigmoid }")
    module = module_of(text, seed=1)
    x = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        y = module(x)
        pooled = x.mean(dim=(2, 3), keepdim=True)
        conv = [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)][0]
        expected = x * torch.sigmoid(conv(pooled))
    assert torch.allclose(y, expected, atol=1e-6)


# --- several outputs -------------------------------------------------------------------


def test_chunk_binds_each_part_and_continues_with_the_first():
    a = one(net("left, right = chunk(2)\nfrom right\nconv(4, 1)\nconcat(left)", "[N, 8, 4, 4]"))
    assert a.statement("left, right").output_shape == ("N", 4, 4, 4)
    assert [x.path for x in a.layers[:2]] == ["left", "right"]
    assert a.statements[-1].output_shape == ("N", 8, 4, 4)
    assert a.layer("left").counts == Counts() and a.layer("left").cost.flops == 0


def test_one_output_needs_no_names():
    a = one(net("y = chunk(1)\nz = split([8])"))
    assert a.statement("z").output_shape == ("N", 8, 4, 4)


def test_split_takes_sizes_or_one_size():
    a = one(net("a, b, c = split([2, 2, 4])", "[N, 8, 4]"))
    assert [x.output_shape for x in a.layers] == [("N", 2, 4), ("N", 2, 4), ("N", 4, 4)]
    b = one(net("p, q, r = split(3)", "[N, 8, 4]"))
    assert [x.output_shape[1] for x in b.layers] == [3, 3, 2]  # torch.split's last is smaller
    c = one(net("h, w = split([1, 3], dim=-1)", "[N, 8, 4]"))
    assert [x.output_shape for x in c.layers] == [("N", 8, 1), ("N", 8, 3)]


@pytest.mark.parametrize(
    ("body", "code", "says", "hint"),
    [
        ("a, b = chunk(4)", "E-arg", "chunk(4) makes 4 outputs, and 2 names are given", "4 names"),
        ("chunk(2)", "E-arg", "chunk makes 2 outputs here: name each", "a, b = chunk(2)"),
        ("a, b = relu", "E-arg", "'relu' makes one output, and 2 names are given", "chunk"),
        ("a, b, c = chunk(3)", "E-shape", "8 does not divide into 3 equal parts", "[3, 3, 2]"),
        ("a, b = split([2, 3])", "E-shape", "add up to 5, not 8", "add up to 8"),
        ("a, a = chunk(2)", "E-dup", "'a' is already defined", "another name"),
    ],
)
def test_parts_mistakes(body, code, says, hint):
    diag = fails(net(body))
    assert diag.code == code and says in diag.message, diag.message
    assert hint in diag.help[0], diag.help


def test_parts_match_torch_chunk_and_split():
    text = net("a, b = split([3, 5])\nfrom b\nc, d = chunk(2, dim=2)\noutput a, c, d")
    module = module_of(text)
    x = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        a, c, d = module(x)
    first, second = torch.split(x, [3, 5], dim=1)
    top, bottom = torch.chunk(second, 2, dim=2)
    assert torch.equal(a, first) and torch.equal(c, top) and torch.equal(d, bottom)


# --- ONNX ------------------------------------------------------------------------------


@pytest.mark.parametrize("opset", [21, 13])
def test_onnx_agrees_with_torch(opset):
    pytest.importorskip("onnxruntime")
    from tests.test_to_onnx import agree

    text = net(
        "param g: [8, 1, 1] = 0.5\nleft, right = chunk(2)\nfrom right\nc = conv(4, 1)\n"
        "concat(left)\nmul(g)\ns = mul { identity | global_avgpool conv(8, 1) sigmoid }\n"
        "param pos: [1, 8, 4, 4] = 0.1\nadd(pos)",
        blocks="",
    ) + net("repeat 2 {\n    scaled(8)\n}", blocks=SCALED).replace("network T", "network U")
    for analysis in check_text(text):
        assert agree(analysis.graph, opset=opset) <= 1e-4


def test_parts_after_a_broken_stream_report_only_the_first_error():
    with pytest.raises(CompileError) as caught:
        check_text(net("maxpool(8)\na, b = chunk(2)\nfrom b\nrelu"))
    assert [d.code for d in caught.value.diagnostics] == ["E-size"]  # maxpool(8) on 4x4


def test_the_figures_docs_ops_md_prints():
    gate = "mul { | global_avgpool conv(16, 1) relu conv(64, 1) sigmoid }"
    a = one(net(f"y = {gate}", "[N, 64, 56, 56]"))
    assert a.layer("y").connections == 401_408
    assert [x.counts.params for x in a.layers if x.op == "conv"] == [1_040, 1_088]
    b = one(net("param pos: [1, 197, 768]\nadd(pos)", "[N, 197, 768]"))
    assert b.layer("pos").counts.params == 151_296
    assert b.statements[-1].output_shape == ("N", 197, 768)
    c = one(net("left, right = chunk(2)", "[N, 116, 28, 28]"))
    assert [x.output_shape for x in c.layers] == [("N", 58, 28, 28)] * 2


def test_param_repeated_at_the_top_level_is_keyed_by_its_path():
    text = net("repeat 3 {\n    param g: [8] = 2\n    add(g)\n}", "[N, 4, 8]")
    a = one(text)
    assert [x.path for x in a.layers if x.op == "param"] == ["g.0", "g.1", "g.2"]
    module = module_of(text)
    state = module.state_dict()
    assert [k for k in state if k.startswith("g.")] == ["g.0", "g.1", "g.2"]
    with torch.no_grad():
        assert torch.equal(module(torch.zeros(1, 4, 8)), torch.full((1, 4, 8), 6.0))


def test_a_linear_on_channels_last_after_a_permute_is_meant():
    """ConvNeXt's block: permute to [N, H, W, C], layer_norm, linear, gelu, linear; no
    W-flatten there, while a linear straight on an NCHW map still warns."""
    body = "permute([0, 2, 3, 1]) layer_norm linear(32) gelu linear(8) permute([0, 3, 1, 2])"
    assert not one(net(body)).warnings
    [warning] = one(net("linear(10)")).warnings
    assert warning.code == "W-flatten"


# --- broadcasting against PyTorch ---------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
_DIM = st.sampled_from([1, 1, 2, 3, "N"])  # N stands for a size no literal has (5)


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(st.lists(st.lists(_DIM, min_size=1, max_size=4), min_size=2, max_size=3))
def test_mul_broadcasts_exactly_when_torch_does(shapes):
    from netspec.ops import REGISTRY, OpError

    concrete = [tuple(5 if d == "N" else d for d in s) for s in shapes]
    try:
        expected = tuple(torch.broadcast_shapes(*concrete))
    except RuntimeError:
        expected = None
    try:
        ours = REGISTRY["mul"].infer({}, tuple(tuple(s) for s in shapes))
    except OpError as exc:
        assert expected is None, f"netspec refuses what torch accepts: {exc.message}"
        assert "cannot broadcast" in exc.message
        return
    assert expected is not None, f"netspec accepts {shapes}, torch refuses"
    assert tuple(5 if d == "N" else d for d in ours) == expected


@pytest.mark.parametrize(
    ("shape", "stage"),
    [("[N, 1099511627776]", "chunk(1099511627776)"), ("[N, 1099511627776]", "split(1)")],
)
def test_a_hostile_count_of_outputs_is_refused_before_listing_them(shape, stage):
    diag = fails(net(f"a, b = {stage}", shape))  # was a MemoryError
    assert diag.code == "E-limit" and "1,099,511,627,776 outputs" in diag.message
    assert diag.span.line == 3
