"""Inside every limit, a spec checks in a few seconds: the slowest specs the limits allow.

Usage: python benchmarks/limits.py [--repeat 3] [--target 4.0]

Each case is a spec at (or just under) one of the limits of netspec/limits.py, built
to be as slow as that limit lets it be. Prints the best-of-N wall time of a whole
`netspec check` process with the default table and with `--format json`, the layers
(or the error the spec ends in), and whether the slowest stays within the target.
docs/performance.md ("Inside every limit") records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from netspec import api
from netspec.errors import CompileError
from netspec.limits import MAX_KERNEL, MAX_LAYERS, MAX_REPEAT, MAX_STEPS
from netspec.source import Source

sys.path.insert(0, str(Path(__file__).parent))
from scaling import chain_spec  # noqa: E402


def network(body: str, shape: str, blocks: str = "") -> str:
    return f"{blocks}network Limit {{\n    input x: {shape}\n{body}}}\n"


def one_conv_a_copy() -> str:
    """MAX_LAYERS one-layer copies: the most layers, each as cheap to write as can be."""
    return network(f"    repeat {MAX_REPEAT} {{\n        conv(1, 1)\n    }}\n", "[N, 1, 4, 4]")


def residual_copies() -> str:
    """MAX_LAYERS layers in residual blocks: a branch, a merge and a 3x3 conv a copy."""
    blocks = "block res(c) {\n    x = identity\n    conv(c, 3, padding=1) relu\n    add(x)\n}\n"
    return network(
        f"    repeat {MAX_LAYERS // 4} {{\n        res(4)\n    }}\n", "[N, 4, 8, 8]", blocks
    )


def widest_kernels() -> str:
    """MAX_LAYERS convolutions of the widest kernel, 'same'-padded (links in closed form)."""
    k = MAX_KERNEL - 1
    body = f"    repeat {MAX_LAYERS} {{\n        conv(1, {k}, padding={k // 2})\n    }}\n"
    return network(body, f"[N, 1, {MAX_KERNEL}]")


def longest_chain(lines: Callable[[int], str] = chain_spec) -> str:
    """The longest flat chain of `lines` the limits accept (MAX_TOKENS or MAX_LAYERS):
    parsing, and a table row a layer."""
    low, high = 1, MAX_LAYERS
    while low < high:  # the largest line count the token limit accepts
        mid = (low + high + 1) // 2
        try:
            api.parse(Source("chain.netspec", lines(mid)))
            low = mid
        except CompileError:
            high = mid - 1
    return lines(low)


def conv_lines(count: int) -> str:
    """`count` lines of `conv(16, 3, padding=1)`, 11 tokens each."""
    return network("    conv(16, 3, padding=1)\n" * count, "[N, 16, 32, 32]")


def most_statements() -> str:
    """Just under MAX_STEPS statements, none a layer: `let`s in a repeat."""
    copies = MAX_STEPS // 4 - 10  # a copy elaborates its body of three and itself
    body = f"    repeat {min(copies, MAX_REPEAT)} as i {{\n"
    body += "        let a = i\n        let b = [a, a + 1] * 3\n        let c = b[0] + 1\n    }\n"
    return network(body, "[N, 1, 4, 4]")


def tree_at_the_limit() -> str:
    """A block calling the next 4 times, as deep as MAX_LAYERS allows (4**6 layers)."""
    levels = 0
    while 4 ** (levels + 1) <= MAX_LAYERS:
        levels += 1
    blocks = "".join(f"block b{i}() {{\n" + f"    b{i + 1}\n" * 4 + "}\n" for i in range(levels))
    return network("    b0\n", "[N, 8, 4, 4]", blocks + f"block b{levels}() {{\n    relu\n}}\n")


def past_the_layer_limit() -> str:
    """One layer past MAX_LAYERS: refused with E-limit."""
    return network(f"    repeat {MAX_LAYERS + 1} {{\n        relu\n    }}\n", "[N, 1, 4, 4]")


CASES: dict[str, Callable[[], str]] = {
    "repeat of conv(1, 1)": one_conv_a_copy,
    "repeat of residual blocks": residual_copies,
    f"kernels of {MAX_KERNEL - 1} taps": widest_kernels,
    "flat chain at the limits": longest_chain,
    "flat chain of convolutions": lambda: longest_chain(conv_lines),
    "statements at MAX_STEPS": most_statements,
    "block tree at MAX_LAYERS": tree_at_the_limit,
    "MAX_LAYERS + 1 (refused)": past_the_layer_limit,
}


def timed(path: Path, fmt: str, repeat: int) -> tuple[float, subprocess.CompletedProcess]:
    cmd = [sys.executable, "-m", "netspec", "check", str(path), "--format", fmt]
    # Bytecode caching allowed, as on a user's machine (see check_startup.py).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "160"
    times, done = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
    return min(times), done


def outcome(done: subprocess.CompletedProcess) -> str:
    report = json.loads(done.stdout)
    if report.get("errors"):
        return report["errors"][0]["code"]
    return f"{len(report['networks'][0]['layers']):,} layers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=4.0, help="seconds, slowest case")
    args = parser.parse_args()
    print(f"MAX_LAYERS {MAX_LAYERS:,}, MAX_REPEAT {MAX_REPEAT:,}, MAX_STEPS {MAX_STEPS:,}")
    print(f"{'case':>28} {'table':>8} {'json':>8}  result (best of {args.repeat})")
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            path = Path(tmp) / "limit.netspec"
            path.write_text(make())
            table, _ = timed(path, "table", args.repeat)
            as_json, done = timed(path, "json", args.repeat)
            slowest = max(slowest, table, as_json)
            print(f"{name:>28} {table:8.2f} {as_json:8.2f}  {outcome(done)}")
    verdict = "holds" if slowest <= args.target else "MISSED"
    print(f"slowest {slowest:.2f} s; target <= {args.target:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
