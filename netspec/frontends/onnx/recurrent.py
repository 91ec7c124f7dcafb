"""Recurrent layers, as netspec's exporter lowers them (netspec/backends/onnx/lowering/
recurrent.py), found as patterns before translation.

- `lstm` / `gru` / `rnn(hidden, layers=, bidirectional=, batch_first=, bias=)`: one
  LSTM/GRU/RNN node per layer on [L, N, in]; each layer's Y [L, dirs, N, H] goes
  through Transpose [0, 2, 1, 3] and Reshape [0, 0, dirs·H] (the next layer's input,
  or the sequence); a batch_first layer has a Transpose [1, 0, 2] before the first layer
  and after the last. Consecutive layers of one configuration are one call (`layers=`);
  a layer whose op, hidden size, direction or bias differs from the one before it
  starts a call of its own (`lstm(6) lstm(4, bidirectional=true)`). The weights W, R,
  B are PyTorch's tensors with their gate blocks gathered into ONNX's order (LSTM i, o,
  f, c; GRU z, r, h): evaluated from the stored tensors through Gather/Unsqueeze/Concat
  and put back in PyTorch's order (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
  `_reverse` for the second direction). The final states (part 1 h, part 2 c: the
  layers' Y_h concatenated) are the same call's parts 1 and 2 (`Stage.part`), made
  where they are read. The Identity that names a call's sequence is that call's
  output: the next call reads it, not what is behind it.

Assumes a :class:`Context` before any translator ran. Guarantees that a replaced node's
stages read only the pattern's input (the gate Gathers, the Reshapes between layers
become dead), and that a recurrent node no pattern took is refused with the reason the
match failed (an attribute netspec lacks: clip, initial states, sequence lengths, a GRU
with linear_before_reset=0, a reverse-only direction).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from netspec.frontends.imported import Stage, Unsupported
from netspec.frontends.onnx.context import Context, attrs, refuse
from netspec.frontends.onnx.patterns import made_by
from netspec.frontends.onnx.sequence import behind, perm_of

RECURRENT = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
# ONNX's gate order, as indices of PyTorch's gate blocks (lowering/recurrent.py)
ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}
DEFAULT_ACTIVATIONS = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"]}


def find(ctx: Context) -> None:
    """Each stack of recurrent layers, recorded on the node that makes its outputs."""
    for node in ctx.graph.nodes:
        if node.op_type in RECURRENT:
            found = _stack(node, ctx)
            if isinstance(found, Stack):
                _record(ctx, found)


def _record(ctx: Context, found: Stack) -> None:
    """The call's stages (part 0, then the states read) on the first of the nodes that
    make its outputs, in the graph's order; the others read that node's output, so that
    any of them needed keeps the call (the stages stay together: one statement)."""
    makers = [found.last, *(s.node for s in found.states)]
    order = {id(n): k for k, n in enumerate(ctx.graph.nodes)}
    first = min(makers, key=lambda n: order[id(n)])
    stages = [*found.stages, *(s.stage for s in found.states)]
    ctx.replace[id(first)] = (stages, [found.source])
    for node in makers:
        if node is not first:
            ctx.replace[id(node)] = ([], [first.output[0]])


class State(NamedTuple):
    node: object  # the node making the state (the layers' Concat, or an Identity of it)
    stage: Stage


class Stack(NamedTuple):
    source: str  # the tensor the first layer reads (before batch_first's Transpose)
    last: object  # the node making the sequence
    stages: list[Stage]
    states: list[State]


class Kind(NamedTuple):
    op: str
    hidden: int
    dirs: int
    kwargs: dict
    bias: bool


def recurrent(node, ctx: Context) -> list[Stage] | Unsupported:
    """A recurrent node the outputs still need: the pattern did not take it (why), or
    something other than the pattern's own glue reads what it makes."""
    found = _stack(node, ctx)
    if isinstance(found, str):
        return refuse(node, found)
    if found is None:
        return refuse(node, "a later layer of a stack whose first layer is refused")
    return refuse(
        node,
        "its outputs are read other than as netspec's recurrent layer gives them (the "
        "sequence, or the final states concatenated over the layers)",
    )


