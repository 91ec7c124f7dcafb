"""An imported model's weights as a `.safetensors` file keyed by the spec's paths.

`write_weights(imported, text, path)` elaborates the spec text the emitter wrote, pairs
each stage with its layer (the layers come in :func:`netspec.frontends.plan.stage_order`,
one per stage) and writes each weight as `{layer path}.{name}` (`stem.conv.weight`,
`add1.0.bn1.running_var`): the keys of the PyTorch module's `state_dict`, which
`netspec export SPEC --weights FILE` reads. A batch norm also gets the
`num_batches_tracked` counter PyTorch keeps (0), so that `load_state_dict` is strict.

The file is written by hand: an 8-byte little-endian header length, a JSON header
(name -> dtype, shape, data offsets; `__metadata__`) padded with spaces to a multiple of
8, then the raw little-endian data, in layer order.

Assumes numpy. Guarantees a layer whose op is not its stage's, or reads other tensors
than its stage does, raises :class:`Mismatch` (a bug of the emitter or of the text);
the file is written to a temporary name beside `path`, then renamed: whole or not at
all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from netspec.frontends.imported import Imported
from netspec.frontends.plan import stage_order
from netspec.ir import Graph

_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
COUNTER = "num_batches_tracked"  # PyTorch's batch-norm buffer that ONNX has no use for


class Mismatch(Exception):
    """The spec's layers are not the imported stages: a bug, said with both sides."""


def weights_by_key(imported: Imported, graph: Graph, branches: bool = True) -> dict:
    """The stages' weights by state_dict key, checked against `graph`'s layers."""
    pairs = _pairs(imported, graph, branches)
    out: dict[str, np.ndarray] = {}
    for stage, node in pairs:
        for name, array in stage.weights:
            # a learned tensor (`param`) is its own state_dict entry, named by its path
            out[f"{node.path}.{name}" if name else node.path] = _array(array)
        if node.op == "bn" and node.attrs.get("track_running_stats", True):
            out.setdefault(f"{node.path}.{COUNTER}", np.zeros((), dtype="<i8"))
    return out


def write_weights(imported: Imported, text: str, path: str | Path, branches: bool = True) -> int:
    """Write the weights of `imported` for the spec `text` to `path`; the number of
    values written (the counters left out)."""
    from netspec.api import check
    from netspec.source import Source

    [analysis] = check(Source(str(path), text))
    weights = weights_by_key(imported, analysis.graph, branches)
    metadata = {"format": "pt", "network": analysis.graph.name, "source": imported.source}
    write_safetensors(path, weights, metadata)
    return sum(a.size for k, a in weights.items() if not k.endswith("." + COUNTER))


def _pairs(imported: Imported, graph: Graph, branches: bool) -> list:
    order = [imported.stages[i] for i in stage_order(imported, branches)]
    if len(order) != len(graph.nodes):
        raise Mismatch(
            f"the spec has {len(graph.nodes)} layers and the model {len(order)} stages: "
            "the emitter should have written one layer per stage"
        )
    # by position: the spec may have renamed an input whose name is a keyword
    names = {t: i.name for i, (_, t) in zip(imported.inputs, graph.inputs, strict=False)}
    for stage, node in zip(order, graph.nodes, strict=True):
        read = tuple(names.get(t, "?") for t in node.inputs)
        if node.op != stage.op or read != stage.inputs:
            raise Mismatch(
                f"layer {node.path} is {node.op} reading {', '.join(read)}, but its stage "
                f"({stage.source or stage.output}) is {stage.op} reading "
                f"{', '.join(stage.inputs)}"
            )
        names[node.output] = stage.output
    return list(zip(order, graph.nodes, strict=True))


def _array(value) -> np.ndarray:
    """Float weights as float32 (the spec's dtype), integers as int64, little-endian."""
    array = np.asarray(value)
    kind = "<f4" if array.dtype.kind == "f" else "<i8"
    return np.ascontiguousarray(array, dtype=kind)


def write_safetensors(path: str | Path, weights: dict, metadata: dict[str, str]) -> None:
    """`weights` (name -> float32 or int64 array) as a .safetensors file, atomically."""
    header: dict[str, object] = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    offset = 0
    for name, array in weights.items():
        header[name] = {
            "dtype": _DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts at a multiple of 8
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with open(temporary, "wb") as file:
            file.write(len(raw).to_bytes(8, "little"))
            file.write(raw)
            for array in weights.values():
                file.write(array.tobytes())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
