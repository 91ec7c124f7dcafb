"""The random-spec writer (tests/spec_strategies.py) writes valid specs that use
every op and the language's forms."""

from __future__ import annotations

from collections import Counter

import pytest

from netspec.api import check_text
from netspec.ops import REGISTRY
from tests.spec_strategies import networks, random_network

hypothesis = pytest.importorskip("hypothesis")

SAMPLE = 150  # specs drawn for the coverage checks (about 2 s)


@hypothesis.given(networks())
@hypothesis.settings(max_examples=50, deadline=None, database=None)
def test_generated_specs_compile(text):
    hypothesis.note(text)
    (analysis,) = check_text(text)  # raises CompileError on an invalid spec
    assert analysis.graph.nodes


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, object]]:
    texts = [random_network(seed) for seed in range(SAMPLE)]
    return [(text, check_text(text)[0]) for text in texts]


def test_every_op_is_generated(sample):
    ops = Counter(node.op for _, analysis in sample for node in analysis.graph.nodes)
    assert set(ops) == set(REGISTRY), sorted(set(REGISTRY) - set(ops))
    # no op is a rarity: each shows up in several specs
    specs_with = Counter(op for _, a in sample for op in {node.op for node in a.graph.nodes})
    assert min(specs_with.values()) >= 5, specs_with.most_common()[-5:]


@pytest.mark.parametrize(
    "form",
    [
        "block ",  # block definitions
        "skip",  # a block with a tensor argument
        "repeat ",
        " as i",
        "if ",
        "} else {",
        "} else if ",
        "from ",
        "let ",
        "output ",
        "defaults ",
        "const TABLE",
        "connect=",
        "mask=",
        "concat(dim=",
        "add(s",  # a merge over named inputs
        "concat(s",
        " -> [",  # checkpoints
        "(width=",  # network parameters
        '"same"',
        "ceil_mode=true",
        "output_padding=",
        "groups=",
        "dilation=[",
    ],
)
def test_language_form_is_generated(sample, form):
    assert sum(form in text for text, _ in sample) >= 3


def test_ranks_and_batches(sample):
    ranks = Counter(len(a.graph.shape(a.graph.inputs[0][1])) for _, a in sample)
    assert set(ranks) == {2, 3, 4, 5}
    batches = {type(a.graph.shape(a.graph.inputs[0][1])[0]) for _, a in sample}
    assert batches == {str, int}  # symbolic N and a concrete batch
    sizes = [a.totals.activations for _, a in sample]
    assert max(sizes) < 2_000_000  # small enough for a fast forward pass
