"""Convolution arithmetic against Dumoulin & Visin (arXiv:1603.07285) and PyTorch's rules.

The 15 numbered relationships with the paper's own examples come from the reference
file (figures.json, `conv_arithmetic`); each is written as a one-layer spec. The
functions of netspec.ops.arith are checked against brute-force counts and against
PyTorch's and TensorFlow's published rules, written out here independently.
"""

from __future__ import annotations

import itertools
import re
from math import ceil, floor

import pytest

from netspec.api import check_text
from netspec.ops import arith
from netspec.ops.pool import adaptive_window_total
from tests.conftest import load_reference

RELATIONSHIPS = load_reference("figures.json")["conv_arithmetic"]["relationships"]


def _rid(rel: dict) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", rel["name"].lower()).strip("-")
    return f"r{rel['relationship']:02d}-{slug[:40].rstrip('-')}"


def _kind(rel: dict) -> str:
    if "pooling" in rel["name"]:
        return "avgpool" if "average" in rel["name"] else "maxpool"
    if "i_prime" in rel["example"]:
        return "conv_transpose"
    return "conv"


def one_layer(shape: tuple, stage: str):
    dims = ", ".join(map(str, shape))
    text = f"network R {{\n    input x: [{dims}]\n    y = {stage}\n}}\n"
    (a,) = check_text(text)
    (layer,) = [a.layers[i] for i in a.statement("y").layers]
    return layer


def test_all_fifteen_relationships_are_in_the_reference():
    assert sorted({r["relationship"] for r in RELATIONSHIPS}) == list(range(1, 16))


@pytest.mark.parametrize("rank", [1, 2, 3], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("rel", RELATIONSHIPS, ids=[_rid(r) for r in RELATIONSHIPS])
def test_relationship(rel, rank):
    ex = rel["example"]
    expected = rel["formula_value"]
    assert rel["torch_value"] == expected  # the reference's own check against PyTorch
    kind = _kind(rel)
    k, s, p, d = ex["k"], ex["s"], ex.get("p", 0), ex.get("d", 1)
    if kind == "conv_transpose":
        i = ex["i_prime"]
        stage = f"conv_transpose(2, {k}, stride={s}, padding={p}, output_padding={ex.get('a', 0)})"
    elif kind == "conv":
        i = ex["i"]
        stage = f"conv(2, {k}, stride={s}, padding={p}, dilation={d})"
    else:
        i = ex["i"]
        stage = f"{kind}({k}, stride={s}, padding={p})"
    layer = one_layer(("N", 3, *([i] * rank)), stage)
    assert layer.output_shape[2:] == (expected,) * rank
    channels = 3 if kind.endswith("pool") else 2
    assert layer.output_shape[:2] == ("N", channels)


@pytest.mark.parametrize(
    "rel",
    [r for r in RELATIONSHIPS if "i_prime" in r["example"]],
    ids=[_rid(r) for r in RELATIONSHIPS if "i_prime" in r["example"]],
)
def test_transposed_relationship_inverts_its_convolution(rel):
    """The convolution (i, k, s, p) gives i'; its transpose maps i' back to i."""
    ex = rel["example"]
    k, s, p, a = ex["k"], ex["s"], ex["p"], ex.get("a", 0)
    forward = one_layer(("N", 1, ex["i"], ex["i"]), f"conv(1, {k}, stride={s}, padding={p})")
    assert forward.output_shape[2:] == (ex["i_prime"],) * 2
    back = one_layer(
        ("N", 1, ex["i_prime"], ex["i_prime"]),
        f"conv_transpose(1, {k}, stride={s}, padding={p}, output_padding={a})",
    )
    assert back.output_shape[2:] == (ex["i"],) * 2 == (rel["formula_value"],) * 2


# --- arith: convolution ---------------------------------------------------------------


def brute_conv_out(i: int, k: int, s: int, pad: tuple[int, int], d: int) -> int:
    """Window starts x*s on the padded input whose last tap x*s + d(k-1) stays inside."""
    padded = i + pad[0] + pad[1]
    return sum(1 for x in range(padded + 1) if x * s + d * (k - 1) <= padded - 1)


def test_conv_out_against_window_count():
    for i, k, s, before, after, d in itertools.product(
        range(1, 13), range(1, 6), range(1, 5), range(3), range(3), range(1, 4)
    ):
        expected = brute_conv_out(i, k, s, (before, after), d)
        if expected < 1:
            continue
        assert arith.conv_out(i, k, s, (before, after), d) == expected, (i, k, s, before, after, d)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # VGG 3x3/1 pad 1 keeps the size; AlexNet conv1 227 -> 55; ResNet stem 224 -> 112.
        ((224, 3, 1, (1, 1), 1), 224),
        ((227, 11, 4, (0, 0), 1), 55),
        ((224, 11, 4, (2, 2), 1), 55),
        ((224, 11, 4, (0, 0), 1), 54),
        ((224, 7, 2, (3, 3), 1), 112),
        ((7, 3, 1, (0, 0), 2), 3),  # relationship 15
    ],
    ids=["vgg-3x3", "alexnet-227", "alexnet-224-pad2", "alexnet-224", "resnet-stem", "dilated"],
)
def test_conv_out_examples(args, expected):
    assert arith.conv_out(*args) == expected


