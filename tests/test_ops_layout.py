"""The layout and border ops (netspec/ops/layout.py, border.py) against PyTorch itself.

- values: each op built by `to_torch` computes exactly what the PyTorch expression it
  stands for computes, on real tensors (permute, F.pad, nn.ChannelShuffle, indexing);
- errors: positioned at the argument, with the code and a hint, for what PyTorch rejects
  and for what netspec rejects on purpose (squeeze of a dim that is not 1, an empty or
  out-of-range slice, negative padding);
- costs: no parameters, no links, no multiply-adds, 0 FLOPs; views allocate nothing;
  receptive fields kept, windowed or made global as docs/costs.md says;
- "netspec rejects exactly when torch does" (hypothesis): random arguments on random
  small shapes, each accepted with torch's shape or rejected where torch raises, or where
  netspec deliberately refuses what torch silently accepts (`deliberate` says which);
- ONNX: a spec with every op exported at opsets 13 and 21, checked with the oracles of
  tests/test_to_onnx.py (full check, strict shape inference, onnxruntime within 1e-4).
"""

from __future__ import annotations

import pytest

from netspec.api import check_text
from netspec.errors import CompileError
from netspec.ops.base import GLOBAL, POINTWISE

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
F = torch.nn.functional

OPS = ("permute", "transpose", "squeeze", "unsqueeze", "channel_shuffle", "pad", "slice", "crop")


def spec(shape: tuple, stages: str) -> str:
    dims = ", ".join(map(str, ("N", *shape)))
    return f"network T {{\n    input x: [{dims}]\n    y = {stages}\n}}\n"


def run(shape: tuple, stages: str, x):
    from netspec.backends.torch.to_torch import to_torch

    (analysis,) = check_text(spec(shape, stages))
    with torch.no_grad():
        return analysis, to_torch(analysis.graph, seed=0).eval()(x)


# ---- values: the op is the PyTorch expression ----------------------------------------

VALUES = [
    ((3, 4, 5), "permute([0, 2, -1, 1])", lambda x: x.permute(0, 2, 3, 1)),
    ((3, 4, 5), "transpose(1, -1)", lambda x: x.transpose(1, 3)),
    ((3, 1, 5), "squeeze(-2)", lambda x: x.squeeze(2)),
    ((3, 5), "unsqueeze(-1)", lambda x: x.unsqueeze(3)),
    ((6, 2, 3), "channel_shuffle(3)", torch.nn.ChannelShuffle(3)),
    ((6, 5), "channel_shuffle(2)", torch.nn.ChannelShuffle(2)),
    ((2, 4, 5), 'pad([1, [2, 0]], mode="reflect")', lambda x: F.pad(x, (2, 0, 1, 1), "reflect")),
    ((2, 4, 5), 'pad(2, mode="replicate")', lambda x: F.pad(x, (2,) * 4, "replicate")),
    ((2, 3, 4), 'pad([[0, 3], 1], mode="circular")', lambda x: F.pad(x, (1, 1, 0, 3), "circular")),
    (
        (3, 4),
        'pad(1, channels=[1, 2], mode="reflect")',
        lambda x: F.pad(x, (1, 1, 1, 2), "reflect"),
    ),
    ((16, 4, 4), "pad(channels=8)", lambda x: F.pad(x, (0, 0, 0, 0, 8, 8))),
    ((2, 3, 2, 2), "pad(1, value=-2.5)", lambda x: F.pad(x, (1,) * 6, value=-2.5)),
    ((16, 7, 8), "slice([2, 3], step=2)", lambda x: x[:, :, ::2, ::2]),
    ((6, 8), "slice(1, start=-4, end=5, step=2)", lambda x: x[:, -4:5:2]),
    ((6, 8), "slice([-1, 1], start=[1, 0], end=[none, -1])", lambda x: x[:, 0:-1, 1:]),
    ((2, 9, 8), "crop([6, 5])", lambda x: x[:, :, 1:7, 1:6]),
    ((2, 4, 6, 5), "crop(3)", lambda x: x[:, :, 0:3, 1:4, 1:4]),
    # a view that is not contiguous, into an op whose PyTorch function views its input
    (
        (8, 6, 5, 4),
        "transpose(2, 4) lrn(size=3)",
        lambda x: torch.nn.LocalResponseNorm(3)(x.transpose(2, 4).contiguous()),
    ),
]


