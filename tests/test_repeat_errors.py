"""Errors inside `repeat`: each reported once, quickly, and valid graphs unchanged.

An error in a repeat's body used to be reported once per copy, at about 1 ms a copy
(`repeat 20000 { rleu }` took 14 s; a typo in nested repeats printed 149,849 identical
errors), and a repeat over a stream an earlier error had poisoned elaborated every copy.
The time bounds here are generous guards against that (10 s and more before), not speed
tests.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from netspec import api
from netspec.errors import CompileError, Diagnostic, render
from netspec.limits import MAX_REPEAT
from tests.conftest import ROOT

BOUND_S = 5.0


def errors(text: str) -> tuple[list[Diagnostic], float]:
    """The errors of a spec that must fail, and the seconds its check took."""
    start = time.perf_counter()
    with pytest.raises(CompileError) as info:
        api.check_text(text)
    return list(info.value.diagnostics), time.perf_counter() - start


def net(body: str, shape: str = "[N, 8, 32, 32]", blocks: str = "") -> str:
    return f"{blocks}network Net {{\n    input x: {shape}\n{body}}}\n"


def test_one_error_for_three_copies():
    diags, _ = errors(net("    repeat 3 {\n        rleu\n    }\n"))
    assert [(d.code, d.span.line) for d in diags] == [("E-op", 4)]
    assert diags[0].notes == ()  # an error of the first copy reads as before


def test_twenty_thousand_copies_one_error_quickly():
    diags, elapsed = errors(net("    repeat 20000 {\n        rleu\n    }\n"))
    assert len(diags) == 1
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


def test_unused_repeat_index_does_not_slow_it_down():
    diags, elapsed = errors(net("    repeat 20000 as i {\n        rleu\n    }\n"))
    assert len(diags) == 1
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


def test_typo_in_nested_repeats_one_error():
    text = (ROOT / "tests/errors/hostile_nested_repeats.netspec").read_text()
    diags, elapsed = errors(text.replace("padding=1", "paddin=1"))
    assert [d.code for d in diags] == ["E-arg"]
    assert "paddin" in diags[0].message
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


def test_repeat_over_a_poisoned_stream_is_quick():
    stages = "conv(8, 3, padding=1) bn relu " * 2
    body = f"    repeat {MAX_REPEAT} {{\n        {stages}\n    }}\n"
    diags, elapsed = errors(net(body, shape="[N, 8, 0, 32]"))
    assert [(d.code, d.span.line) for d in diags] == [("E-type", 2)]
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


def test_error_of_a_later_copy_says_which_copy():
    body = "    repeat 5 as i {\n        maxpool(2)\n    }\n"  # 8 -> 4 -> 2 -> 1 -> fails
    diags, _ = errors(net(body, shape="[N, 8, 8, 8]"))
    assert len(diags) == 1
    assert diags[0].notes[-1] == "in copy 4 of 5 of the repeat at line 3 (i = 3)"
    assert "= note: in copy 4 of 5 of the repeat at line 3 (i = 3)" in render(diags[0])


def test_messages_that_differ_per_copy_one_error_per_position():
    body = "    repeat 3 as i {\n        conv(8, 3, stride=i - 5)\n    }\n"
    diags, _ = errors(net(body))
    assert len(diags) == 1
    assert "-5" in diags[0].message  # the first copy's


def test_error_reached_only_by_a_later_copy_is_still_reported():
    body = (
        "    repeat 10 as i {\n        rleu\n        if i == 7 {\n"
        "            conv(8, 3, paddin=1)\n        }\n    }\n"
    )
    diags, _ = errors(net(body))
    assert [d.code for d in diags] == ["E-op", "E-arg"]
    assert diags[1].notes[-1] == "in copy 8 of 10 of the repeat at line 3 (i = 7)"


def test_a_value_that_changes_per_copy_keeps_copies_elaborated():
    body = (
        "    let k = 0\n    repeat 10 {\n        rleu\n        let k = k + 1\n"
        "        if k == 6 {\n            conv(8, 3, paddin=1)\n        }\n    }\n"
    )
    diags, _ = errors(net(body))
    assert [d.code for d in diags] == ["E-op", "E-arg"]
    assert diags[1].notes[-1] == "in copy 6 of 10 of the repeat at line 4"


def test_error_in_a_block_called_by_every_copy_once():
    blocks = "block b() {\n    rleu\n}\n"
    body = "    repeat 5000 {\n        from x\n        b\n    }\n"
    diags, elapsed = errors(net(body, blocks=blocks))
    assert len(diags) == 1
    assert [site.path for site in diags[0].chain] == ["b1"]
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


def fingerprint(text: str) -> tuple[int, str]:
    """The layer count and a digest of every layer: path, op, arguments, inputs, shape."""
    graph = api.elaborate(api.parse(text))[0]
    lines = [
        f"{n.path} {n.op} {dict(n.attrs)} {n.inputs} {graph.shapes[n.output]} {n.statement}"
        f" {[site.path for site in n.chain]}"
        for n in graph.nodes
    ]
    return len(graph.nodes), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


# Taken before errors in repeats were deduplicated: valid graphs must not change.
VALID = {
    "resnet50": (175, "e7b8c934303199b4"),
    "densenet121": (427, "f949a4396f1571ed"),
    "mobilenet_v2": (153, "15419621407e0b77"),
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_graph_unchanged(name: str):
    assert fingerprint((ROOT / "specs" / f"{name}.netspec").read_text()) == VALID[name]


def test_valid_repeat_layers_unchanged():
    body = (
        "    repeat 2 as i {\n        repeat 2 {\n            conv(8, 3, padding=1)\n"
        "        }\n        u = relu\n    }\n"
    )
    graph = api.elaborate(api.parse(net(body, shape="[N, 8, 4, 4]")))[0]
    assert [n.path for n in graph.nodes] == [
        "conv1",
        "conv2",
        "u.0",
        "conv3",
        "conv4",
        "u.1",
    ]
