"""How generated PyTorch source writes names and values: a block's class name, a spec's
arguments as netspec writes them (in docstrings), the spec file's name, and the example
inputs of the file's quick look (`python model.py`).

Assumes nothing of torch (the source is text). Guarantees deterministic text: the same
graph gives the same file anywhere.
"""

from __future__ import annotations

import keyword
from pathlib import PurePath

from netspec.ir import Graph


def camel(name: str, taken: set[str]) -> str:
    """`basic` -> `Basic`, `double_conv` -> `DoubleConv`; a second class gets `Basic2`."""
    base = "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Block"
    if base in taken or keyword.iskeyword(base):
        k = 2
        while f"{base}{k}" in taken:
            k += 1
        base = f"{base}{k}"
    taken.add(base)
    return base


def show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def file_name(name: str) -> str:
    """The spec's file name without its directory, so the output is the same anywhere."""
    return PurePath(name).name or name


def example(shape) -> str:
    return ", ".join(str(d) if isinstance(d, int) else "2" for d in shape)


def example_input(graph: Graph, tensor: int) -> str:
    """A random input for the file's quick look: token ids are 0 (every vocabulary has
    it), a mask is all true, anything else is drawn from N(0, 1)."""
    shape, dtype = example(graph.shape(tensor)), graph.dtype(tensor)
    if dtype == "int64":
        return f"torch.zeros({shape}, dtype=torch.long)"
    if dtype == "bool":
        return f"torch.ones({shape}, dtype=torch.bool)"
    return f"torch.randn({shape})"
