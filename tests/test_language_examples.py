"""The examples of the language contract (shared LANGUAGE.md, "Examples (each must check,
with the figures shown)"), copied verbatim, checked with the figures the page states.
Also: the grammar passes Lark's strict mode (no shift/reduce conflicts, no colliding
terminals).
"""

from __future__ import annotations

import re

import pytest
from lark import Lark

from netspec.api import check_text
from netspec.syntax.parser import _PostLexer, grammar_path
from tests.conftest import SPECS

# --- the page's code blocks, verbatim --------------------------------------------------

LENET5 = """\
const C3_TABLE = [[0,1,2], [1,2,3], [2,3,4], [3,4,5], [0,4,5], [0,1,5],
                  [0,1,2,3], [1,2,3,4], [2,3,4,5], [0,3,4,5], [0,1,4,5], [0,1,2,5],
                  [0,1,3,4], [1,2,4,5], [0,2,3,5],
                  [0,1,2,3,4,5]]

network LeNet5 {
    input image: [N, 1, 32, 32]
    C1 = conv(6, 5) scaled_tanh                      -> [N, 6, 28, 28]
    S2 = subsample(2) sigmoid                        -> [N, 6, 14, 14]
    C3 = conv(16, 5, connect=C3_TABLE) scaled_tanh   -> [N, 16, 10, 10]
    S4 = subsample(2) sigmoid                        -> [N, 16, 5, 5]
    C5 = conv(120, 5) scaled_tanh                    -> [N, 120, 1, 1]
    F6 = flatten linear(84) scaled_tanh              -> [N, 84]
    output = rbf(10)                                 -> [N, 10]
}
"""

RESNET50 = """\
defaults conv(bias=false)

block bottleneck(width, stride=1) {
    let out = width * 4
    add {
        conv(width, 1) bn relu
        conv(width, 3, stride=stride, padding=1) bn relu
        conv(out, 1) bn
      | if stride != 1 or in.c != out {
            conv(out, 1, stride=stride) bn
        }
    }
    relu
}

block stage(width, blocks, stride=2) {
    bottleneck(width, stride=stride)
    repeat blocks - 1 {
        bottleneck(width)
    }
}

network ResNet50(classes=1000) {
    input image: [N, 3, 224, 224]
    stem   = conv(64, 7, stride=2, padding=3) bn relu maxpool(3, stride=2, padding=1)
    layer1 = stage(64, 3, stride=1)         -> [N, 256, 56, 56]
    layer2 = stage(128, 4)                  -> [N, 512, 28, 28]
    layer3 = stage(256, 6)                  -> [N, 1024, 14, 14]
    layer4 = stage(512, 3)                  -> [N, 2048, 7, 7]
    head   = global_avgpool flatten linear(classes, bias=true)
}
"""

INCEPTION_UNET = """\
block inception(c1, c3r, c3, c5r, c5, pool_proj) {
    concat {
        conv(c1, 1) relu
      | conv(c3r, 1) relu
        conv(c3, 3, padding=1) relu
      | conv(c5r, 1) relu
        conv(c5, 5, padding=2) relu
      | maxpool(3, stride=1, padding=1)
        conv(pool_proj, 1) relu
    }
}

block double_conv(c) {
    conv(c, 3, padding=1) bn relu
    conv(c, 3, padding=1) bn relu
}

network UNetMini {
    input x: [N, 1, 64, 64]
    e1 = double_conv(32)
    e2 = maxpool(2) double_conv(64)
    maxpool(2) double_conv(128)
    conv_transpose(64, 2, stride=2) concat(e2) double_conv(64)
    conv_transpose(32, 2, stride=2) concat(e1) double_conv(32)
    conv(2, 1)                              -> [N, 2, 64, 64]
}
"""

BLOCKS = {"lenet5": LENET5, "resnet50": RESNET50, "inception-unet": INCEPTION_UNET}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_example_checks(name):
    analyses = check_text(BLOCKS[name], name=f"{name}.netspec")  # checkpoints included
    assert analyses


# --- LeNet-5 ----------------------------------------------------------------------------

# "Trainable parameters C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164, total
# 60,000; connections C1 122,304, S2 5,880, C3 151,600, S4 2,000, C5 48,120,
# F6 10,164, output 840, total 340,908."
LENET5_FIGURES = {
    "C1": (156, 122_304),
    "S2": (12, 5_880),
    "C3": (1_516, 151_600),
    "S4": (32, 2_000),
    "C5": (48_120, 48_120),
    "F6": (10_164, 10_164),
    "output": (0, 840),
}


