"""Learned tensors (`param`) in the block finder (netspec/frontends/blocks.py): which
items declare and read them, how far a window must reach to hold a tensor with all its
readers, and the name a block gives each tensor it declares.

Items are blocks_shape.py's (units, calls, repeats); only units declare or read. Assumes
plan.py's units, a param's stage reading nothing and making its tensor. Guarantees
positions within one statement's items; a tensor some stage outside them reads is never
held (a block would declare it once per call).
"""

from __future__ import annotations

import re
from typing import Any

from netspec.frontends.imported import Imported
from netspec.frontends.plan import Unit, learned
from netspec.ops import REGISTRY

# names a block parameter or learned tensor cannot have (docs/language.md §2.3, and `in`)
RESERVED = frozenset(
    ("const", "defaults", "block", "network", "let", "repeat", "as", "if", "else", "from")
    + ("true", "false", "none", "and", "or", "not", "in", "param", "input", "output")
)


def learned_span(imported: Imported, seq: list[Any]) -> tuple[list[float], list[float]]:
    """Per position: the first position whose learned tensor the item reads (inf: none),
    and for a `param`, the last position that reads it (inf: read outside `seq`)."""
    where = {item.output: p for p, item in enumerate(seq) if declares(imported, item)}
    first_read = [float("inf")] * len(seq)
    last_read = [float("-inf")] * len(seq)
    count: dict[str, int] = dict.fromkeys(where, 0)
    params = learned(imported)
    for p, item in enumerate(seq):
        for t in reads(imported, item, params):
            q = where.get(t)
            first_read[p] = min(first_read[p], float("-inf") if q is None else q)
            if q is not None:
                last_read[q] = max(last_read[q], p)
                count[t] += 1
    readers = {t: sum(1 for s in imported.stages if t in s.inputs) for t in where}
    for t, q in where.items():
        if count[t] != readers[t]:
            last_read[q] = float("inf")
    return first_read, last_read


def declares(imported: Imported, item: Any) -> bool:
    return isinstance(item, Unit) and imported.stages[item.stage].op == "param"


def reads(imported: Imported, item: Any, params: frozenset[str]) -> list[str]:
    """The learned tensors a unit, its branches included, reads (a call reads none:
    its block declares those it reads)."""
    if not isinstance(item, Unit):
        return []
    stage = imported.stages[item.stage]
    own = [t for t in stage.inputs if t in params]
    return own + [t for b in item.branches or () for u in b for t in reads(imported, u, params)]


def tensor_names(imported: Imported, windows: list[list[Any]], params: list[str]):
    """The learned tensors each occurrence declares, by the end of their names that all
    share (`stage1_cn_block1_gamma`, `stage2_cn_block3_gamma` -> `gamma`)."""
    declared = [[item.output for item in w if declares(imported, item)] for w in windows]
    taken = set(params) | set(REGISTRY) | RESERVED
    out = []
    for column in zip(*declared, strict=True):
        parts = [re.split(r"[^A-Za-z0-9]+", t) for t in column]
        common: list[str] = []
        for tail in zip(*(reversed(p) for p in parts), strict=False):
            if len(set(tail)) != 1:
                break
            common.insert(0, tail[0])
        base = "_".join(common).strip("_") or "learned"
        base = base if base.isidentifier() else f"p_{base}"
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}{k}"
        taken.add(name)
        out.append((column[0], name))
    return tuple(out)