def _stack(first, ctx: Context) -> Stack | str | None:
    """The layers that start at `first` as one netspec call, or why not; None where
    `first` is not a first layer (the pattern starts at the layer before). A call holds
    layers of one configuration: where the next layer's differs (a unidirectional LSTM
    feeding a bidirectional one, another hidden size), it starts a call of its own."""
    before = made_by(ctx, first.input[0], "Reshape")
    turned = made_by(ctx, before.input[0], "Transpose") if before is not None else None
    layer = made_by(ctx, turned.input[0]) if turned is not None else None
    if layer is not None and _continues(ctx, layer, before, first):
        return None
    kind = _kind(first, ctx)
    if isinstance(kind, str):
        return kind
    source, batch_first = first.input[0], False
    turn = made_by(ctx, source, "Transpose")
    if turn is not None and perm_of(turn) == [1, 0, 2] and ctx.only_reader(source) is first:
        source, batch_first = turn.input[0], True
    width = ctx.shape(source)[-1] if ctx.shape(source) else None
    layers, weights, node = [], [], first
    while True:
        found = _layer_weights(node, ctx, kind, len(layers))
        if isinstance(found, str):
            return found
        weights += found
        layers.append(node)
        out = _sequence_of(node, ctx, kind)
        if out is None:
            return (
                "its sequence Y is not turned into [L, N, dirs·hidden] by Transpose "
                "[0, 2, 1, 3] and Reshape [0, 0, dirs·hidden], as netspec's lowering writes"
            )
        after = ctx.only_reader(out.output[0])
        if after is None or not _continues(ctx, node, out, after):
            break
        node = after
    last = out
    back = ctx.only_reader(out.output[0])
    if (
        batch_first
        and back is not None
        and back.op_type == "Transpose"
        and perm_of(back) == [1, 0, 2]
    ):
        last = back
    elif batch_first:  # a Transpose of the model's own before a sequence-first layer
        source, batch_first = first.input[0], False
    last = _named(ctx, last)
    if not isinstance(width, int):
        return "its input's feature size is not known"
    kwargs = {"layers": len(layers) if len(layers) > 1 else None}  # the op's order
    kwargs["bidirectional"] = kind.kwargs["bidirectional"]
    kwargs["batch_first"] = None if batch_first else False
    kwargs |= {k: v for k, v in kind.kwargs.items() if k not in kwargs}
    args = (kind.hidden,)
    stage = ctx.stage(last, kind.op, args, kwargs, inputs=(behind(ctx, source),), weights=weights)
    states = _states(layers, ctx, kind, stage)
    if isinstance(states, str):
        return states
    return Stack(source, last, [stage], states)


def _continues(ctx: Context, layer, sequence, node) -> bool:
    """Whether `node` is the next layer of `layer`'s call: a recurrent node of the same
    op and configuration that reads `sequence` (`layer`'s Y as [L, N, dirs·H]) first,
    and is its only reader."""
    return (
        node.op_type == layer.op_type
        and node.input[0] == sequence.output[0]
        and ctx.only_reader(sequence.output[0]) is node
        and _kind(node, ctx) == _kind(layer, ctx)
    )