@pytest.mark.parametrize("statement", list(LENET5_FIGURES))
def test_lenet5_statement_figures(statement):
    (a,) = check_text(LENET5)
    params, connections = LENET5_FIGURES[statement]
    s = a.statement(statement)
    assert s.counts.trainable == params
    assert s.connections == connections


def test_lenet5_totals():
    (a,) = check_text(LENET5)
    assert a.totals.trainable_params == 60_000
    assert a.totals.connections == 340_908
    assert a.totals.fixed_params == 10 * 84  # the RBF centres are fixed, not trained
    assert [s.name for s in a.statements] == list(LENET5_FIGURES)


# --- ResNet-50 --------------------------------------------------------------------------


def test_resnet50_parameters():
    (a,) = check_text(RESNET50)
    assert a.totals.params == 25_557_032
    assert a.statement("head").output_shape == ("N", 1000)


def test_resnet50_example_is_the_zoo_spec():
    """specs/resnet50.netspec says it is the reference's example, unchanged but for its
    layout (the zoo is kept as `netspec fmt` writes it; its lines are the example's)."""
    code = [
        line
        for line in (SPECS / "resnet50.netspec").read_text().splitlines()
        if not line.startswith("#")
    ]
    ours = [" ".join(line.split()) for line in "\n".join(code).strip().splitlines()]
    assert ours == [" ".join(line.split()) for line in RESNET50.strip().splitlines()]


# --- the Inception block and UNetMini ------------------------------------------------------


def test_inception_block():
    """`inception(64, 96, 128, 16, 32, 32)` on [N, 192, 28, 28] gives [N, 256, 28, 28]
    with 163,696 parameters."""
    text = INCEPTION_UNET + (
        "\nnetwork Inception3a {\n"
        "    input x: [N, 192, 28, 28]\n"
        "    y = inception(64, 96, 128, 16, 32, 32)\n"
        "}\n"
    )
    analyses = {a.name: a for a in check_text(text)}
    assert set(analyses) == {"UNetMini", "Inception3a"}
    s = analyses["Inception3a"].statement("y")
    assert s.output_shape == ("N", 256, 28, 28)
    assert s.counts.params == 163_696


def test_unet_mini():
    (a,) = check_text(INCEPTION_UNET)
    assert a.name == "UNetMini"
    assert a.statement("e1").output_shape == ("N", 32, 64, 64)
    assert a.statement("e2").output_shape == ("N", 64, 32, 32)
    assert a.statements[-1].output_shape == ("N", 2, 64, 64)  # the page's checkpoint

    def double_conv(c_in, c):  # two 3x3 convs with bias, each followed by bn (2c)
        return (c * c_in * 9 + c) + 2 * c + (c * c * 9 + c) + 2 * c

    expected = (
        double_conv(1, 32)  # e1
        + double_conv(32, 64)  # e2
        + double_conv(64, 128)  # bottom
        + (128 * 64 * 4 + 64)
        + double_conv(64 + 64, 64)  # up: 2x2 transpose, concat(e2)
        + (64 * 32 * 4 + 32)
        + double_conv(32 + 32, 32)  # up: 2x2 transpose, concat(e1)
        + (32 * 2 + 2)  # 1x1 head
    )
    assert expected == 467_266
    assert a.totals.params == expected
    # BN buffers, as PyTorch saves them: 2C + 1 per layer, ten layers
    assert a.totals.buffers == sum(2 * c + 1 for c in (32, 32, 64, 64, 128, 128, 64, 64, 32, 32))


# --- the grammar under Lark's strict mode ------------------------------------------------


def test_grammar_loads_in_lark_strict_mode():
    """strict=True raises on shift/reduce conflicts (which LALR otherwise resolves
    silently by shifting) and on terminals whose regexes collide."""
    pytest.importorskip("interegular", reason="Lark's strict mode needs interegular")
    parser = Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        strict=True,
        postlex=_PostLexer(),
    )
    tree = parser.parse(LENET5)
    assert tree is not None


def test_strict_mode_does_reject_conflicts():
    """The check above means something: strict mode fails on a known conflict."""
    pytest.importorskip("interegular", reason="Lark's strict mode needs interegular")
    from lark.exceptions import GrammarError, LexError

    ambiguous = 'start: e\ne: e "+" e | INT\n%import common.INT\n%ignore " "\n'
    Lark(ambiguous, parser="lalr", lexer="basic")  # accepted without strict
    with pytest.raises(GrammarError, match=re.escape("Shift/Reduce")):
        Lark(ambiguous, parser="lalr", lexer="basic", strict=True)
    with pytest.raises(LexError, match="Collision"):
        Lark("start: A B\nA: /a+/\nB: /a/\n", parser="lalr", lexer="basic", strict=True)
