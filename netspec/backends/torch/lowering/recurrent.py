"""The PyTorch lowering of the recurrent layers (netspec/ops/recurrent.py): the runtime's
LSTM, GRU and RNN, PyTorch's modules whose forward gives the sequence alone, or every
output with `states=True`, the call forward makes where the graph binds the states.

Assumes the op's attributes and an input [N, L, D] (batch_first) or [L, N, D], D
concrete. Guarantees PyTorch's own state_dict keys under the layer's path
(`<path>.weight_ih_l0`, ...), the arguments at PyTorch's defaults left out of the
constructor (batch_first, whose PyTorch default is false, written when true).
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.ops import REGISTRY
from netspec.values import Shape

for _module in ("LSTM", "GRU", "RNN"):
    positional(_module, "input_size", "hidden_size")


@lowers("lstm", "gru", "rnn")
def recurrent(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a, module = node.attrs, REGISTRY[node.op].module
    args = arguments(
        ins[0][-1],
        a["hidden"],
        num_layers=(a["layers"], 1),
        nonlinearity=(repr(a.get("nonlinearity", "tanh")), repr("tanh")),
        bias=(a["bias"], True),
        batch_first=(a["batch_first"], False),
        dropout=(a["dropout"], 0.0),
        bidirectional=(a["bidirectional"], False),
    )
    return Layer(f"{module}({args})", helpers=(module,), joint="{module}({args}, states=True)")