def _kind(node, ctx: Context) -> Kind | str:
    """The op and arguments a recurrent node's attributes say, or why netspec has none."""
    op, a = RECURRENT[node.op_type], attrs(node)
    direction = a.get("direction", "forward")
    if direction not in ("forward", "bidirectional"):
        return f"direction {direction!r}: netspec runs forward, or both ways (bidirectional)"
    dirs = 2 if direction == "bidirectional" else 1
    for key in ("clip", "activation_alpha", "activation_beta"):
        if key in a:
            return f"the attribute {key}: PyTorch's recurrent layers have none"
    if a.get("layout", 0) or a.get("input_forget", 0):
        return "layout=1 or input_forget=1: not PyTorch's recurrent layer"
    if op == "gru" and a.get("linear_before_reset", 0) != 1:
        return "linear_before_reset=0: PyTorch's GRU applies the reset gate after the product"
    kwargs: dict = {"bidirectional": True if dirs == 2 else None}
    activations = [v.decode() if isinstance(v, bytes) else v for v in a.get("activations", [])]
    if op == "rnn":
        found = set(activations or ["Tanh"])
        if len(found) != 1 or not found <= {"Tanh", "Relu"}:
            return f"activations {activations}: netspec's rnn takes tanh or relu"
        kwargs["nonlinearity"] = None if found == {"Tanh"} else "relu"
    elif activations and activations != DEFAULT_ACTIVATIONS[op] * dirs:
        return f"activations {activations}: PyTorch's {op} has {DEFAULT_ACTIVATIONS[op]}"
    extra = [t for t in node.input[4:] if t]
    if extra:
        return "sequence lengths, initial states or peepholes: netspec's layer starts at zero"
    if "hidden_size" not in a:
        return "no hidden_size attribute"
    bias = len(node.input) > 3 and bool(node.input[3])
    kwargs["bias"] = None if bias else False
    return Kind(op, int(a["hidden_size"]), dirs, kwargs, bias)


def _layer_weights(node, ctx: Context, kind: Kind, layer: int) -> list | str:
    """PyTorch's parameters of one layer, by their state_dict names."""
    gates = len(ORDER[kind.op])
    size = gates * kind.hidden
    blocks = np.concatenate(
        [np.arange(g * kind.hidden, (g + 1) * kind.hidden) for g in ORDER[kind.op]]
    )
    back = np.argsort(blocks)  # ONNX's rows -> PyTorch's
    values = [_evaluate(ctx, t) for t in node.input[1:4] if t]
    if any(v is None for v in values):
        return f"its weights ({node.name}) are not stored tensors (gathered into gate order)"
    w, r = values[0], values[1]
    if w.shape[:2] != (kind.dirs, size) or r.shape != (kind.dirs, size, kind.hidden):
        return f"its weights have shapes {w.shape}, {r.shape}: not {kind.dirs} x {size} rows"
    out = []
    for d in range(kind.dirs):
        suffix = "_reverse" if d else ""
        out.append((f"weight_ih_l{layer}{suffix}", w[d][back]))
        out.append((f"weight_hh_l{layer}{suffix}", r[d][back]))
    if kind.bias:
        b = values[2]
        if b.shape != (kind.dirs, 2 * size):
            return f"its bias has shape {b.shape}: not [{kind.dirs}, {2 * size}]"
        for d in range(kind.dirs):
            suffix = "_reverse" if d else ""
            out.append((f"bias_ih_l{layer}{suffix}", b[d][:size][back]))
            out.append((f"bias_hh_l{layer}{suffix}", b[d][size:][back]))
    return _in_pytorch_order(out)


def _in_pytorch_order(weights: list) -> list:
    """weight_ih, weight_hh, bias_ih, bias_hh, then the same `_reverse`: the order of
    PyTorch's state_dict."""
    kinds = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    return sorted(weights, key=lambda w: ("_reverse" in w[0], kinds.index(w[0].rsplit("_l")[0])))


def _sequence_of(node, ctx: Context, kind: Kind):
    """The Reshape that makes a layer's Y [L, N, dirs·H], or None."""
    turn = ctx.only_reader(node.output[0])
    if turn is None or turn.op_type != "Transpose" or perm_of(turn) != [0, 2, 1, 3]:
        return None
    flat = ctx.only_reader(turn.output[0])
    target = ctx.const(flat.input[1]) if flat is not None and flat.op_type == "Reshape" else None
    if target is None or [int(v) for v in target] != [0, 0, kind.dirs * kind.hidden]:
        return None
    return flat


