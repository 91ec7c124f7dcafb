"""`netspec check` as a whole process: median wall time on ResNet-50.

Usage: python benchmarks/check_startup.py [--runs 15] [--spec specs/resnet50.netspec]

Run it in an environment where torch is installed: the target (<= 0.4 s) holds only
because `netspec check` never imports torch. Side by side in the same run it times a
bare interpreter and `import torch`, so the ratios show where the time goes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time

# As on a user's machine, Python may cache bytecode: an environment that forbids it
# (PYTHONDONTWRITEBYTECODE, set on some CI machines) recompiles every module each run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str], runs: int) -> list[float]:
    # The first run warms the OS cache, the bytecode caches and netspec's LALR cache.
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--spec", default="specs/resnet50.netspec")
    args = parser.parse_args()
    netspec = shutil.which("netspec")
    check = [netspec] if netspec else [sys.executable, "-m", "netspec"]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        f"netspec check {args.spec}": [*check, "check", args.spec],
        f"netspec check {args.spec} --format json": [
            *check,
            "check",
            args.spec,
            "--format",
            "json",
        ],
    }
    if importlib.util.find_spec("torch") is not None:
        cases["python -c 'import torch'"] = [sys.executable, "-c", "import torch"]
    else:
        print("note: torch is not installed here; install it to measure under the target's terms")
    medians = {}
    for name, cmd in cases.items():
        times = wall(cmd, args.runs)
        medians[name] = statistics.median(times)
        print(
            f"{name:<60} median {medians[name]:.3f} s  (min {min(times):.3f}, "
            f"max {max(times):.3f}, {args.runs} runs)"
        )
    base = medians["python -c pass"]
    for name, median in medians.items():
        print(f"{name:<60} {median / base:5.1f}x a bare interpreter")


if __name__ == "__main__":
    main()
