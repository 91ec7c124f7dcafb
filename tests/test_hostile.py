"""Hostile inputs: generated specs that try to exhaust time, memory or the stack.

Each must fail quickly with a positioned E-limit error (exit status 1, no traceback).
The target is 1 s each (docs/performance.md records the times); the bound asserted here
is 10 s, a guard against a limit that stopped working (minutes, or memory exhausted),
not a speed test: a 2 s bound failed on a loaded 2-core machine at 2.1 s.
The small hostile cases (`hostile_*.netspec`) are also timed here; their goldens are in
tests/errors/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from netspec import api
from netspec.cli.main import main
from netspec.limits import MAX_REPEAT
from tests.conftest import ROOT

BOUND_S = 10.0


def block_chain(depth: int) -> str:
    """`depth` blocks, each calling the next: b0 -> b1 -> ... -> b<depth>."""
    parts = [f"block b{i}() {{\n    b{i + 1}\n}}\n" for i in range(depth)]
    parts.append(f"block b{depth}() {{\n    relu\n}}\n")
    parts.append("network Deep {\n    input x: [N, 8, 4, 4]\n    b0\n}\n")
    return "".join(parts)


def nested_brackets(depth: int) -> str:
    inner = "[" * depth + "1" + "]" * depth
    return f"network Net {{\n    input x: [N, 3, 8, 8]\n    let a = {inner}\n}}\n"


def long_sum(terms: int) -> str:
    total = "+".join(["1"] * terms)
    return f"network Net {{\n    input x: [N, 3, 8, 8]\n    conv({total}, 3)\n}}\n"


def nested_empty_repeats(count: int) -> str:
    return (
        f"network Net {{\n    input x: [N, 3, 8, 8]\n    repeat {count} {{\n"
        f"        repeat {count} {{\n            let a = 1\n        }}\n    }}\n}}\n"
    )


def block_tree(calls: int, levels: int, distinct: bool = False) -> str:
    """A block calling the next `calls` times, `levels` deep: calls**levels layers; with
    `distinct`, every call has its own argument (no two calls alike)."""
    parts = []
    for i in range(levels):
        args = [f"(k * {calls} + {j})" if distinct else "(k)" for j in range(calls)]
        parts.append(f"block b{i}(k) {{\n" + "".join(f"    b{i + 1}{a}\n" for a in args) + "}\n")
    parts.append(f"block b{levels}(k) {{\n    relu\n}}\n")
    return "".join(parts) + "network Tree {\n    input x: [N, 8, 4, 4]\n    b0(0)\n}\n"


def long_file(lines: int) -> str:
    return "network Net {\n    input x: [N, 8]\n" + "    relu\n" * lines + "}\n"


GENERATED = {
    "block_chain_5000": (block_chain(5000), "block calls nest more than"),
    "brackets_10000": (nested_brackets(10_000), "brackets nested more than"),
    "sum_50000_terms": (long_sum(50_000), "expression has more than"),
    "empty_repeats_max_squared": (nested_empty_repeats(MAX_REPEAT), "statements to elaborate"),
    # refused at the call, before elaborating MAX_LAYERS layers (13 s before)
    "block_tree_4x12": (block_tree(4, 12), "block 'b0' would make at least 16,777,216"),
    "block_tree_4x12_distinct": (block_tree(4, 12, True), "block 'b0' would make at least"),
    "file_of_150000_lines": (long_file(150_000), "spec is longer than the limit of"),
}


def check_timed(path: Path, capsys) -> tuple[int, str, float]:
    """Exit code, stderr and seconds of `netspec check path`; a slow first run (a load
    spike on a shared machine) is run once more and the faster time kept."""
    elapsed = []
    for _ in range(2):
        start = time.perf_counter()
        code = main(["check", str(path)])
        elapsed.append(time.perf_counter() - start)
        err = capsys.readouterr().err
        if elapsed[-1] < BOUND_S:
            break
    return code, err, min(elapsed)


def assert_limit_error(code: int, err: str, elapsed: float) -> None:
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith("error[E-limit]: "), err[:500]
    assert re.search(r"^ *--> .+:\d+:\d+$", err, re.M)
    assert re.search(r"^ *\| *\^+", err, re.M)
    assert "= help: " in err
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s"


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_hostile_input(name: str, tmp_path: Path, capsys):
    text, message = GENERATED[name]
    path = tmp_path / f"{name}.netspec"
    path.write_text(text)
    code, err, elapsed = check_timed(path, capsys)
    assert_limit_error(code, err, elapsed)
    assert message in err.splitlines()[0]
    assert len(err) < 5_000, "long chains and lines are elided, not printed in full"


HOSTILE_CASES = sorted((ROOT / "tests" / "errors").glob("hostile_*.netspec"))


@pytest.mark.parametrize("spec", HOSTILE_CASES, ids=[s.stem for s in HOSTILE_CASES])
def test_hostile_case_is_fast(spec: Path, capsys):
    assert_limit_error(*check_timed(spec, capsys))


def test_hostile_cases_exist():
    assert {s.stem for s in HOSTILE_CASES} >= {
        "hostile_repeat_huge",
        "hostile_nested_repeats",
        "hostile_huge_tensor",
    }


# What the layer bound of a block call must not count: copies of a repeat after the
# first see other values, an `if` whose condition is unknown may take the small branch,
# an `if` whose condition is known takes only its branch. Each would be refused (over
# 100,000 layers) by a bound that counted them; the network has 2,001 layers.
BOUND_TRAPS = """
block once() {
    let big = true
    repeat 1000 {
        if big {
            repeat 1000 {
                relu
            }
        }
        let big = false
    }
}
block first(n) {
    repeat n as i {
        if i == 0 {
            repeat 1000 {
                relu
            }
        }
    }
}
block small(flag) {
    if flag {
        relu
    } else {
        repeat 100000 {
            relu
        }
        repeat 100000 {
            relu
        }
    }
}
network Traps {
    input x: [N, 4, 8, 8]
    once
    first(1000)
    small(true)
}
"""


def test_layer_bound_never_refuses_a_valid_network():
    graph = api.elaborate(api.parse(BOUND_TRAPS))[0]
    assert len(graph.nodes) == 1000 + 1000 + 1
