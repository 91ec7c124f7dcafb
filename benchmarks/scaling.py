"""Elaboration and analysis scale linearly: generated chains of 1,000 and 10,000 layers.

Usage: python benchmarks/scaling.py [--repeat 3]

Prints, for each size, the best-of-N time of every stage and of a whole
`netspec check` process, then the 10,000 / 1,000 ratio (10.0 = linear).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netspec import api
from netspec.source import Source


def chain_spec(layers: int) -> str:
    """A plain chain of `layers` layers: conv / bn / relu triples at constant shape."""
    lines = ["network Chain {", "    input x: [N, 16, 32, 32]"]
    kinds = ["conv(16, 3, padding=1)", "bn", "relu"]
    lines += [f"    {kinds[i % 3]}" for i in range(layers)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def repeat_spec(layers: int) -> str:
    """The same network written with a block and `repeat` (elaboration without parsing)."""
    return (
        "block unit() {\n    conv(16, 3, padding=1) bn relu\n}\n"
        f"network Repeat {{\n    input x: [N, 16, 32, 32]\n    repeat {layers // 3} {{\n"
        "        unit\n    }\n}\n"
    )


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def stages(text: str, repeat: int) -> dict[str, float]:
    source = Source("bench.netspec", text)
    module = api.parse(source)
    [graph] = api.elaborate(module)
    return {
        "parse": best(lambda: api.parse(source), repeat),
        "elaborate": best(lambda: api.elaborate(module), repeat),
        "analyze": best(lambda: api.analyze(graph), repeat),
    }


def whole_process(text: str, repeat: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.netspec"
        path.write_text(text)
        cmd = [sys.executable, "-m", "netspec", "check", str(path), "--format", "json"]
        # Bytecode caching allowed, as on a user's machine (see check_startup.py).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        return best(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {}
    print(f"{'spec':>18} {'parse':>8} {'elab':>8} {'analyze':>8} {'process':>8}  per layer")
    for layers in (1_000, 10_000):
        for name, make in (("chain", chain_spec), ("repeat", repeat_spec)):
            text = make(layers)
            t = stages(text, args.repeat)
            t["process"] = whole_process(text, args.repeat)
            results[(name, layers)] = t
            per_layer = (t["parse"] + t["elaborate"] + t["analyze"]) / layers * 1e6
            print(
                f"{name + ' ' + format(layers, ','):>18} {t['parse']:8.3f} {t['elaborate']:8.3f} "
                f"{t['analyze']:8.3f} {t['process']:8.3f}  {per_layer:.1f} us"
            )
    for name in ("chain", "repeat"):
        small, large = results[(name, 1_000)], results[(name, 10_000)]
        ratios = "  ".join(f"{k} {large[k] / small[k]:.1f}x" for k in small)
        print(f"10,000 / 1,000 layers ({name}): {ratios}")


if __name__ == "__main__":
    main()
