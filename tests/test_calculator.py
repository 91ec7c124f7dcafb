"""`netspec explain conv ...`: Dumoulin & Visin's relationships, named and computed.

Every one of the paper's 15 relationships is tested with the paper's own example (the
reference file figures.json, `conv_arithmetic`): the calculator must name it, and its
formula, PyTorch's rule (netspec.ops.arith) and the reference's figures must agree.
Over a grid of questions the named relationship's formula must equal PyTorch's rule,
and a transposed convolution's equivalent convolution on the stretched input is run
against the transposed convolution itself (1-d, small integers, pure Python).
"""

from __future__ import annotations

import argparse
import itertools
import random
import re

import pytest

from netspec.cli.main import main
from netspec.ops import arith
from netspec.teach.explain.calculator import explain_question, question_axis
from netspec.teach.explain.paper import RELATIONSHIPS, Axis, relationship_for
from netspec.teach.question import ConvQuestion, QuestionError, add_conv_arguments, question_from
from tests.conftest import ROOT, load_reference

EXAMPLES = load_reference("figures.json")["conv_arithmetic"]["relationships"]


def _question(ex: dict, name: str) -> ConvQuestion:
    transposed = "i_prime" in ex
    pool = ("avg" if "average" in name else "max") if "pooling" in name else None
    sq = lambda v: (v, v)  # noqa: E731
    return ConvQuestion(
        input=sq(ex["i_prime"] if transposed else ex["i"]), kernel=sq(ex["k"]),
        stride=sq(ex["s"]), padding=sq(ex.get("p", 0)), dilation=sq(ex.get("d", 1)),
        transposed=transposed, output_padding=sq(ex.get("a", 0)), pool=pool,
    )  # fmt: skip


def test_the_reference_has_all_fifteen():
    assert sorted({e["relationship"] for e in EXAMPLES}) == list(range(1, 16))
    assert sorted(RELATIONSHIPS) == list(range(1, 16))


@pytest.mark.parametrize(
    "rel", EXAMPLES, ids=[f"r{e['relationship']}-{e['name']}" for e in EXAMPLES]
)
def test_the_papers_examples(rel):
    q = _question(rel["example"], rel["name"])
    x = question_axis(q, 0)
    number = relationship_for(x, q.transposed, bool(q.pool))
    assert number == rel["relationship"]
    expected = rel["formula_value"]
    assert RELATIONSHIPS[number].value(x) == expected
    assert q.axis_output(0) == rel["torch_value"] == expected
    if q.transposed:  # the transposed convolution undoes the paper's direct one
        ex = rel["example"]
        assert expected == ex["i"]
        assert arith.conv_out(ex["i"], ex["k"], ex["s"], (ex["p"], ex["p"])) == ex["i_prime"]
    (block,) = explain_question(q)
    sections = dict(block.sections)
    assert sections["output size"].value == expected
    assert sections[f"relationship {number}"].value == expected
    shown = sections[f"relationship {number}"].steps
    assert any(s.result == str(expected) and s.formula for s in shown)


def test_the_most_specific_is_named_and_the_general_mentioned():
    q = ConvQuestion(input=(5, 5), kernel=(3, 3), padding=(1, 1))  # half padding
    (block,) = explain_question(q)
    sections = dict(block.sections)
    labels = [s.label for s in sections["relationship 3"].steps]
    assert "also 2" in labels and "also 6" in labels
    q = ConvQuestion(input=(2, 2), kernel=(3, 3), transposed=True)  # rel 8 is also 9 and 14
    labels = [s.label for s in dict(explain_question(q)[0].sections)["relationship 8"].steps]
    assert labels[-2:] == ["also 9", "also 14"]


