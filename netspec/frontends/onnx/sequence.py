"""Embeddings, position tables and tied output layers, as netspec's exporter lowers them
(netspec/backends/onnx/lowering/embedding.py, sequence.py, linear.py), found as patterns
before translation; recurrent layers are recurrent.py's.

- `embedding(vocab, width)`: Gather(axis 0) of a stored 2-d table by an integer graph
  input (token ids); the table is the layer's `weight` as it is ([vocab, width]).
- `learned_positions(max_length)`: Add(x, Slice(stored table [max, D], [0], [L], [0]))
  on x [N, L, D]: the table is the layer's `weight`, all its rows (the Slice reads the
  first L).
- `linear(out, tied=words)`: MatMul by the transpose of an embedding's table, the very
  initializer (read.py folds the Transpose into a view of it: shared memory, not equal
  values, says so), with the Add of a stored bias where there is one; the linear has no
  weight of its own, its `tied` names the embedding's tensor (:class:`TensorName`).

Assumes a :class:`Context` before any translator ran. Guarantees that a replaced node's
stages read only the pattern's input. Also the helpers both families use to look past
what an export puts between layers (`behind`, `perm_of`).
"""

from __future__ import annotations

import numpy as np

from netspec.frontends.imported import TensorName
from netspec.frontends.onnx.context import Context, attrs
from netspec.frontends.onnx.patterns import made_by

INTEGER = ("int64", "int32")
TABLE: dict = {}  # found as patterns only


def find(ctx: Context) -> None:
    """Embeddings and positions first; then the heads tied to an embedding's table."""
    tables: dict[str, str] = {}  # an embedding's stored table -> the tensor it makes
    for node in ctx.graph.nodes:
        if node.op_type == "Gather":
            _embedding(node, ctx, tables)
        elif node.op_type == "Add":
            _positions(node, ctx)
    for node in ctx.graph.nodes:
        if node.op_type == "MatMul" and tables:
            _tied(node, ctx, tables)


# --- embeddings and positions ----------------------------------------------------------


def _embedding(gather, ctx: Context, tables: dict[str, str]) -> None:
    table, ids = gather.input[0], gather.input[1]
    value = ctx.const(table)
    if value is None or value.ndim != 2 or value.dtype.kind != "f":
        return
    if attrs(gather).get("axis", 0) != 0 or not _integer_input(ctx, ids):
        return
    vocab, width = (int(d) for d in value.shape)
    stage = ctx.stage(
        gather, "embedding", (vocab, width), inputs=(ids,), weights=[("weight", value)]
    )
    ctx.replace[id(gather)] = ([stage], [ids])
    tables[table] = gather.output[0]


def _integer_input(ctx: Context, tensor: str) -> bool:
    """Token ids: an integer graph input (only an embedding reads one)."""
    return any(i.name == tensor and i.dtype in INTEGER for i in ctx.graph.inputs)


def _positions(add, ctx: Context) -> None:
    """Add(x, Slice(table, [0], [L], [0])): learned_positions(rows of the table)."""
    for x, rows in (add.input, reversed(add.input)):
        cut = made_by(ctx, rows, "Slice")
        table = ctx.const(cut.input[0]) if cut is not None else None
        shape = ctx.shape(x)
        if table is None or table.ndim != 2 or shape is None or len(shape) != 3:
            continue
        length, width = shape[1], shape[2]
        if width != table.shape[1] or ctx.only_reader(rows) is not add:
            continue
        if _slice_bounds(cut, ctx) != (0, length, 0):
            continue
        kwargs = {}
        stage = ctx.stage(
            add, "learned_positions", (int(table.shape[0]),), kwargs, inputs=(behind(ctx, x),),
            weights=[("weight", table)],
        )  # fmt: skip
        ctx.replace[id(add)] = ([stage], [x])
        return


def _slice_bounds(cut, ctx: Context) -> tuple[int, int, int] | None:
    """(start, end, axis) of a one-axis Slice with stored bounds and step 1."""
    values = [ctx.const(t) for t in cut.input[1:]]
    if len(values) < 3 or any(v is None or v.size != 1 for v in values):
        return None
    if len(values) > 3 and int(values[3].reshape(-1)[0]) != 1:
        return None
    start, end, axis = (int(v.reshape(-1)[0]) for v in values[:3])
    return start, end, axis


def _tied(matmul, ctx: Context, tables: dict[str, str]) -> None:
    """MatMul(x, Transpose(an embedding's table)): linear(vocab, tied=that embedding)."""
    weight = ctx.const(matmul.input[1])
    if weight is None or weight.ndim != 2 or ctx.const(matmul.input[0]) is not None:
        return
    shared = next((t for t in tables if _transposed_view(weight, ctx.const(t))), None)
    if shared is None:
        return
    out = int(weight.shape[1])
    last, bias = matmul, None
    add = ctx.only_reader(matmul.output[0])
    if add is not None and add.op_type == "Add":
        other = [t for t in add.input if t != matmul.output[0]]
        value = ctx.const(other[0]) if len(other) == 1 else None
        if value is not None and value.size == out and value.shape[-1:] == (out,):
            last, bias = add, value.reshape(-1)
    tied = TensorName(ctx.name(tables[shared]))
    kwargs = {"bias": None if bias is not None else False, "tied": tied}
    weights = [("bias", bias)] if bias is not None else []
    x = behind(ctx, matmul.input[0])
    stage = ctx.stage(
        matmul, "linear", (out,), kwargs, inputs=(x,), output=last.output[0], weights=weights
    )
    ctx.replace[id(last)] = ([stage], [matmul.input[0]])


def _transposed_view(weight: np.ndarray, table: np.ndarray) -> bool:
    """Whether `weight` is `table` transposed, the same stored tensor (read.py folds a
    Transpose of an initializer into a view of it)."""
    return (
        weight.shape == table.shape[::-1]
        and np.shares_memory(weight, table)
        and np.array_equal(weight, table.T)
    )


# --- recurrent layers ------------------------------------------------------------------


def behind(ctx: Context, tensor: str) -> str:
    """The tensor behind Identity nodes and inference Dropouts, which translation makes
    aliases of their input later on (a stage's inputs are named now, by that input); but
    not behind one that a pattern replaced (the Identity naming an earlier recurrent
    call's sequence is that call's output)."""
    node = made_by(ctx, tensor)
    while node is not None and _passes(ctx, node) and id(node) not in ctx.replace:
        tensor = node.input[0]
        node = made_by(ctx, tensor)
    return tensor


def _passes(ctx: Context, node) -> bool:
    if node.op_type == "Identity":
        return True
    if node.op_type != "Dropout" or (len(node.output) > 1 and node.output[1]):
        return False
    training = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    return (len(node.input) < 3 or not node.input[2]) or (training is not None and not training)


def perm_of(node) -> list[int] | None:
    perm = attrs(node).get("perm")
    return [int(p) for p in perm] if perm is not None else None
