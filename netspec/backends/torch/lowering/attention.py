"""The PyTorch lowering of attention (netspec/ops/attention.py): the runtime's
SelfAttention, nn.MultiheadAttention's function with four nn.Linear projections named
q, k, v and out and the scaled dot-product attention between them (written out as
matmul and softmax, so that torch.utils.flop_counter counts the products).

Assumes normalised attributes (kv_heads set) and an input [N, L, D] with a concrete D.
Guarantees state_dict keys `<path>.q.weight`, `<path>.q.bias`, ... `<path>.out.bias`,
the arguments at their defaults left out of the constructor.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("SelfAttention", "d", "heads")


@lowers("attention")
def attention(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    kv = (a["kv_heads"], a["heads"])  # as many as heads: left out
    args = arguments(
        ins[0][-1],
        a["heads"],
        kv_heads=kv,
        bias=(a["bias"], True),
        causal=(a["causal"], False),
        dropout=(a["dropout"], 0.0),
    )
    return Layer(f"SelfAttention({args})", helpers=("SelfAttention",))
