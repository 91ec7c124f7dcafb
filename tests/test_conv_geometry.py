"""The convolution pictures' geometry against PyTorch's arithmetic and independent counts.

Each window's input cells are recomputed here from the definitions, not from the
canvas: a convolution's output j reads input j s - p + m d (m < k); a transposed
convolution's input x writes output x s - p + m d. Where torch is installed, autograd
says which input cells each output cell depends on, a third opinion.
"""

from __future__ import annotations

import argparse
import itertools
import time

import pytest

from netspec.ops.arith import conv_out, conv_transpose_out
from netspec.teach.figures import geometry as cg
from netspec.teach.question import ConvQuestion, QuestionError, add_conv_arguments, question_from
from tests.conftest import load_reference

RELATIONSHIPS = load_reference("figures.json")["conv_arithmetic"]["relationships"]


def ask(options: str) -> ConvQuestion:
    parser = argparse.ArgumentParser()
    add_conv_arguments(parser)
    return question_from(parser.parse_args(options.split()))


def conv_reads(i: int, k: int, s: int, p: int, d: int, j: int) -> set[int]:
    return {j * s - p + m * d for m in range(k)} & set(range(i))


def transposed_reads(i: int, k: int, s: int, p: int, d: int, y: int) -> set[int]:
    return {x for x in range(i) for m in range(k) if x * s - p + m * d == y}


