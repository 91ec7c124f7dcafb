"""An ONNX file read into what the translators need: nodes in order, constants, shapes.

Assumes a ModelProto that `onnx.load` accepts (external data beside the file is loaded
with it). Guarantees a :class:`Graph`: the graph's real inputs (initializers excluded;
a symbolic size by its name, an unknown one as "N" for the batch or "D<i>"), its output
tensors, its nodes in topological order without the Constant nodes, every constant
(initializers, Constant nodes, and Identity, Transpose, Unsqueeze, Reshape, Shape, Concat
and Expand nodes of constants, which exporters write for shared or rearranged weights and
for computed axes and sizes) as a numpy array, and the shapes
ONNX shape inference found. Local function calls are inlined first (functions.py), each
inlined node's calls kept in `scopes`.
"""

from __future__ import annotations

import contextlib
import heapq
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import onnx
from onnx import numpy_helper

from netspec.frontends.imported import Input
from netspec.frontends.onnx.fold import folded
from netspec.frontends.onnx.functions import Scope, inline

Dims = tuple[int | str, ...]


class Graph(NamedTuple):
    name: str
    opset: int
    inputs: tuple[Input, ...]
    outputs: tuple[str, ...]
    nodes: tuple[Any, ...]  # onnx.NodeProto, topological order
    constants: dict[str, np.ndarray]
    shapes: dict[str, Dims]  # every tensor shape inference knows
    # a node inlined from local functions, by its first output: the calls it lay in
    scopes: dict[str, Scope] = {}  # noqa: RUF012 (never mutated: a NamedTuple's default)


class Unreadable(ValueError):
    """A file that is not an ONNX model onnx can load: the message says why."""


def read_graph(path: str | Path) -> Graph:
    try:
        model = onnx.load(str(path), load_external_data=True)
    except OSError:  # a missing file, or its external data: the caller says which
        raise
    except Exception as exc:  # noqa: BLE001 (protobuf's DecodeError and kin: not a model)
        raise Unreadable(f"not an ONNX model onnx can read ({type(exc).__name__})") from None
    return graph_of(model)


def graph_of(model) -> Graph:
    """A loaded ModelProto's graph, as the translators read it (local functions inlined)."""
    model, scopes = inline(model)
    # an op of an unknown domain stops inference: the shapes found so far are kept
    with contextlib.suppress(Exception):
        model = onnx.shape_inference.infer_shapes(model)
    model = folded(model)  # sizes read at run time, where they are fixed: constants
    g = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes = [n for n in _ordered(g) if not _constant(n, constants)]
    shapes = {v.name: _dims(v) for v in [*g.input, *g.value_info, *g.output]}
    inputs = tuple(Input(v.name, _dims(v), _dtype(v)) for v in g.input if v.name not in constants)
    if not inputs or not g.output:  # an empty file loads as an empty model
        raise Unreadable("the model has no graph inputs or outputs: there is nothing to import")
    return Graph(
        name=g.name,
        opset=_opset(model),
        inputs=inputs,
        outputs=tuple(v.name for v in g.output),
        nodes=tuple(nodes),
        constants=constants,
        shapes={k: v for k, v in shapes.items() if v is not None},
        scopes=scopes,
    )


def _constant(node, constants: dict[str, np.ndarray]) -> bool:
    """Record a Constant node's value, or the value of a node that only rearranges
    constants (FOLDED: an Identity, a Transpose, a Reshape, ...), and say so."""
    if node.op_type == "Constant":
        attr = {a.name: a for a in node.attribute}
        if "value" in attr:
            constants[node.output[0]] = numpy_helper.to_array(attr["value"].t)
            return True
        for key in ("value_float", "value_int"):
            if key in attr:
                constants[node.output[0]] = np.array(onnx.helper.get_attribute_value(attr[key]))
                return True
        for key in ("value_floats", "value_ints"):
            if key in attr:
                constants[node.output[0]] = np.array(onnx.helper.get_attribute_value(attr[key]))
                return True
        return False
    if node.op_type in FOLDED and node.input and all(t in constants for t in node.input if t):
        value = FOLDED[node.op_type](node, [constants[t] if t else None for t in node.input])
        if value is not None:
            constants[node.output[0]] = value
            return True
    return False


def _transpose(node, values):
    perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
    return np.transpose(values[0], perm)


def _unsqueeze(node, values):
    axes = (
        values[1] if len(values) > 1 else next(a.ints for a in node.attribute if a.name == "axes")
    )
    x = values[0]
    for axis in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
        x = np.expand_dims(x, axis)
    return x


def _reshape(node, values):
    target = [int(d) for d in values[1]]
    return None if 0 in target else values[0].reshape(target)  # 0: "keep", or allowzero


def _shape(node, values):
    a = {x.name: x.i for x in node.attribute}
    return np.array(values[0].shape[a.get("start", 0) : a.get("end")], dtype=np.int64)


def _concat(node, values):
    axis = next(a.i for a in node.attribute if a.name == "axis")
    return np.concatenate(values, axis=axis)


def _expand(node, values):
    shape = np.broadcast_shapes(values[0].shape, tuple(int(d) for d in values[1]))
    return np.broadcast_to(values[0], shape).copy()


# exporters rearrange stored weights with these (netspec's MatMul by a transposed weight,
# a norm's scale unsqueezed to [C, 1, 1]): done here, the weight is stored as it is used;
# torch's dynamo exporter unoptimised (optimize=False) computes axes, shapes and sizes
# from constants with Shape, Concat, Reshape and Expand
FOLDED = {
    "Identity": lambda node, values: values[0],
    "Transpose": _transpose,
    "Unsqueeze": _unsqueeze,
    "Reshape": _reshape,
    "Shape": _shape,
    "Concat": _concat,
    "Expand": _expand,
}


def _ordered(g) -> list:
    """Kahn's order, stable by file position (a heap of ready indices); nodes that wait
    on a tensor nobody makes, or on a cycle, follow in the file's order."""
    nodes = list(g.node)
    maker = {out: i for i, n in enumerate(nodes) for out in n.output if out}
    needs = [{maker[t] for t in reads(n) if t in maker} for n in nodes]
    readers: dict[int, list[int]] = {}
    for i, before in enumerate(needs):
        for j in before:
            readers.setdefault(j, []).append(i)
    left = [len(b) for b in needs]
    ready = [i for i, k in enumerate(left) if k == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for r in readers.get(i, ()):
            left[r] -= 1
            if left[r] == 0:
                heapq.heappush(ready, r)
    placed = set(order)
    order += [i for i in range(len(nodes)) if i not in placed]
    return [nodes[i] for i in order]


def reads(node) -> list[str]:
    """The tensors a node reads: its inputs, and those its subgraphs (If's branches, a
    Loop's body) take from the enclosing graph by name."""
    names = list(node.input)
    for a in node.attribute:
        for sub in [a.g] if a.HasField("g") else list(a.graphs):
            made = {v.name for v in sub.input} | {t.name for t in sub.initializer}
            for inner in sub.node:
                names += [t for t in reads(inner) if t and t not in made]
                made.update(inner.output)
    return names


def _dims(value) -> Dims | None:
    t = value.type.tensor_type
    if not t.HasField("shape"):
        return None
    dims = []
    for i, d in enumerate(t.shape.dim):
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append("N" if i == 0 else f"D{i}")
    return tuple(dims)


def _dtype(value) -> str:
    elem = value.type.tensor_type.elem_type
    return str(onnx.helper.tensor_dtype_to_np_dtype(elem)) if elem else "float32"


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
