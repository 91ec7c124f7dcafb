"""Accepted sizes, exact against brute force, and symbolic against numeric checks.

Usage: python benchmarks/sizes.py [--repeat 3] [--up-to 256]

For each spec: the exact analysis of `netspec sizes` (every size from 1 to 2^53, square
input) against elaborating every size from 1 to --up-to one by one (the brute force the
tests compare it with), side by side, with the ratio; then `check` with the input's
sizes symbolic ([N, C, H, W]) against `check` at the declared numbers. Best of
--repeat, in-process (no interpreter start). docs/performance.md ("Symbolic sizes")
records a run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netspec.analysis.accepted import accepted_sizes
from netspec.analysis.sizes import sweep
from netspec.api import check, load, one_network, parse

sys.path.insert(0, str(Path(__file__).parent))
from scaling import best  # noqa: E402

SPECS = ("alexnet", "resnet18", "resnet50", "unet", "efficientnet_b0", "densenet121")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--up-to", type=int, default=256)
    args = parser.parse_args()
    print(f"{'spec':>16} {'exact':>8} {'regions':>8} {'1..' + str(args.up_to):>9} {'ratio':>6}"
          f" {'symbolic':>9} {'numeric':>8}")  # fmt: skip
    for spec in SPECS:
        print(row(spec, args.repeat, args.up_to))


def row(spec: str, repeat: int, up_to: int) -> str:
    """One spec's line: exact, its regions, brute force, their ratio, symbolic, numeric."""
    source = load(spec)
    graph = one_network(source).graph
    name, tensor = graph.inputs[0]
    declared = graph.shape(tensor)
    module, axes = parse(source), tuple(range(2, len(declared)))
    answer = accepted_sizes(module, graph.name, name, declared, axes, "s")
    exact = best(lambda: accepted_sizes(module, graph.name, name, declared, axes, "s"), repeat)
    brute = best(
        lambda: sweep(module, graph.name, name, declared, axes, range(1, up_to + 1)), repeat
    )
    named = {name: ["N", declared[1], *(f"S{i}" for i in range(len(declared) - 2))]}
    symbolic = best(lambda: check(spec, input_shapes=named), repeat)
    numeric = best(lambda: check(spec), repeat)
    return (f"{spec:>16} {exact:8.3f} {len(answer.regions):>8} {brute:9.3f} "
            f"{brute / exact:6.1f} {symbolic:9.3f} {numeric:8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