@pytest.mark.parametrize(("shape", "stages", "expected"), VALUES, ids=[v[1] for v in VALUES])
def test_op_computes_the_pytorch_expression(shape, stages, expected):
    x = torch.randn(2, *shape)
    analysis, y = run(shape, stages, x)
    want = expected(x)
    assert torch.equal(y, want)
    assert analysis.statement("y").output_shape == ("N", *want.shape[1:])


# ---- errors: positioned, with a hint --------------------------------------------------

ERRORS = [
    # (input, stage, code, the argument the caret is on, words of the message)
    ((16, 8, 8), "squeeze(2)", "E-shape", "2", "has size 8, not 1"),
    ((16, 8, 8), "squeeze(4)", "E-value", "4", "does not exist"),
    ((16, 8, 8), "permute([0, 2, 1])", "E-value", "[0, 2, 1]", "needs 4 dims"),
    ((16, 8, 8), "permute([0, 2, 2, 1])", "E-value", "[0, 2, 2, 1]", "twice"),
    ((16, 8, 8), "transpose(1, 5)", "E-value", "5", "does not exist"),
    ((16, 8, 8), "unsqueeze(5)", "E-value", "5", "does not exist"),
    ((24, 8, 8), "channel_shuffle(5)", "E-value", "5", "1, 2, 3, 4, 6, 8, 12, 24"),
    ((4, 3, 3), 'pad(3, mode="reflect")', "E-value", "3", "less than 3"),
    ((4, 3, 3), 'pad(4, mode="circular")', "E-value", "4", "at most 3"),
    ((4, 3, 3), 'pad(channels=4, mode="reflect")', "E-value", "4", "less than 4"),
    ((4, 3, 3), 'pad(1, mode="reflect", value=1.0)', "E-value", "1.0", "takes no value"),
    ((4, 3, 3, 3), 'pad(channels=1, mode="replicate")', "E-value", "1", "at most 3 dims"),
    ((4, 3, 3), 'pad("same")', "E-value", '"same"', "takes numbers"),
    ((4, 3, 3), "pad(-1)", "E-value", "-1", "at least 0"),
    ((4, 3, 3), "pad([1, 2, 3])", "E-value", "[1, 2, 3]", "3 values for a 2-d input"),
    ((4, 3, 3), "pad(channels=[1, 2, 3])", "E-value", "[1, 2, 3]", "[before, after]"),
    ((8,), "pad(1)", "E-value", "1", "no spatial dims"),
    ((4, 8), "slice(2, start=5, end=5)", "E-value", "5", "is empty"),
    ((4, 8), "slice(2, start=8)", "E-value", "8", "outside dim 2"),
    ((4, 8), "slice(2, end=-9)", "E-value", "-9", "outside dim 2"),
    ((4, 8), "slice(2, step=0)", "E-value", "0", "at least 1"),
    ((4, 8), "slice([2, -1])", "E-value", "[2, -1]", "twice"),
    ((4, 8), "slice([1, 2], start=[0, 1, 2])", "E-value", "[0, 1, 2]", "3 values for 2 dims"),
    ((4, 8), 'slice(2, end="x")', "E-type", '"x"', "end must be an integer"),
    ((4, 8), "slice(0, start=1)", "E-shape", "", "concrete size along dim 0"),
    ((4, 8, 8), "crop([9, 8])", "E-value", "[9, 8]", "larger than dim 2"),
]


@pytest.mark.parametrize(("shape", "stage", "code", "arg", "words"), ERRORS)
def test_errors_are_positioned_with_a_hint(shape, stage, code, arg, words):
    text = spec(shape, stage)
    with pytest.raises(CompileError) as info:
        check_text(text)
    (d,) = info.value.diagnostics
    said = " ".join((d.message, *d.help))  # the message and its hint
    assert (d.code, words in said) == (code, True), said
    assert d.help and d.help[0].strip()
    line = text.splitlines()[d.span.line - 1]
    written = line[d.span.column - 1 : d.span.end_column - 1]
    assert written == (arg or stage), (written, d)


# ---- costs, views and receptive fields ------------------------------------------------


def test_no_parameters_links_or_flops_and_views_allocate_nothing():
    text = """network T {
        input x: [N, 16, 8, 8]
        a = slice([2, 3], step=2) pad(channels=[8, 8])
        b = permute([0, 2, 3, 1]) transpose(1, 2) permute([0, 3, 2, 1])
        c = channel_shuffle(4) pad(1, mode="reflect") crop(6)
        d = global_avgpool squeeze(-1) unsqueeze(-1)
    }"""
    (a,) = check_text(text)
    mine = [layer for layer in a.layers if layer.op in OPS]
    assert len(mine) == 10
    for layer in mine:
        assert (layer.counts.params, layer.counts.buffers, layer.connections) == (0, 0, 0)
        assert tuple(layer.cost) == (0, 0), layer.path
    views = {"permute", "transpose", "squeeze", "unsqueeze", "slice", "crop"}
    from netspec.analysis.memory import activation_elements

    for node, new in zip(a.graph.nodes, activation_elements(a.graph), strict=True):
        if node.op in OPS:
            assert (new == 0) == (node.op in views), node.path


