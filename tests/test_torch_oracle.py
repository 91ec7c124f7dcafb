"""PyTorch itself as the oracle for shapes, parameters and buffers (property-based).

Hypothesis draws random layer configurations -- single conv, conv_transpose, max/avg
pooling, adaptive pooling, linear, bn and prelu layers, and short chains of them -- and
each one is written twice: as netspec text, checked with ``check_text``, and as the
equivalent torch module, run forward on ``torch.zeros`` with batch 1 (netspec's N is
symbolic). Every layer's output shape (batch aside), its parameter count (all of them
trainable) and its buffer count must agree, and so must the totals.

Where a generator may produce invalid configurations (kernel larger than the padded
input, pooling padding over half the kernel, groups that do not divide the channels,
output_padding too large), netspec must reject exactly the configurations PyTorch
rejects, and in a chain it must reject them at the layer where PyTorch fails.

Two documented netspec forms are not PyTorch's own and are mapped here: per-dim
``[before, after]`` padding pairs become an explicit ``ConstantPadNd`` before an
unpadded convolution, and ``"same"`` (TensorFlow's rule) is compared with PyTorch's
``padding='same'``, which exists only for stride 1, where the two rules coincide.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netspec.api import check_text
from netspec.errors import CompileError

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

nn = torch.nn
given, settings, note, event = (
    hypothesis.given,
    hypothesis.settings,
    hypothesis.note,
    hypothesis.event,
)

# No example database: the tests must not leave a .hypothesis folder in the checkout.
SETTINGS = {"deadline": None, "database": None}

# What torch raises for a configuration it rejects (at construction or in forward).
TORCH_ERRORS = (RuntimeError, ValueError)

Factory = Callable[[], "nn.Module"]
Figures = tuple[tuple[int, ...], int, int, int]  # shape without batch, params, trainable, buffers
Layer = tuple[str, Factory]  # netspec stage text, torch module factory

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ---- writing netspec text ---------------------------------------------------------


def lit(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    return str(value)


def call(op: str, *args: object, **kwargs: object) -> str:
    parts = [lit(a) for a in args] + [f"{k}={lit(v)}" for k, v in kwargs.items() if v is not None]
    return f"{op}({', '.join(parts)})" if parts else op


def spec_text(shape: tuple[int, ...], stages: list[str]) -> str:
    dims = ", ".join(map(str, ("N", *shape)))
    body = "".join(f"    {stage}\n" for stage in stages)
    return f"network T {{\n    input x: [{dims}]\n{body}}}\n"


FIRST_STAGE_LINE = 3  # line 1: network, line 2: input


# ---- running both sides -----------------------------------------------------------


def run_netspec(shape: tuple[int, ...], stages: list[str]) -> tuple[list[Figures], tuple]:
    (analysis,) = check_text(spec_text(shape, stages))
    assert len(analysis.layers) == len(stages), [layer.op for layer in analysis.layers]
    figures = []
    for layer in analysis.layers:
        assert layer.output_shape[0] == "N", layer.output_shape
        c = layer.counts
        figures.append((tuple(layer.output_shape[1:]), c.params, c.trainable, c.buffers))
    t = analysis.totals
    return figures, (t.params, t.trainable_params, t.buffers)


def module_figures(m: nn.Module) -> tuple[int, int, int]:
    params = list(m.parameters())
    return (
        sum(p.numel() for p in params),
        sum(p.numel() for p in params if p.requires_grad),
        sum(b.numel() for b in m.buffers()),
    )


class EmptyOutput(RuntimeError):
    """Torch ran but produced a tensor with a zero-size dimension: no usable output."""


def forward(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    # conv_transpose can silently give e.g. [1, 2, 0, 3] where the formula is below 1;
    # netspec rightly rejects that, and an empty tensor is no output at all.
    y = m(x)
    if y.numel() == 0:
        raise EmptyOutput(f"{m} gives an empty output {tuple(y.shape)}")
    return y


def run_torch(
    shape: tuple[int, ...], factories: list[Factory], batch: int = 1
) -> tuple[list[Figures], tuple]:
    modules = []
    figures = []
    x = torch.zeros(batch, *shape)
    with torch.no_grad():
        for make in factories:
            m = make().eval()
            modules.append(m)
            x = forward(m, x)
            figures.append((tuple(x.shape[1:]), *module_figures(m)))
    return figures, module_figures(nn.Sequential(*modules))


def agree(
    shape: tuple[int, ...],
    layers: list[Layer],
    *,
    must_be_valid: bool,
    batch: int = 1,
) -> CompileError | None:
    """Check one case both ways; netspec's error when both rejected it, else None."""
    stages = [stage for stage, _ in layers]
    note(spec_text(shape, stages))
    try:
        ours, our_totals = run_netspec(shape, stages)
        our_error = None
    except CompileError as exc:
        ours, our_totals, our_error = None, None, exc
    try:
        theirs, their_totals = run_torch(shape, [make for _, make in layers], batch)
        their_error = None
    except TORCH_ERRORS as exc:
        theirs, their_totals, their_error = None, None, exc
    if must_be_valid:
        assert their_error is None, f"test generator produced an invalid case: {their_error}"
        assert our_error is None, f"netspec rejects a configuration torch accepts:\n{our_error}"
    assert (our_error is None) == (their_error is None), (
        f"netspec: {our_error or ours}\ntorch: {their_error or theirs}"
    )
    event("valid" if our_error is None else "invalid")
    if our_error is not None:
        return our_error
    assert ours == theirs, f"netspec: {ours}\ntorch:   {theirs}"
    assert our_totals == their_totals
    return None