def test_effective_kernel():
    # k_hat = k + (k - 1)(d - 1)  (Dumoulin & Visin, relationship 15)
    for k, d in itertools.product(range(1, 8), range(1, 5)):
        assert arith.effective_kernel(k, d) == k + (k - 1) * (d - 1)


# --- arith: pooling, PyTorch's ceil mode ---------------------------------------------


def torch_pooling_output_shape(
    i: int, k: int, pad_l: int, pad_r: int, s: int, d: int, ceil_mode: bool
) -> int:
    """aten/src/ATen/native/Pool.h, pooling_output_shape_pad_lr, transcribed."""
    numerator = i + pad_l + pad_r - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    o = numerator // s + 1  # div_rtn: rounds towards -inf
    if ceil_mode and (o - 1) * s >= i + pad_l:
        # ensure that the last pooling starts inside the image
        o -= 1
    return o


def test_pool_out_matches_pytorch_rule():
    checked = 0
    for i, k, s, d, ceil_mode in itertools.product(
        range(1, 14), range(1, 6), range(1, 5), range(1, 3), (False, True)
    ):
        half = arith.effective_kernel(k, d) // 2
        for pad in range(half + 1):  # PyTorch: pad at most half the (dilated) window
            expected = torch_pooling_output_shape(i, k, pad, pad, s, d, ceil_mode)
            if expected < 1:
                continue
            got = arith.pool_out(i, k, s, (pad, pad), d, ceil_mode)
            assert got == expected, (i, k, s, pad, d, ceil_mode)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # GoogLeNet (Caffe, ceil): 112 -> 56 -> 28 -> 14 -> 7 with 3/2 windows.
        ((112, 3, 2, (0, 0), 1, True), 56),
        ((112, 3, 2, (0, 0), 1, False), 55),
        ((56, 3, 2, (0, 0), 1, True), 28),
        ((28, 3, 2, (0, 0), 1, True), 14),
        ((14, 3, 2, (0, 0), 1, True), 7),
        # Caffe AlexNet at 224 without padding: 54 -> 27 only when rounding up.
        ((54, 3, 2, (0, 0), 1, True), 27),
        ((54, 3, 2, (0, 0), 1, False), 26),
        # The correction: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 4 would start at 6,
        # inside the right padding (6 >= 5 + 1), so PyTorch drops it: 3.
        ((5, 2, 2, (1, 1), 1, True), 3),
        ((5, 2, 2, (1, 1), 1, False), 3),
        # ceil adds a partial window that starts inside the input: 6 -> 3 (floor 2).
        ((6, 3, 2, (0, 0), 1, True), 3),
        ((6, 3, 2, (0, 0), 1, False), 2),
        # ResNet stem pool 112 -> 56 (3/2, pad 1).
        ((112, 3, 2, (1, 1), 1, False), 56),
    ],
    ids=[
        "googlenet-112-ceil",
        "googlenet-112-floor",
        "googlenet-56-ceil",
        "googlenet-28-ceil",
        "googlenet-14-ceil",
        "caffe-alexnet-54-ceil",
        "caffe-alexnet-54-floor",
        "last-window-in-padding-dropped",
        "last-window-floor",
        "partial-window-ceil",
        "partial-window-floor",
        "resnet-stem-pool",
    ],
)
def test_pool_out_examples(args, expected):
    assert arith.pool_out(*args) == expected


