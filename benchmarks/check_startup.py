"""`netspec check` as a whole process, side by side with an earlier commit.

Usage: python benchmarks/check_startup.py [--runs 21] [--spec specs/resnet50.netspec]
                                          [--against ec95363]

Times `python -m netspec check SPEC` (and with `--format json`) in this working tree
and in the tree of commit `--against` (extracted with `git archive` into a temporary
directory, no git state changed), with the same interpreter and the same spec file,
alternating between the two trees run by run so that a machine that slows down slows
both. Prints each median, the ratio this tree / the other (target: at most 1.05), and
how many netspec modules `netspec check` imports in each tree. For scale it also times a
bare interpreter and, where torch is installed, `import torch`: the target of
docs/performance.md (<= 0.4 s) holds only because `netspec check` never imports torch.
The default commit is the last one before the package layout of issue 12. Last, it
times `netspec check efficientnet_b0` (issue 14) and `netspec check gpt2_small` (issue
16) against `netspec check resnet50` in this tree: each at most 1.2x.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGAINST = "ec95363"  # tutorial: say what the exercises test checks (before the layout)
TARGET = 1.05
MODERN_TARGET = 1.2  # efficientnet_b0 / resnet50 and gpt2_small / resnet50, this tree

# As on a user's machine, Python may cache bytecode: an environment that forbids it
# (PYTHONDONTWRITEBYTECODE, set on some CI machines) recompiles every module each run.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}

# `python -m netspec ARGS` in-process, then the count of netspec modules it loaded.
COUNT = (
    "import runpy, sys\n"
    "sys.argv = ['netspec', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('netspec', run_name='__main__', alter_sys=True)\n"
    "except SystemExit:\n"
    "    pass\n"
    "sys.__stdout__.write(chr(10) + str(sum(m == 'netspec' or m.startswith('netspec.') "
    "for m in sys.modules)))\n"
)


class Tree:
    """A netspec source tree, run with `python -m netspec` from its root."""

    def __init__(self, label: str, root: Path, cache: Path):
        self.label, self.root = label, root
        # Each tree its own parser-table cache, so neither rebuilds the other's.
        self.env = {**ENV, "XDG_CACHE_HOME": str(cache)}

    def run(self, cmd: list[str], stdout=subprocess.DEVNULL) -> subprocess.CompletedProcess:
        return subprocess.run(
            cmd, cwd=self.root, env=self.env, stdout=stdout, stderr=subprocess.DEVNULL
        )

    def time(self, cmd: list[str]) -> float:
        start = time.perf_counter()
        done = self.run(cmd)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{self.label}: {' '.join(cmd)} exited {done.returncode}")
        return elapsed

    def modules(self, args: list[str]) -> int:
        done = self.run([sys.executable, "-c", COUNT, *args], stdout=subprocess.PIPE)
        return int(done.stdout.decode().strip().splitlines()[-1])


def extract(rev: str, into: Path) -> str:
    """The files of commit `rev` under `into`; returns its short hash and subject."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def interleaved(trees: list[Tree], cmd: list[str], runs: int) -> list[list[float]]:
    """Times of `cmd` in each tree: one warm-up each, then runs alternating the order."""
    for tree in trees:  # warms the OS cache, the bytecode and the parser-table caches
        tree.time(cmd)
    times: list[list[float]] = [[] for _ in trees]
    for i in range(runs):
        order = list(enumerate(trees))
        for k, tree in order if i % 2 == 0 else reversed(order):
            times[k].append(tree.time(cmd))
    return times


def describe(times: list[float]) -> str:
    median = statistics.median(times)
    return f"median {median:.3f} s  (min {min(times):.3f}, max {max(times):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--spec", default="specs/resnet50.netspec")
    parser.add_argument("--against", default=AGAINST, metavar="REV", help="a commit to compare")
    args = parser.parse_args()
    spec = str((ROOT / args.spec).resolve()) if (ROOT / args.spec).exists() else args.spec
    with tempfile.TemporaryDirectory(prefix="netspec-startup-") as tmp:
        other = Path(tmp) / "tree"
        subject = extract(args.against, other)
        trees = [
            Tree("this tree", ROOT, Path(tmp) / "cache-this"),
            Tree(args.against, other, Path(tmp) / "cache-other"),
        ]
        print(f"this tree: {ROOT}")
        print(f"{args.against}: {subject}")
        print(f"{sys.executable}, {args.runs} runs each, alternating\n")
        _measure(trees, spec, args)


def _measure(trees: list[Tree], spec: str, args: argparse.Namespace) -> None:
    python = sys.executable
    shown = args.spec
    cases = {
        f"netspec check {shown}": [python, "-m", "netspec", "check", spec],
        f"netspec check {shown} --format json": [
            *[python, "-m", "netspec", "check", spec],
            *["--format", "json"],
        ],
    }
    ratios = []
    for name, cmd in cases.items():
        mine, theirs = interleaved(trees, cmd, args.runs)
        ratio = statistics.median(mine) / statistics.median(theirs)
        ratios.append(ratio)
        print(name)
        print(f"  {trees[0].label:<12} {describe(mine)}")
        print(f"  {trees[1].label:<12} {describe(theirs)}")
        print(f"  ratio        {ratio:.3f} (this tree / {trees[1].label})")
    for label, cmd in _scale(python).items():
        (times,) = interleaved(trees[:1], cmd, args.runs)
        print(f"{label:<30} {describe(times)}")
    counts = [tree.modules(["check", spec]) for tree in trees]
    print(
        f"\nnetspec modules imported by `netspec check {shown}`: "
        f"this tree {counts[0]}, {trees[1].label} {counts[1]}"
    )
    worst = max(ratios)
    verdict = "holds" if worst <= TARGET else "MISSED"
    print(f"slowest ratio {worst:.3f}; target <= {TARGET:.2f}: {verdict}")
    for name in ("efficientnet_b0", "gpt2_small"):
        _modern(trees[0], args.runs, name)


def _modern(tree: Tree, runs: int, name: str) -> None:
    """Issues 14 and 16: `netspec check NAME` within 1.2x of resnet50's time, both in
    this tree, alternating run by run."""
    python = sys.executable
    cmds = [[python, "-m", "netspec", "check", spec] for spec in (name, "resnet50")]
    for cmd in cmds:
        tree.time(cmd)  # warm-up
    times: list[list[float]] = [[], []]
    for i in range(runs):
        for k in (0, 1) if i % 2 == 0 else (1, 0):
            times[k].append(tree.time(cmds[k]))
    ratio = statistics.median(times[0]) / statistics.median(times[1])
    print(f"\nnetspec check {name} against netspec check resnet50 (this tree)")
    print(f"  {name:<16} {describe(times[0])}")
    print(f"  resnet50         {describe(times[1])}")
    verdict = "holds" if ratio <= MODERN_TARGET else "MISSED"
    print(f"  ratio {ratio:.3f}; target <= {MODERN_TARGET:.2f}: {verdict}")


def _scale(python: str) -> dict[str, list[str]]:
    cases = {"python -c pass": [python, "-c", "pass"]}
    if importlib.util.find_spec("torch") is not None:
        cases["python -c 'import torch'"] = [python, "-c", "import torch"]
    return cases


if __name__ == "__main__":
    main()
