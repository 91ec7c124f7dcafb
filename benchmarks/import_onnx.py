"""Importing ResNet-50 from ONNX, as a whole process, beside onnx's own floor.

Usage: python benchmarks/import_onnx.py [--runs 5] [--spec resnet50]

Exports the zoo spec to ONNX once (netspec export, batch 1), then times, alternating
run by run: (a) the floor, a process that does `onnx.load` and
`onnx.shape_inference.infer_shapes` and nothing else; (b) `netspec import MODEL -o
SPEC` as a process (read, translate, write the spec and its weights). Prints the medians
and their ratio. Target (issue 18): the import within 3x of the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0
FLOOR = "import onnx, sys; onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", default="resnet50")
    args = parser.parse_args()
    netspec = str(Path(sys.executable).parent / "netspec")
    with tempfile.TemporaryDirectory() as folder:
        model = str(Path(folder) / f"{args.spec}.onnx")
        spec = str(Path(folder) / f"{args.spec}.netspec")
        subprocess.run([netspec, "export", args.spec, "-o", model, "--batch", "1"], check=True)
        floor, full = [], []
        for _ in range(args.runs):
            floor.append(timed([sys.executable, "-c", FLOOR, model]))
            full.append(timed([netspec, "import", model, "-o", spec]))
    a, b = statistics.median(floor), statistics.median(full)
    print(f"onnx load + shape inference   median {a:.3f} s ({args.runs} runs)")
    print(f"netspec import (whole process) median {b:.3f} s")
    verdict = "holds" if b <= TARGET * a else "MISSED"
    print(f"ratio {b / a:.2f}x; target <= {TARGET:g}x: {verdict}")


if __name__ == "__main__":
    main()
