"""How long each zoo spec is once it has been through ONNX and `netspec import`.

Each zoo spec is exported by netspec (batch 1) and imported back. The table printed has,
per spec: the ONNX graph's node count, the imported spec's written lines, the
hand-written spec's lines, and their ratio. Blank and comment lines are not counted.
Issue 18 bounds the ratio at 1.5; docs/import.md shows the last run.

    python tools/import_lines.py [NAME ...]      # default: every zoo spec

Needs onnx (the `onnx` extra).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def written(text: str) -> int:
    """Lines that are neither blank nor comments."""
    return sum(1 for line in text.splitlines() if line.strip() and line.split()[0][0] != "#")


def main(names: list[str]) -> int:
    import onnx

    from netspec.api import export_onnx
    from netspec.frontends.emit import spec_text
    from netspec.frontends.onnx import read_onnx
    from netspec.zoo import resolve_spec, zoo_names

    print("| spec | ONNX nodes | imported lines | zoo spec lines | ratio |")
    print("|---|---:|---:|---:|---:|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name in names or zoo_names():
            path = Path(folder) / f"{name}.onnx"
            export_onnx(name, path, batch=1, seed=3)
            nodes = len(onnx.load(str(path), load_external_data=False).graph.node)
            ours = written(spec_text(read_onnx(path)))
            theirs = written(resolve_spec(name).read_text(encoding="utf-8"))
            worst = max(worst, ours / theirs)
            print(f"| {name} | {nodes} | {ours} | {theirs} | {ours / theirs:.2f} |")
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