def _field(shape: tuple, stages: str):
    (a,) = check_text(spec(shape, stages))
    return a.layers[-1].receptive_field


def test_receptive_fields():
    # a strided slice is a window of stride 2; its start is a negative padding
    field = _field((2, 9, 9), "slice([2, 3], start=1, step=2)")
    assert (field.size, field.stride, field.padding) == ((1, 1), (2, 2), (-1, -1))
    field = _field((2, 9, 9), "pad([1, [2, 0]]) conv(2, 3)")
    assert (field.size, field.stride, field.padding) == ((3, 3), (1, 1), (1, 2))
    assert _field((2, 9, 9), "crop(5) conv(2, 3)").padding == (-2, -2)  # (9 - 5) // 2
    # axes that stay in place keep the field; spatial axes that move make it whole
    assert not _field((2, 9, 9), "transpose(0, 1) transpose(1, 0) channel_shuffle(2)").whole
    assert _field((2, 9, 9), "transpose(1, 2)").whole
    assert _field((2, 9, 9), "permute([0, 1, 3, 2])").whole
    assert not _field((2, 9, 9), "unsqueeze(4)").whole
    assert _field((2, 9, 9), "unsqueeze(2)").whole


@pytest.mark.parametrize(
    ("stage", "rule"),
    [
        ("transpose(0, 1)", POINTWISE),
        ("transpose(1, 2)", GLOBAL),
        ("squeeze(2)", GLOBAL),
        ("unsqueeze(-1)", POINTWISE),
        ("slice(1, step=2)", POINTWISE),
    ],
)
def test_receptive_rules(stage, rule):
    (a,) = check_text(spec((2, 1, 4), stage))
    node = a.graph.nodes[-1]
    from netspec.ops import REGISTRY

    op = REGISTRY[node.op]
    assert (
        op.receptive(dict(node.attrs), a.graph.input_shapes(node), a.layers[-1].output_shape)
        == rule
    )


# ---- netspec rejects exactly when torch does ------------------------------------------

SHAPES = st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple)  # without the batch
DIMS = st.integers(-5, 4)


@st.composite
def cases(draw):
    """(stage text, the torch function, whether netspec refuses it on purpose)."""
    shape = draw(SHAPES)
    rank = len(shape) + 1
    op = draw(st.sampled_from(OPS))
    if op == "permute":
        order = st.permutations(range(rank)).map(lambda p: [d - rank * (d % 2) for d in p])
        dims = draw(order | st.lists(DIMS, min_size=rank - 1, max_size=rank + 1))
        return shape, f"permute({dims})", lambda x: x.permute(*dims), False
    if op in ("transpose", "squeeze", "unsqueeze"):
        a, b = draw(DIMS), draw(DIMS)
        if op == "transpose":
            return shape, f"transpose({a}, {b})", lambda x: x.transpose(a, b), False
        if op == "squeeze":
            # torch keeps a dim that is not 1 (or the batch); netspec refuses it
            odd = -rank <= a < rank and ("N", *shape)[a] != 1  # N: maybe not 1
            return (shape, f"squeeze({a})", lambda x: x.squeeze(a), odd)
        return shape, f"unsqueeze({a})", lambda x: x.unsqueeze(a), False
    if op == "channel_shuffle":
        g = draw(st.integers(1, 6))
        return shape, f"channel_shuffle({g})", torch.nn.ChannelShuffle(g), False
    if op == "crop":
        size = draw(st.integers(1, 6) | st.lists(st.integers(1, 6), min_size=1, max_size=3))
        return shape, f"crop({size})", _crop(size), False
    if op == "slice":
        d = draw(st.integers(1, rank - 1) | DIMS)
        size = (6, *shape)[d] if -rank <= d < rank else 6  # the batch: any number
        b = draw(st.integers(0, size - 1) | st.integers(-size - 1, size))
        e = draw(st.integers(min(b + 1, size), size) | st.integers(-size - 1, size + 1))
        s = draw(st.sampled_from((1, 1, 2, 3, 0, -1)))
        stage = f"slice({d}, start={b}, end={e}, step={s})"
        return shape, stage, lambda x: _slice(x, d, b, e, s), _slice_refused(shape, d, b, e, s)
    return _pad_case(draw, shape)


