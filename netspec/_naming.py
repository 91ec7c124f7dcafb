"""Hierarchical paths for layers: the names in reports, PyTorch and ONNX.

Rules (docs/language.md, "Names"):
- a named statement `C1 = conv(6, 5) scaled_tanh` names its stages `C1.conv`,
  `C1.scaled_tanh`; an op repeated in the chain is numbered (`b.conv1`, `b.conv2`);
  a one-stage named statement is the stage itself (`output = rbf(10)` -> `output`);
- an anonymous statement's stages are numbered per scope and op: `conv1`, `bn1`,
  `relu1`, `conv2`, ... (repeat and if bodies share their scope's counters);
- blocks, merge branches (`add1.0`, `add1.1`) and named statements open a scope;
- inside `repeat`, a named statement gets the iteration index: `unit.0`, `unit.1`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from netspec import ast

if TYPE_CHECKING:
    from netspec._network import Frame


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def stage_paths(frame: Frame, stmt: ast.ChainStmt, used: set[str]) -> list[str]:
    """One path per stage of the statement; anonymous names skip paths already used."""
    if stmt.name is not None:
        base = join(frame.prefix, stmt.name + frame.suffix)
        if len(stmt.stages) == 1:
            return [base]
        total = Counter(stage.name for stage in stmt.stages)
        seen: Counter[str] = Counter()
        paths = []
        for stage in stmt.stages:
            seen[stage.name] += 1
            numbered = f"{stage.name}{seen[stage.name]}" if total[stage.name] > 1 else stage.name
            paths.append(join(base, numbered))
        return paths
    paths = []
    for stage in stmt.stages:
        while True:
            frame.counters[stage.name] = frame.counters.get(stage.name, 0) + 1
            path = join(frame.prefix, f"{stage.name}{frame.counters[stage.name]}")
            if path not in used:
                break
        paths.append(path)
    return paths