def _grid():
    for i, k, s, p, d in itertools.product(range(1, 9), range(1, 5), (1, 2, 3), range(4), (1, 2)):
        yield ConvQuestion(
            input=(i, i), kernel=(k, k), stride=(s, s), padding=(p, p), dilation=(d, d)
        )
        for a in range(max(s, d)):
            yield ConvQuestion(
                input=(i, i), kernel=(k, k), stride=(s, s), padding=(p, p), dilation=(d, d),
                transposed=True, output_padding=(a, a),
            )  # fmt: skip
        if d == 1:
            for pool in ("max", "avg"):
                yield ConvQuestion(
                    input=(i, i), kernel=(k, k), stride=(s, s), padding=(p, p), pool=pool
                )


def _valid(q: ConvQuestion) -> bool:
    args = argparse.Namespace(**{f: getattr(q, f) for f in q.__dataclass_fields__})
    try:
        question_from(args)
    except QuestionError:
        return False
    return True


def test_every_named_relationship_is_pytorchs_rule():
    seen = set()
    for q in filter(_valid, _grid()):
        torch = q.axis_output(0)
        (block,) = explain_question(q)
        sections = dict(block.sections)
        assert sections["output size"].value == torch, q
        (number,) = [int(t.split()[1]) for t in sections if t.startswith("relationship")]
        seen.add(number)
        assert sections[f"relationship {number}"].value == torch, (q, number)
        assert all(s.label != "PyTorch" for _, sec in block.sections for s in sec.steps), q
        if q.transposed:
            assert sections["equivalent convolution"].value == torch, q
    assert seen == set(range(1, 16))


def _transposed_1d(x: list[int], w: list[int], s: int, p: int, a: int, d: int) -> list[int]:
    """PyTorch's ConvTranspose1d: scatter each input through each tap, crop p each side."""
    full = [0] * (s * (len(x) - 1) + d * (len(w) - 1) + 1 + a)
    for i, v in enumerate(x):
        for t, wt in enumerate(w):
            full[i * s + t * d] += v * wt
    return full[p : len(full) - p]


def _stretched_1d(x: list[int], w: list[int], s: int, p: int, a: int, d: int) -> list[int]:
    """The calculator's equivalent: s - 1 zeros between cells, p' = d(k-1) - p zeros each
    side (a negative p' crops), a more at the end, then a stride-1 convolution with the
    kernel flipped."""
    stretched = []
    for i, v in enumerate(x):
        stretched += [v] + ([0] * (s - 1) if i < len(x) - 1 else [])
    p2 = d * (len(w) - 1) - p
    left, right = p2, p2 + a  # a negative amount crops
    z = stretched[-left:] if left < 0 else [0] * left + stretched
    z = z[: len(z) + right] if right < 0 else z + [0] * right
    span = d * (len(w) - 1) + 1
    flipped = w[::-1]
    return [sum(z[y + t * d] * flipped[t] for t in range(len(w))) for y in range(len(z) - span + 1)]


def test_the_equivalent_convolution_computes_the_transposed_one():
    rng = random.Random(7)
    checked = 0
    for q in filter(_valid, _grid()):
        if not q.transposed:
            continue
        x = question_axis(q, 0)
        sections = dict(explain_question(q)[0].sections)
        steps = {s.label: s for s in sections["equivalent convolution"].steps}
        assert int(steps["p'"].result) == x.d * (x.k - 1) - x.p
        signal = [rng.randint(-3, 3) for _ in range(x.i)]
        kernel = [rng.randint(-3, 3) for _ in range(x.k)]
        want = _transposed_1d(signal, kernel, x.s, x.p, x.a, x.d)
        got = _stretched_1d(signal, kernel, x.s, x.p, x.a, x.d)
        assert got == want and len(got) == q.axis_output(0), q
        checked += 1
    assert checked > 500


