"""The PyTorch lowering of attention (netspec/ops/attention.py): the runtime's
SelfAttention, nn.MultiheadAttention's function with four nn.Linear projections named
q, k, v and out and the scaled dot-product attention between them; CrossAttention with
a memory (its keys' and values' features, memory_dim, the second positional argument).

Assumes normalised attributes (kv_heads set, memory and padding booleans) and inputs
[N, L, D] with a concrete D, then the memory [N, S, Dm], then the padding mask, in the
order forward takes them: SelfAttention(x, padding), CrossAttention(x, memory, padding).
Guarantees state_dict keys `<path>.q.weight`, `<path>.q.bias`, ... `<path>.out.bias`,
the arguments at their defaults left out of the constructor.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("SelfAttention", "d", "heads")
positional("CrossAttention", "d", "memory_dim", "heads")


@lowers("attention")
def attention(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    module = "CrossAttention" if a.get("memory") else "SelfAttention"
    sizes = (ins[0][-1], ins[1][-1]) if a.get("memory") else (ins[0][-1],)
    kv = (a["kv_heads"], a["heads"])  # as many as heads: left out
    args = arguments(
        *sizes,
        a["heads"],
        kv_heads=kv,
        bias=(a["bias"], True),
        causal=(a["causal"], False),
        dropout=(a["dropout"], 0.0),
    )
    return Layer(f"{module}({args})", helpers=(module,))