def _states(layers: list, ctx: Context, kind: Kind, sequence: Stage) -> list[State] | str:
    """The final states, as parts of the same call, up to the last one read (a
    statement names the parts in order): each made by the node that joins the layers'
    states (their Concat on axis 0, or the one layer's own output), read through the
    Identity that names it where there is one."""
    found: list[State] = []
    read = 0
    for part in (1, 2) if kind.op == "lstm" else (1,):
        tensors = [n.output[part] if len(n.output) > part else "" for n in layers]
        if not all(tensors):
            break
        join = _joined(ctx, tensors)
        if isinstance(join, str):
            if any(_read(ctx, t) for t in tensors):
                return join
            break
        join = _named(ctx, join) if join is not None else None
        if join is None:
            break
        read = part if _read(ctx, join.output[0]) else read
        stage = sequence._replace(output=ctx.name(join.output[0]), weights=(), part=part)
        found.append(State(join, stage))
    return found[:read]


def _joined(ctx: Context, tensors: list[str]):
    """The node joining the layers' states: their Concat on axis 0 (several layers), or
    the one layer's reader (an Identity: netspec's part), None where nothing reads
    them; why, where something else does."""
    if not any(_read(ctx, t) for t in tensors):
        return None
    if len(tensors) == 1:
        join = ctx.only_reader(tensors[0])
        if join is None or join.op_type != "Identity":
            return "its final state is read other than through an Identity"
        return join
    join = _only(ctx, tensors)
    if join is None or join.op_type != "Concat" or attrs(join).get("axis") != 0:
        return "its final states are read other than as their Concat over the layers"
    if list(join.input) != tensors:
        return "its final states are concatenated out of the layers' order"
    return join


def _named(ctx: Context, node):
    """The Identity that gives `node`'s output its layer's name (netspec's lowering ends
    a layer on one, where nothing else does), else `node`."""
    reader = ctx.only_reader(node.output[0])
    return reader if reader is not None and reader.op_type == "Identity" else node


def _read(ctx: Context, tensor: str) -> bool:
    return bool(ctx.readers(tensor)) or tensor in ctx.graph.outputs


def _only(ctx: Context, tensors: list[str]):
    """The one node that reads each of `tensors`, and only it."""
    readers = {id(r): r for t in tensors for r in ctx.readers(t)}
    if len(readers) != 1 or any(t in ctx.graph.outputs for t in tensors):
        return None
    reader = next(iter(readers.values()))
    return reader if all(ctx.readers(t) == [reader] for t in tensors) else None


# --- helpers ---------------------------------------------------------------------------

_EVALUATED = {"Gather", "Unsqueeze", "Concat", "Identity"}


def _evaluate(ctx: Context, tensor: str) -> np.ndarray | None:
    """The value of a tensor computed from stored ones by Gather, Unsqueeze and Concat
    (the gate reordering of recurrent.py's lowering), or None."""
    value = ctx.const(tensor)
    if value is not None:
        return value
    node = made_by(ctx, tensor)
    if node is None or node.op_type not in _EVALUATED:
        return None
    values = [_evaluate(ctx, t) if t else None for t in node.input]
    if any(v is None for v in values[:1]) or any(
        v is None for t, v in zip(node.input, values, strict=True) if t
    ):
        return None
    a = attrs(node)
    if node.op_type == "Identity":
        return values[0]
    if node.op_type == "Gather":
        return np.take(values[0], values[1].astype(np.int64), axis=a.get("axis", 0))
    if node.op_type == "Concat":
        return np.concatenate(values, axis=a["axis"])
    axes = values[1] if len(values) > 1 else a.get("axes")
    x = values[0]
    for axis in sorted(int(v) % (x.ndim + len(axes)) for v in np.reshape(axes, -1)):
        x = np.expand_dims(x, axis)
    return x


TABLE = {"LSTM": recurrent, "GRU": recurrent, "RNN": recurrent}