def test_relationship_formulas_by_hand():
    assert RELATIONSHIPS[15].value(Axis(7, 3, 1, 0, 2)) == 3  # k̂ = 5: 7 - 5 + 1
    assert RELATIONSHIPS[14].filled(Axis(3, 3, 2, 1, 1, 1)) == "2·(3 - 1) + 1 + 3 - 2·1"
    assert relationship_for(Axis(6, 3, 2, 1)) == 6  # the odd case of the paper's figure
    assert relationship_for(Axis(5, 1, 1, 0)) == 1  # 1x1: no padding first


# --- the command ------------------------------------------------------------------------


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_calculator(capsys):
    code, out, _ = run(capsys, "explain", "conv", "--input", "5", "--kernel", "3", "--stride",
                       "2", "--padding", "1")  # fmt: skip
    assert code == 0
    assert "relationship 6" in out
    assert "floor((i + 2p - k)/s) + 1 = floor((5 + 2·1 - 3)/2) + 1 = 3" in out
    code, out, _ = run(capsys, "explain", "conv", "--input", "3", "--kernel", "3", "--stride",
                       "2", "--padding", "1", "--transposed", "--output-padding", "1")  # fmt: skip
    assert code == 0 and "relationship 14" in out
    assert "ĩ'      3 + (2 - 1)·(3 - 1) = 5" in out
    code, out, _ = run(capsys, "explain", "conv", "--input", "5x7", "--kernel", "3", "--format",
                       "markdown")  # fmt: skip
    assert code == 0 and "H axis" in out and "W axis" in out and "**relationship 1**" in out


@pytest.mark.parametrize(
    "args",
    [
        ("explain", "conv", "--input", "5"),
        ("explain", "conv", "--input", "2", "--kernel", "5"),
        ("explain", "conv", "--input", "5", "--kernel", "3", "--ceil-mode"),
        ("explain", "conv", "C1", "--input", "5", "--kernel", "3"),
        ("explain", "lenet5", "--input", "5", "--kernel", "3"),
        ("explain", "lenet5", "C1", "--transposed"),
        ("explain", "lenet5", "C9"),
    ],
)
def test_cli_misuse_is_one_line_and_status_2(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_file_named_conv_is_a_spec(capsys, tmp_path, monkeypatch):
    (tmp_path / "conv").write_text(
        "network C {\n    input x: [N, 1, 8, 8]\n    y = conv(2, 3)\n}\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "explain", "conv", "y")
    assert code == 0 and "C · y: conv 3x3 /1, 2" in out


def test_cli_spec_errors_and_layers(capsys, tmp_path):
    bad = tmp_path / "bad.netspec"
    bad.write_text("network B {\n    input x: [N, 1, 4, 4]\n    y = conv(2, 9)\n}\n")
    code, out, err = run(capsys, "explain", str(bad))
    assert code == 1 and "E-size" in err and "Traceback" not in err
    code, out, _ = run(capsys, "explain", "lenet5", "C1", "--convention", "torchinfo")
    assert code == 0 and "(5·5 + 1)·6·28·28 = 122,304" in out and "torchinfo Mult-Adds" in out
    code, out, _ = run(capsys, "explain", "lenet5", "F6", "--format", "markdown")
    assert code == 0 and "### LeNet5 · F6.linear" in out and "`(120 + 1)·84` = **10,164**" in out


def test_add_conv_arguments_still_serves_a_plain_parser():
    """`netspec draw conv` uses the same options: the shared module's API is unchanged."""
    parser = argparse.ArgumentParser()
    add_conv_arguments(parser)
    q = question_from(parser.parse_args(["--input", "5", "--kernel", "3"]))
    assert q.output_size() == (3, 3)


def test_the_docs_show_real_output(capsys):
    """Every `$ netspec explain conv ...` example of docs/explain.md is today's output."""
    doc = (ROOT / "docs" / "explain.md").read_text()
    examples = re.findall(r"```\n\$ netspec (explain conv [^\n]*)\n(.*?)```", doc, re.S)
    assert len(examples) >= 6
    for command, shown in examples:
        code, out, _ = run(capsys, *command.split())
        assert code == 0 and out == shown, command
