"""The ONNX lowering of the recurrent layers (netspec/ops/recurrent.py): one standard
LSTM, GRU or RNN operator per layer (both directions in one, direction="bidirectional"),
on PyTorch's own weights reordered inside the graph.

The initializers are PyTorch's tensors under their state_dict keys (`<path>.weight_ih_l0`,
`<path>.bias_hh_l0_reverse`, ...), so trained weights load as they are; a Gather on the
gate blocks turns PyTorch's gate order into ONNX's (LSTM: i, f, g, o -> i, o, f, c;
GRU: r, z, n -> z, r, h, with linear_before_reset=1, PyTorch's GRU; RNN: one gate),
and the two biases are concatenated as ONNX's B = [Wb, Rb]. ONNX's layout is [L, N,
in]: a batch_first input is transposed first and the sequence back at the end; each
layer's Y [L, dirs, N, H] becomes the next layer's [L, N, dirs·H] (Transpose, Reshape
copying L and N). The final states of the layers are concatenated, PyTorch's [layers x
dirs, N, H]. Dropout between layers is off at inference. Every operator exists from
opset 13 (no `layout` attribute, which needs 14).

Part 0 writes the sequence and leaves the states in the emitter for parts 1 and 2,
which follow it (the same span and input): each is an Identity of its state.

Assumes the op's attributes and an input [N, L, D] or [L, N, D], D concrete.
Guarantees what the PyTorch lowering computes in eval mode.
"""

from __future__ import annotations

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import lowers
from netspec.ir import Node

# ONNX's gate order, as indices of PyTorch's gate blocks
_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}
_OPERATOR = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _gates(em: Emitter, node: Node, key: str, shape: tuple[int, int], hidden: int) -> str:
    """PyTorch's parameter `key` [gates·H, ...], its gate blocks in ONNX's order."""
    p = em.param(key, shape, fan_in=hidden)
    rows = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _ORDER[node.op]])
    return em.op("Gather", [p, em.ints("gates", rows)], axis=0)


def _stacked(em: Emitter, tensors: list[str]) -> str:
    """[a, ...] and [b, ...] as [2, a...]: one per direction."""
    ups = [em.unsqueeze(t, [0]) for t in tensors]
    return ups[0] if len(ups) == 1 else em.op("Concat", ups, axis=0)


def _layer(em: Emitter, node: Node, x: str, layer: int, width: int) -> tuple[str, list[str]]:
    """One layer on x [L, N, width]: ([L, N, dirs·H], its final states [dirs, N, H])."""
    a, h = node.attrs, node.attrs["hidden"]
    gates = len(_ORDER[node.op])
    suffixes = ["", "_reverse"] if a["bidirectional"] else [""]
    key = f"{node.path}.{{}}_l{layer}{{}}"
    w = _stacked(em, [_gates(em, node, key.format("weight_ih", s), (gates * h, width), h)
                      for s in suffixes])  # fmt: skip
    r = _stacked(em, [_gates(em, node, key.format("weight_hh", s), (gates * h, h), h)
                      for s in suffixes])  # fmt: skip
    inputs = [x, w, r]
    if a["bias"]:
        both = [
            em.op(
                "Concat",
                [
                    _gates(em, node, key.format(b, s), (gates * h,), h)
                    for b in ("bias_ih", "bias_hh")
                ],
                axis=0,
            )  # fmt: skip
            for s in suffixes
        ]
        inputs.append(_stacked(em, both))
    attrs = {"hidden_size": h, "direction": "bidirectional" if a["bidirectional"] else "forward"}
    if node.op == "gru":
        attrs["linear_before_reset"] = 1
    if node.op == "rnn":
        attrs["activations"] = [a["nonlinearity"].capitalize()] * len(suffixes)
    outs = em.outputs(_OPERATOR[node.op], inputs, 3 if node.op == "lstm" else 2, **attrs)
    seq = em.op("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # [L, N, dirs, H]
    return em.op("Reshape", [seq, em.ints("width", [0, 0, len(suffixes) * h])]), outs[1:]


@lowers("lstm", "gru", "rnn")
def recurrent(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, part = node.attrs, node.attrs.get("part", 0)
    key = (node.span, tuple(xs))
    if part:  # a state part 0 computed
        em.op("Identity", [em.joint[key][part - 1]], y)
        return
    x = em.op("Transpose", [xs[0]], perm=[1, 0, 2]) if a["batch_first"] else xs[0]
    dirs = 2 if a["bidirectional"] else 1
    states: list[list[str]] = []
    width = ins[0][-1]
    for layer in range(a["layers"]):
        x, finals = _layer(em, node, x, layer, width)
        states.append(finals)
        width = dirs * a["hidden"]
    em.joint[key] = tuple(
        em.op("Concat", list(kind), axis=0) if len(kind) > 1 else kind[0]
        for kind in zip(*states, strict=True)
    )
    if a["batch_first"]:
        em.op("Transpose", [x], y, perm=[1, 0, 2])
    else:
        em.op("Identity", [x], y)