def _questions():
    """Every small question that passes validation (square, so both axes agree)."""
    kinds = ((False, None, False), (True, None, False), ("max", False), ("max", True))
    for i, k, s, p, d in itertools.product(range(1, 8), range(1, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
        for kind in kinds:
            transposed, pool, ceil = kind if len(kind) == 3 else (False, *kind)
            for a in range(max(s, d)) if transposed else (0,):
                args = argparse.Namespace(
                    input=(i, i), kernel=(k, k), stride=(s, s), padding=(p, p),
                    dilation=(d, d), transposed=transposed, output_padding=(a, a), pool=pool,
                    ceil_mode=ceil,
                )  # fmt: skip
                try:
                    yield question_from(args)
                except QuestionError:
                    continue


QUESTIONS = list(_questions())


def test_the_sweep_covers_every_kind_of_question():
    kinds = {(q.transposed, q.pool, q.ceil_mode) for q in QUESTIONS}
    assert kinds == {(False, None, False), (True, None, False), (False, "max", False),
                     (False, "max", True)}  # fmt: skip
    assert len(QUESTIONS) > 1000


def test_one_frame_per_output_cell():
    for q in QUESTIONS:
        assert cg.axis_geometry(q, 0).output == q.axis_output(0)
        assert cg.axis_geometry(q, 0).size == cg.canvas_size(q, 0)
        if q.output_size()[0] ** 2 <= cg.MAX_FRAMES:
            g = cg.geometry(q)
            assert g.output == q.output_size()
            assert len(list(g.frames())) == q.output_size()[0] * q.output_size()[1]


def test_each_window_reads_the_cells_the_definition_says():
    for q in QUESTIONS:
        axis = cg.axis_geometry(q, 0)
        i, k, s, p, d = q.input[0], q.kernel[0], q.stride[0], q.padding[0], q.dilation[0]
        for j in range(axis.output):
            reads = transposed_reads if q.transposed else conv_reads
            want = reads(i, k, s, p, d, j)
            assert set(axis.covered(j)) == want, (q, j)
            assert len(axis.window(j)) == k and max(axis.window(j)) < axis.size


def test_windows_stay_on_the_padded_input_except_ceil_mode_overhang():
    for q in QUESTIONS:
        axis = cg.axis_geometry(q, 0)
        overhang = [c for j in range(axis.output) for c in axis.window(j)
                    if axis.kinds[c] == cg.BEYOND]  # fmt: skip
        if not q.ceil_mode:
            assert cg.BEYOND not in axis.kinds
        # every window, even the last ceil-mode one, starts on real input or padding
        assert all(axis.kinds[axis.starts[j]] != cg.BEYOND for j in range(axis.output))
        if overhang:
            assert q.ceil_mode and q.pool


def test_ceil_mode_shows_the_partial_window():
    g = cg.geometry(ask("--input 5 --kernel 2 --stride 2 --pool max --ceil-mode"))
    assert g.output == (3, 3)
    assert g.rows.kinds == ("input",) * 5 + ("beyond",)
    assert g.rows.covered(2) == (4,)  # the last window holds one real cell


def test_the_2d_window_is_the_product_of_the_axes():
    g = cg.geometry(ask("--input 5x7 --kernel 3x2 --stride 2x1 --padding 1x0 --dilation 1x2"))
    assert g.output == (3, 5)
    assert g.covered(0, 0) == {(y, x) for y in (0, 1) for x in (0, 2)}
    assert g.kind(0, 3) == cg.PADDING and g.kind(1, 3) == cg.INPUT


def test_the_transposed_canvas_as_the_paper_draws_it():
    # Relationship 14: i' = 3, k = 3, s = 2, p = 1, a = 1: one zero between input cells,
    # k - p - 1 = 1 padding around, a = 1 more on the far side; o' = 6.
    g = cg.geometry(ask("--input 3 --kernel 3 --stride 2 --padding 1 --transposed "
                        "--output-padding 1"))  # fmt: skip
    assert g.rows.kinds == ("padding", "input", "zero", "input", "zero", "input", "padding",
                            "output_padding")  # fmt: skip
    assert g.rows.sources == (None, 0, None, 1, None, 2, None, None)
    assert g.output == (6, 6)
    assert sum(g.kind(y, x) == cg.INPUT for y in range(8) for x in range(8)) == 9


def test_padding_beyond_the_kernel_crops_the_stretched_input():
    q = ask("--input 4 --kernel 2 --stride 2 --padding 2 --transposed")  # pad = 1 - 2 = -1
    axis = cg.axis_geometry(q, 0)
    assert axis.size == 7 - 2 and axis.output == conv_transpose_out(4, 2, 2, 2, 0) == 4
    assert axis.kinds[0] == cg.ZERO  # stretched position 1: the first input cell is cut


@pytest.mark.parametrize("rel", [r for r in RELATIONSHIPS if r["relationship"] >= 8],
                         ids=lambda r: f"r{r['relationship']}")  # fmt: skip
def test_the_zero_inserted_convolution_gives_the_transposed_output(rel):
    """Relationships 8-15: the transposed convolution of each example (for 15, of the
    dilated example) equals a stride-1 convolution over the stretched, padded input."""
    ex = rel["example"]
    k, s, p, d, a = ex["k"], ex["s"], ex["p"], ex.get("d", 1), ex.get("a", 0)
    i_prime = ex.get("i_prime", conv_out(ex["i"], k, s, (p, p), d))
    q = ask(f"--input {i_prime} --kernel {k} --stride {s} --padding {p} --dilation {d} "
            f"--output-padding {a} --transposed")  # fmt: skip
    axis = cg.axis_geometry(q, 0)
    zeros_between = axis.kinds.count(cg.ZERO) // max(i_prime - 1, 1)
    assert zeros_between == (s - 1 if i_prime > 1 else 0)
    assert axis.kinds.index(cg.INPUT) == d * (k - 1) - p  # k - p - 1 when d = 1
    assert axis.kinds.count(cg.OUTPUT_PADDING) == a
    direct = conv_out(axis.size, k, 1, (0, 0), d)
    assert direct == axis.output == conv_transpose_out(i_prime, k, s, p, a, d)
    assert direct == ex["i"]  # the transposed convolution restores the input size
    if "i_prime" in ex:
        assert direct == rel["formula_value"]


def test_the_limits_refuse_big_pictures_at_once():
    start = time.perf_counter()
    for options, words in (
        ("--input 100000 --kernel 3", "frames"),
        ("--input 33 --kernel 1", "1,089 cells"),
        ("--input 200x1 --kernel 1", "too small to read"),
        ("--input 2x40 --kernel 1x3 --stride 1x20 --padding 0x20", "80 cells wide"),
    ):
        with pytest.raises(QuestionError, match=words):
            cg.geometry(ask(options))
    assert time.perf_counter() - start < 0.5
    assert cg.geometry(ask("--input 32 --kernel 1")).output == (32, 32)  # 1,024 frames is fine


def test_torch_agrees_on_every_window():
    torch = pytest.importorskip("torch")
    for options in ("--input 5 --kernel 3 --stride 2 --padding 1",
                    "--input 7 --kernel 3 --dilation 2",
                    "--input 6x5 --kernel 3x2 --stride 2x3 --padding 1x0",
                    "--input 3 --kernel 3 --stride 2 --padding 1 --transposed --output-padding 1",
                    "--input 4 --kernel 3 --stride 3 --padding 1 --dilation 2 --transposed",
                    "--input 5 --kernel 2 --stride 2 --pool avg --ceil-mode"):  # fmt: skip
        q = ask(options)
        g = cg.geometry(q)
        x = torch.ones(1, 1, *q.input, dtype=torch.float64)
        jacobian = torch.autograd.functional.jacobian(lambda t, q=q: _torch_layer(torch, q, t), x)
        assert tuple(jacobian.shape[2:4]) == g.output
        for r, c in g.frames():
            seen = {(a, b) for a, b in jacobian[0, 0, r, c, 0, 0].nonzero().tolist()}
            assert seen == g.covered(r, c), (options, r, c)


def _torch_layer(torch, q: ConvQuestion, x):
    f = torch.nn.functional
    if q.pool:
        return f.avg_pool2d(x, q.kernel, q.stride, q.padding, q.ceil_mode)
    w = torch.ones(1, 1, *q.kernel, dtype=torch.float64)
    if q.transposed:
        return f.conv_transpose2d(x, w, None, q.stride, q.padding, q.output_padding, 1, q.dilation)
    return f.conv2d(x, w, None, q.stride, q.padding, q.dilation)
