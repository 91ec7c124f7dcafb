"""Weight tying: `linear(vocab, bias=false, tied=words)` shares an earlier layer's matrix
(netspec/elaborate/tying.py, netspec/ops/linear.py): counted once, one parameter in
PyTorch, one initializer in ONNX (the zoo's GPT-2 in tests/test_zoo_transformers.py)."""

from __future__ import annotations

import pytest

from netspec.api import check_text
from tests.conftest import diagnostic

HEAD = """
network T(vocab=100, width=16) {{
    input ids: [N, 8] int64
    words = embedding(vocab, width)
    {rest}
}}
"""


def _spec(rest: str) -> str:
    return HEAD.format(rest=rest)


def test_a_tied_head_counts_only_its_bias():
    [a] = check_text(_spec("head = linear(vocab, tied=words)"))
    head = a.layer("head")
    assert head.counts.params == 100  # the bias; the weight is words'
    assert a.totals.params == 100 * 16 + 100
    assert head.cost.macs == 8 * 16 * 100  # the work is all there
    assert head.description == "linear 100 tied to words"


def test_a_tie_to_a_tied_layer_points_at_the_one_counted():
    rest = (
        "a = linear(vocab, bias=false, tied=words)\n"
        "    from words\n"
        "    b = linear(vocab, bias=false, tied=a)"
    )
    [net] = check_text(_spec(rest))
    assert net.layer("b").attrs["tied"] == "words"
    assert net.totals.params == 1600


def test_linear_to_linear_of_the_same_shape():
    [a] = check_text(_spec("x = linear(16)\n    y = linear(16, tied=x)"))
    assert a.totals.params == 1600 + (256 + 16) + 16


@pytest.mark.parametrize(
    ("rest", "code", "needle", "caret"),
    [
        (
            "head = linear(50, tied=words)",
            "E-shape",
            "[50, 16], and the weight of words is [100, 16]",
            "words",
        ),
        (
            "d = dropout(0.1)\n    head = linear(100, tied=d)",
            "E-arg",
            "no layer with a weight",
            "d",
        ),
        ("head = linear(100, tied=ids)", "E-arg", "no layer with a weight", "ids"),
        ("head = linear(100, tied=3)", "E-type", "must name a layer with weights", "3"),
    ],
)
def test_a_bad_tie_is_a_positioned_error(rest, code, needle, caret):
    d = diagnostic(_spec(rest))
    assert d.code == code and needle in d.message
    line = d.span.text()
    assert caret in line