def _crop(size):
    def crop(x):
        spatial = x.shape[2:]
        sizes = [size] * len(spatial) if isinstance(size, int) else size
        if len(sizes) != len(spatial):
            raise ValueError("one size per spatial dim, or one int for all")
        index = [slice(None), slice(None)]
        for i, s in zip(spatial, sizes, strict=True):
            if s > i:
                raise ValueError("larger")
            index.append(slice((i - s) // 2, (i - s) // 2 + s))
        return x[tuple(index)]

    return crop


def _slice(x, d: int, b: int, e: int, s: int):
    index = [slice(None)] * x.dim()
    index[d] = slice(b, e, s)
    return x[tuple(index)]


def _slice_refused(shape: tuple, d: int, b: int, e: int, s: int) -> bool:
    """torch clamps what lies outside the axis and returns empty slices; netspec refuses
    both, and any slice of the symbolic batch other than all of it."""
    full = ("N", *shape)
    if not -len(full) <= d < len(full) or s < 1:
        return False  # torch refuses these too
    size = full[d]
    if size == "N":
        return True
    inside = -size <= b < size and -size <= e <= size
    return not inside or len(range(size)[b:e:s]) == 0


def _pad_case(draw, shape):
    mode = draw(st.sampled_from(("constant", "reflect", "replicate", "circular")))
    spatial = len(shape) - 1
    pairs = [(draw(st.integers(-1, 4)), draw(st.integers(0, 4))) for _ in range(spatial)]
    channels = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
    padded = [channels, *pairs] if any(channels) else pairs  # as the spec says it
    flat = [p for pair in reversed(padded) for p in pair]
    text = f"pad({[list(p) for p in pairs]}, channels={list(channels)}, mode={mode!r})"
    text = text.replace("'", '"')
    # netspec refuses negative padding, which torch's constant mode crops with
    refused = any(p < 0 for p in flat)
    return shape, text, lambda x: F.pad(x, flat, mode=mode), refused


def _torch(fn, shape):
    try:
        return tuple(fn(torch.zeros(1, *shape)).shape), None
    except (RuntimeError, ValueError, IndexError, NotImplementedError, TypeError) as e:
        return None, e


@hypothesis.given(cases())
@hypothesis.settings(max_examples=300, deadline=None, database=None)
def test_netspec_rejects_exactly_when_torch_does(case):
    shape, stage, fn, deliberate = case
    hypothesis.note(spec(shape, stage))
    theirs, why = _torch(fn, shape)
    try:
        (a,) = check_text(spec(shape, stage))
    except CompileError as e:
        assert theirs is None or deliberate, f"torch gives {theirs}; netspec: {e}"
        return
    assert not deliberate
    assert theirs is not None, f"netspec accepts what torch refuses: {why}"
    ours = a.statement("y").output_shape  # the batch N is 1 here, wherever it went
    assert tuple(1 if d == "N" else d for d in ours) == theirs


# ---- ONNX at opsets 13 and 21 ----------------------------------------------------------

EVERY_OP = """network Layout {
    input x: [N, 16, 9, 8]
    a = slice([2, 3], step=2) pad(channels=[8, 8])        -> [N, 32, 5, 4]
    b = permute([0, 2, 3, 1]) transpose(1, -1) permute([0, 3, 2, 1]) permute([0, 3, 1, 2])
    c = channel_shuffle(4) pad([1, [0, 2]], mode="reflect") crop([6, 5])
    d = pad(1, mode="replicate") pad([[2, 0], 1], channels=[1, 0], mode="circular")
    e = pad(1, value=-1.5) slice(-1, start=1, end=-1) slice(1, end=3)
    f = global_avgpool squeeze(-1) unsqueeze(0) squeeze(0) squeeze(-1)
    g = pad(channels=[0, 2], mode="reflect") unsqueeze(-1) unsqueeze(2)
}

network Symbolic {
    input x: [N, 6, L]
    channel_shuffle(3) pad(channels=2) slice(1, start=1, step=2) permute([0, 2, 1]) unsqueeze(1)
}
"""


@pytest.mark.parametrize("opset", [13, 21])
def test_every_op_exports_to_onnx(opset):
    pytest.importorskip("onnxruntime")
    from tests.test_to_onnx import agree

    for analysis in check_text(EVERY_OP):
        ops = {node.op for node in analysis.graph.nodes}
        if analysis.name == "Layout":
            assert ops >= set(OPS)
        agree(analysis.graph, opset=opset)
