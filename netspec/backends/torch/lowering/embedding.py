"""PyTorch lowering of the embedding lookup (netspec/ops/embedding.py): nn.Embedding.

Assumes int64 token ids. Guarantees a module whose weight is the op's vocab x width
table, named `<path>.weight` in the state_dict.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, arguments, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Embedding", "num_embeddings", "embedding_dim")


@lowers("embedding")
def embedding(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    pad = (a["padding_index"], None)
    return Layer(f"nn.Embedding({arguments(a['vocab'], a['width'], padding_idx=pad)})")