@pytest.mark.parametrize(
    ("i", "ceil_mode", "expected"),
    [(5, True, 3), (6, True, 3), (6, False, 2), (112, True, 56)],
    ids=["corrected", "ceil", "floor", "googlenet"],
)
def test_ceil_mode_in_a_spec(i, ceil_mode, expected):
    pad = 1 if i == 5 else 0
    k = 2 if i == 5 else 3
    stage = f"maxpool({k}, stride=2, padding={pad}, ceil_mode={str(ceil_mode).lower()})"
    layer = one_layer(("N", 2, i, i), stage)
    assert layer.output_shape == ("N", 2, expected, expected)


# --- arith: transposed convolution ----------------------------------------------------


def test_conv_transpose_out_inverts_the_convolution():
    """A convolution (k, s, p, d) maps every input size in [o_min, o_min + s - 1] to i';
    its transpose gives o_min + a (a = output padding < s), relationship 14."""
    checked = 0
    for i_prime, k, s, p, d in itertools.product(
        range(1, 8), range(1, 6), range(1, 4), range(3), range(1, 3)
    ):
        sizes = [o for o in range(1, 60) if brute_conv_out(o, k, s, (p, p), d) == i_prime]
        if not sizes:
            continue
        o_min = min(sizes)
        if o_min != s * (i_prime - 1) + arith.effective_kernel(k, d) - 2 * p:
            continue  # the smallest size is clipped at 1: no transpose gives it
        for a in range(s):
            assert arith.conv_transpose_out(i_prime, k, s, p, a, d) == o_min + a
            assert o_min + a in sizes
            checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((2, 3, 1, 0, 0), 4),  # relationship 8
        ((6, 4, 1, 2, 0), 5),  # relationship 9
        ((5, 3, 1, 1, 0), 5),  # relationship 10
        ((7, 3, 1, 2, 0), 5),  # relationship 11
        ((2, 3, 2, 0, 0), 5),  # relationship 12
        ((3, 3, 2, 1, 0), 5),  # relationship 13
        ((3, 3, 2, 1, 1), 6),  # relationship 14
        ((16, 2, 2, 0, 0), 32),  # U-Net 2x2 up-convolution doubles the size
    ],
    ids=["r08", "r09", "r10", "r11", "r12", "r13", "r14", "unet-up"],
)
def test_conv_transpose_out_examples(args, expected):
    assert arith.conv_transpose_out(*args) == expected


# --- arith: TensorFlow "same" padding ---------------------------------------------------


def tf_same_padding(i: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow's documented rule (tf.nn convolution, "SAME"):
    pad_along = max(k - s, 0) if i % s == 0 else max(k - i % s, 0);
    pad_before = pad_along // 2, the rest after."""
    pad = max(k - s, 0) if i % s == 0 else max(k - i % s, 0)
    return pad // 2, pad - pad // 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5, 4, 1), (1, 2)),  # total 3: the extra pixel goes at the end
        ((13, 6, 5), (1, 2)),  # TensorFlow's documentation example
        ((5, 3, 1), (1, 1)),
        ((6, 3, 2), (0, 1)),
        ((7, 3, 2), (1, 1)),
        ((224, 7, 2), (2, 3)),
        ((4, 1, 2), (0, 0)),
    ],
    ids=["i5-k4", "tf-doc-i13-k6-s5", "i5-k3", "i6-k3-s2", "i7-k3-s2", "i224-k7-s2", "k1"],
)
def test_same_padding_examples(args, expected):
    assert arith.same_padding(*args) == expected