# ---- drawing values ---------------------------------------------------------------


def spell(draw, values: list) -> object:
    """A per-dim list, or a single int when every dim has the same value (either spelling)."""
    if len(set(map(str, values))) == 1 and not isinstance(values[0], list) and draw(st.booleans()):
        return values[0]
    return list(values)


def per_axis(value: object, rank: int) -> list:
    return [value] * rank if isinstance(value, int) else list(value)


def tup(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def axis_values(draw, rank: int, lo: int, hi: int) -> list[int]:
    return [draw(st.integers(lo, hi)) for _ in range(rank)]


def pad_pairs(padding: object, rank: int) -> list[tuple[int, int]] | None:
    if padding == "same":
        return None
    if padding == "valid":
        return [(0, 0)] * rank
    return [tuple(p) if isinstance(p, list) else (p, p) for p in per_axis(padding, rank)]


def draw_padding(draw, form: str, rank: int, hi: int) -> object:
    if form in ("same", "valid"):
        return form
    if form == "pairs":  # per dim: [before, after] or one int (mixed spellings are allowed)
        return [
            [draw(st.integers(0, hi)), draw(st.integers(0, hi))]
            if draw(st.booleans())
            else draw(st.integers(0, hi))
            for _ in range(rank)
        ]
    return spell(draw, axis_values(draw, rank, 0, hi))


def effective(k: int, d: int) -> int:
    return d * (k - 1) + 1


def draw_sizes(draw, lows: list[int], cap: int) -> list[int]:
    return [draw(st.integers(lo, max(lo, cap))) for lo in lows]


# ---- torch modules ----------------------------------------------------------------

CONV = (None, nn.Conv1d, nn.Conv2d, nn.Conv3d)
CONV_T = (None, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
PAD = (None, nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d)
MAXPOOL = (None, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
AVGPOOL = (None, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
ADAPTIVE = (None, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
BN = (nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def conv_layer(rank, cin, out, kernel, stride, padding, dilation, groups, bias) -> Layer:
    stage = call(
        "conv",
        out,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )
    conv = CONV[rank]
    stride = 1 if stride is None else stride
    if isinstance(padding, list) and any(isinstance(p, list) for p in padding):
        pairs = pad_pairs(padding, rank)
        flat = tuple(v for pair in reversed(pairs) for v in pair)  # last dim first

        def make() -> nn.Module:
            return nn.Sequential(
                PAD[rank](flat, 0.0),
                conv(cin, out, tup(kernel), tup(stride), 0, tup(dilation), groups, bias),
            )

    else:

        def make() -> nn.Module:
            return conv(
                cin, out, tup(kernel), tup(stride), tup(padding), tup(dilation), groups, bias
            )

    return stage, make


def conv_transpose_layer(
    rank, cin, out, kernel, stride, padding, output_padding, dilation, groups, bias
) -> Layer:
    stage = call(
        "conv_transpose",
        out,
        kernel,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )

    def make() -> nn.Module:
        return CONV_T[rank](
            cin,
            out,
            tup(kernel),
            tup(stride),
            tup(padding),
            tup(output_padding),
            groups,
            bias,
            tup(dilation),
        )

    return stage, make


def pool_layer(kind, rank, kernel, stride, padding, dilation, ceil_mode, count_include_pad):
    if kind == "maxpool":
        stage = call(
            "maxpool",
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
        )

        def make() -> nn.Module:
            return MAXPOOL[rank](
                tup(kernel), tup(stride), tup(padding), tup(dilation or 1), ceil_mode=ceil_mode
            )

    else:
        stage = call(
            "avgpool",
            kernel,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )

        def make() -> nn.Module:
            return AVGPOOL[rank](
                tup(kernel),
                tup(stride),
                tup(padding),
                ceil_mode=ceil_mode,
                count_include_pad=count_include_pad,
            )

    return stage, make


# ---- single-layer properties ------------------------------------------------------


@st.composite
def valid_convs(draw):
    rank = draw(st.integers(1, 3))
    groups = draw(st.sampled_from((1, 1, 1, 2, 3, 4)))
    cin = groups * draw(st.integers(1, 8 // groups))
    out = groups * draw(st.integers(1, 8 // groups))
    k = axis_values(draw, rank, 1, 5)
    d = axis_values(draw, rank, 1, 3)
    form = draw(st.sampled_from(("int", "int", "pairs", "same", "valid")))
    s = [1] * rank if form == "same" else axis_values(draw, rank, 1, 3)
    padding = draw_padding(draw, form, rank, 3)
    pairs = pad_pairs(padding, rank) or [(0, 0)] * rank
    lows = [
        1 if form == "same" else max(1, effective(kk, dd) - b - a)
        for kk, dd, (b, a) in zip(k, d, pairs, strict=True)
    ]
    sizes = draw_sizes(draw, lows, 24 if rank < 3 else 8)
    bias = draw(st.booleans())
    stride = spell(draw, s) if form != "same" or draw(st.booleans()) else None
    layer = conv_layer(
        rank, cin, out, spell(draw, k), stride, padding, spell(draw, d), groups, bias
    )
    return (cin, *sizes), [layer]


@given(valid_convs())
@settings(max_examples=150, **SETTINGS)
def test_conv_matches_torch(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=True)


@st.composite
def maybe_invalid_convs(draw):
    rank = draw(st.integers(1, 3))
    cin, out, groups = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    k = axis_values(draw, rank, 1, 6)
    d = axis_values(draw, rank, 1, 3)
    s = axis_values(draw, rank, 1, 3)
    padding = draw_padding(draw, draw(st.sampled_from(("int", "pairs", "valid"))), rank, 3)
    sizes = axis_values(draw, rank, 1, 6)
    layer = conv_layer(
        rank, cin, out, spell(draw, k), spell(draw, s), padding, spell(draw, d), groups, True
    )
    return (cin, *sizes), [layer]


@given(maybe_invalid_convs())
@settings(max_examples=150, **SETTINGS)
def test_conv_rejected_iff_torch_rejects(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=False)


@st.composite
def conv_transposes(draw, valid: bool):
    rank = draw(st.integers(1, 3)) if valid else 2
    groups = draw(st.sampled_from((1, 1, 2, 3)))
    cin = groups * draw(st.integers(1, 8 // groups))
    out = groups * draw(st.integers(1, 8 // groups))
    k = axis_values(draw, rank, 1, 4)
    s = axis_values(draw, rank, 1, 3)
    d = axis_values(draw, rank, 1, 3)
    if valid:
        op = [draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True)]
    else:
        op = axis_values(draw, rank, 0, 3)
    p = axis_values(draw, rank, 0, 3)
    if valid:  # s (i - 1) + op + effective kernel - 2 p >= 1
        lows = [
            max(1, 1 - (-(2 * pp + 1 - oo - effective(kk, dd)) // ss))
            for kk, ss, dd, oo, pp in zip(k, s, d, op, p, strict=True)
        ]
        sizes = draw_sizes(draw, lows, 10 if rank < 3 else 5)
    else:
        sizes = axis_values(draw, rank, 1, 4)
    layer = conv_transpose_layer(
        rank,
        cin,
        out,
        spell(draw, k),
        spell(draw, s),
        spell(draw, p),
        spell(draw, op),
        spell(draw, d),
        groups,
        draw(st.booleans()),
    )
    return (cin, *sizes), [layer]


@given(conv_transposes(valid=True))
@settings(max_examples=100, **SETTINGS)
def test_conv_transpose_matches_torch(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=True)


@given(conv_transposes(valid=False))
@settings(max_examples=100, **SETTINGS)
def test_conv_transpose_2d_rejected_iff_torch_rejects(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=False)


@st.composite
def pools(draw, variant: str):
    """variant: "valid"; or, possibly invalid, "any" (no dilation, no 3-d avgpool),
    "dilated" (maxpool with dilation) or "avg3d" (3-d avgpool)."""
    valid = variant == "valid"
    rank = 3 if variant == "avg3d" else draw(st.integers(1, 3))
    if variant in ("dilated", "avg3d"):
        kind = "maxpool" if variant == "dilated" else "avgpool"
    else:
        kind = draw(st.sampled_from(("maxpool", "avgpool")))
    if variant == "any" and rank == 3:
        kind = "maxpool"
    c = draw(st.integers(1, 8))
    k = axis_values(draw, rank, 1, 5 if valid else 4)
    s = None if draw(st.booleans()) else axis_values(draw, rank, 1, 4 if valid else 3)
    use_dilation = kind == "maxpool" and (variant == "dilated" or valid and draw(st.booleans()))
    d = axis_values(draw, rank, 1, 3 if variant == "dilated" else 2) if use_dilation else [1] * rank
    if valid:  # PyTorch's rule: padding at most half the kernel (not the dilated window)
        p = [draw(st.integers(0, kk // 2)) for kk in k]
        lows = [max(1, effective(kk, dd) - 2 * pp) for kk, dd, pp in zip(k, d, p, strict=True)]
        if kind == "avgpool" and rank == 3:  # AvgPool3d also wants the unpadded input >= kernel
            lows = [max(lo, kk) for lo, kk in zip(lows, k, strict=True)]
        sizes = draw_sizes(draw, lows, 24 if rank < 3 else 8)
    else:
        if variant == "avg3d":  # within PyTorch's padding rule, which "any" already covers
            p = [draw(st.integers(0, kk // 2)) for kk in k]
            sizes = axis_values(draw, rank, 1, 4)
        else:
            p = axis_values(draw, rank, 0, 3)
            sizes = axis_values(draw, rank, 1, 6)
    layer = pool_layer(
        kind,
        rank,
        spell(draw, k),
        None if s is None else spell(draw, s),
        spell(draw, p),
        spell(draw, d) if use_dilation else None,
        draw(st.booleans()),
        draw(st.booleans()),
    )
    return (c, *sizes), [layer]


@given(pools("valid"))
@settings(max_examples=150, **SETTINGS)
def test_pool_matches_torch(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=True)


@given(pools("any"))
@settings(max_examples=150, **SETTINGS)
def test_pool_rejected_iff_torch_rejects(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=False)


@given(pools("dilated"))
@settings(max_examples=80, **SETTINGS)
def test_dilated_maxpool_rejected_iff_torch_rejects(case):
    # PyTorch limits padding to half the kernel size, not half the dilated window.
    shape, layers = case
    agree(shape, layers, must_be_valid=False)


@given(pools("avg3d"))
@settings(max_examples=80, **SETTINGS)
def test_avgpool_3d_rejected_iff_torch_rejects(case):
    # AvgPool3d alone among PyTorch's pools also rejects an unpadded input smaller
    # than the kernel, however much padding there is.
    shape, layers = case
    agree(shape, layers, must_be_valid=False)


@st.composite
def adaptive_pools(draw):
    rank = draw(st.integers(1, 3))
    cap = 12 if rank < 3 else 6
    sizes = axis_values(draw, rank, 1, cap)
    out = spell(draw, axis_values(draw, rank, 1, cap))
    c = draw(st.integers(1, 8))
    layer = call("adaptive_avgpool", out), lambda: ADAPTIVE[rank](tup(out))
    return (c, *sizes), [layer]


@given(adaptive_pools())
@settings(max_examples=60, **SETTINGS)
def test_adaptive_avgpool_matches_torch(case):
    shape, layers = case
    agree(shape, layers, must_be_valid=True)


@given(
    st.lists(st.integers(1, 8), min_size=0, max_size=2),
    st.integers(1, 8),
    st.integers(1, 8),
    st.booleans(),
)
@settings(max_examples=50, **SETTINGS)
def test_linear_matches_torch(lead, features, out, bias):
    layer = call("linear", out, bias=bias), lambda: nn.Linear(features, out, bias=bias)
    agree((*lead, features), [layer], must_be_valid=True)


@given(
    st.integers(1, 8),
    st.lists(st.integers(1, 6), min_size=0, max_size=3),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=50, **SETTINGS)
def test_bn_matches_torch(c, spatial, affine, track):
    rank = len(spatial)

    def make() -> nn.Module:
        return BN[rank](c, affine=affine, track_running_stats=track)

    layer = call("bn", affine=affine, track_running_stats=track), make
    # Without running statistics torch normalises by the batch's even in eval mode,
    # and refuses a single value per channel; two samples avoid that (N is symbolic).
    agree((c, *spatial), [layer], must_be_valid=True, batch=2)


@given(st.integers(1, 8), st.lists(st.integers(1, 6), min_size=0, max_size=3), st.booleans())
@settings(max_examples=40, **SETTINGS)
def test_prelu_matches_torch(c, spatial, shared):
    layer = call("prelu", shared=shared), lambda: nn.PReLU(1 if shared else c)
    agree((c, *spatial), [layer], must_be_valid=True)


# ---- chains -----------------------------------------------------------------------


@st.composite
def chain_layer(draw, shape: tuple[int, ...]):
    """One layer for the current torch shape (batch aside); it may not fit that shape."""
    rank = len(shape) - 1
    if rank == 0:
        kind = draw(st.sampled_from(("linear", "bn", "prelu", "relu")))
    else:
        kinds = ["conv", "conv", "maxpool", "avgpool", "adaptive_avgpool", "bn", "prelu"]
        kinds += ["relu", "flatten", "linear"]
        if max(shape[1:]) <= 12:
            kinds.append("conv_transpose")
        kind = draw(st.sampled_from(kinds))
    c = shape[0]
    if kind in ("conv", "conv_transpose"):
        groups = draw(st.sampled_from([g for g in (1, 1, 2, 4) if c % g == 0]))
        out = groups * draw(st.integers(1, 8 // groups))
        k = axis_values(draw, rank, 1, 5)
        s = axis_values(draw, rank, 1, 2)
        d = axis_values(draw, rank, 1, 2)
        bias = draw(st.booleans())
        if kind == "conv":
            form = draw(st.sampled_from(("int", "pairs", "same")))
            if form == "same":
                s = [1] * rank
            padding = draw_padding(draw, form, rank, 2)
            return conv_layer(
                rank, c, out, spell(draw, k), spell(draw, s), padding, spell(draw, d), groups, bias
            )
        op = [draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True)]
        p = spell(draw, axis_values(draw, rank, 0, 2))
        return conv_transpose_layer(
            rank,
            c,
            out,
            spell(draw, k),
            spell(draw, s),
            p,
            spell(draw, op),
            spell(draw, d),
            groups,
            bias,
        )
    if kind in ("maxpool", "avgpool"):
        k = axis_values(draw, rank, 1, 3)
        if kind == "avgpool" and rank == 3:  # the AvgPool3d quirk has its own property
            k = [min(kk, size) for kk, size in zip(k, shape[1:], strict=True)]
        s = None if draw(st.booleans()) else spell(draw, axis_values(draw, rank, 1, 2))
        p = spell(draw, [draw(st.integers(0, kk // 2)) for kk in k])
        return pool_layer(kind, rank, spell(draw, k), s, p, None, draw(st.booleans()), True)
    if kind == "adaptive_avgpool":
        size = spell(draw, axis_values(draw, rank, 1, 6))
        return call("adaptive_avgpool", size), lambda: ADAPTIVE[rank](tup(size))
    if kind == "linear":
        out, f = draw(st.integers(1, 8)), shape[-1]
        return call("linear", out), lambda: nn.Linear(f, out)
    if kind == "bn":
        affine = draw(st.booleans())
        return call("bn", affine=affine), lambda: BN[rank](c, affine=affine)
    if kind == "prelu":
        shared = draw(st.booleans())
        return call("prelu", shared=shared), lambda: nn.PReLU(1 if shared else c)
    if kind == "flatten":
        return "flatten", nn.Flatten
    return "relu", nn.ReLU


@given(st.data())
@settings(max_examples=120, **SETTINGS)
def test_chain_matches_torch(data):
    rank = data.draw(st.integers(1, 3), label="rank")
    cap = 24 if rank < 3 else 8
    shape = (
        data.draw(st.integers(1, 8), label="channels"),
        *data.draw(st.lists(st.integers(3, cap), min_size=rank, max_size=rank), label="size"),
    )
    length = data.draw(st.integers(2, 5), label="length")
    layers: list[Layer] = []
    failed_at = None
    x = torch.zeros(1, *shape)
    with torch.no_grad():
        for index in range(length):
            layer = data.draw(chain_layer(tuple(x.shape[1:])), label=f"layer {index}")
            layers.append(layer)
            try:
                x = forward(layer[1]().eval(), x)
            except TORCH_ERRORS:
                failed_at = index
                break
    error = agree(shape, layers, must_be_valid=False)
    if error is not None:  # both rejected it: netspec must point at the stage torch failed on
        span = error.diagnostics[0].span
        assert span is not None and span.line == FIRST_STAGE_LINE + failed_at, str(error)