def test_same_padding_matches_tensorflow_rule():
    for i, k, s, d in itertools.product(range(1, 20), range(1, 8), range(1, 5), range(1, 4)):
        ek = d * (k - 1) + 1
        before, after = arith.same_padding(i, k, s, d)
        assert (before, after) == tf_same_padding(i, ek, s), (i, k, s, d)
        # and the output is ceil(i / s)
        assert arith.conv_out(i, k, s, (before, after), d) == ceil(i / s), (i, k, s, d)


# --- arith: links of a window ----------------------------------------------------------


def brute_window_pairs(n_iter: int, n_dst: int, k: int, s: int, d: int, offset: int) -> int:
    return sum(1 for x in range(n_iter) for t in range(k) if 0 <= x * s + t * d - offset < n_dst)


def test_window_pairs_against_brute_force():
    for n_iter, n_dst, k, s, d, offset in itertools.product(
        range(1, 7), range(1, 9), range(1, 5), range(1, 4), range(1, 3), range(4)
    ):
        assert arith.window_pairs(n_iter, n_dst, k, s, d, offset) == brute_window_pairs(
            n_iter, n_dst, k, s, d, offset
        ), (n_iter, n_dst, k, s, d, offset)


def test_window_pairs_with_wider_ranges_and_negative_offsets():
    # the closed form has separate regimes (taps seeing every position, some, none):
    # kernels longer than the input, strides and dilations past the kernel, offsets
    # below zero (a transposed convolution's crop) all cross them.
    for n_iter, n_dst, k, s, d, offset in itertools.product(
        range(0, 9, 2), range(0, 12, 3), (1, 2, 7, 13), (1, 3, 5), (1, 4), (-5, -1, 0, 6, 20)
    ):
        assert arith.window_pairs(n_iter, n_dst, k, s, d, offset) == brute_window_pairs(
            n_iter, n_dst, k, s, d, offset
        ), (n_iter, n_dst, k, s, d, offset)


def test_window_pairs_of_a_huge_kernel_is_exact():
    # 65,535 taps "same"-padded over 65,536 positions: output x reads the taps whose
    # input row lands in [0, 65536), i.e. min(x, 32767) + 1 + min(65535 - x, 32767) taps.
    i, k, p = 65_536, 65_535, 32_767
    expected = sum(min(x, p) + 1 + min(i - 1 - x, p) for x in range(i))
    assert arith.window_pairs(i, i, k, 1, 1, p) == expected


def test_floor_sum_against_the_sum():
    for n, m, a, b in itertools.product(
        range(0, 12), range(1, 9), range(0, 20, 3), range(0, 25, 4)
    ):
        assert arith.floor_sum(n, m, a, b) == sum((a * i + b) // m for i in range(n))


def test_window_pairs_without_padding_is_taps_times_outputs():
    # LeNet-5 C1 along one axis: 28 outputs x 5 taps, all inside the 32 inputs.
    assert arith.window_pairs(28, 32, 5, 1, 1, 0) == 28 * 5


# --- adaptive pooling windows -------------------------------------------------------------


def torch_adaptive_windows(i: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling: window j is [floor(j*i/o), ceil((j+1)*i/o))."""
    return [(floor(j * i / o), ceil((j + 1) * i / o)) for j in range(o)]


def test_adaptive_window_total_against_brute_force():
    for i, o in itertools.product(range(1, 41), range(1, 41)):
        expected = sum(end - start for start, end in torch_adaptive_windows(i, o))
        assert adaptive_window_total(i, o) == expected, (i, o)


@pytest.mark.parametrize(
    ("i", "o"), [(13, 6), (10, 3), (7, 7), (3, 5), (224, 7)], ids=lambda v: str(v)
)
def test_adaptive_pool_connections_in_a_spec(i, o):
    layer = one_layer(("N", 2, i, i), f"adaptive_avgpool({o})")
    assert layer.output_shape == ("N", 2, o, o)
    # each output unit links to the units of its window: the product of the axis windows
    expected = 2 * sum(
        (e1 - s1) * (e2 - s2)
        for s1, e1 in torch_adaptive_windows(i, o)
        for s2, e2 in torch_adaptive_windows(i, o)
    )
    assert layer.connections == expected
