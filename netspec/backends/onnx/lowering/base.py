"""What every ONNX lowering shares: the signature, the table it registers in, and small
helpers (ONNX pads, a per-channel vector broadcast along axis 1).

A lowering takes the :class:`Emitter`, the node, its input tensor names, the input and
output shapes (from the analysis: never recomputed) and the name its last node must
write, and computes what the PyTorch lowering computes (docs/torch.md) with standard
ONNX operators only. Inference semantics: batch normalisation with running statistics
(batch statistics when the spec keeps none, as PyTorch's eval mode does), dropout is
Identity.

Assumes onnx and numpy (the `onnx` extra). Guarantees :data:`LOWERINGS`, op name ->
lowering, filled by `@lowers` in the family modules that
netspec/backends/onnx/lowering/__init__.py imports.
"""

from __future__ import annotations

from collections.abc import Callable

from netspec.backends.onnx.emit import Emitter
from netspec.backends.registry import registrar
from netspec.ir import Node
from netspec.values import Shape

Lowering = Callable[[Emitter, Node, list[str], tuple[Shape, ...], Shape, str], None]
LOWERINGS: dict[str, Lowering] = {}

lowers = registrar(LOWERINGS)


def pads(pairs) -> list[int]:
    """Per-axis (before, after) pairs as ONNX pads: all befores, then all afters."""
    return [b for b, _ in pairs] + [a for _, a in pairs]


def channel_view(em: Emitter, vector: str, rank: int) -> str:
    """A [C] vector shaped [C, 1, ...] to broadcast along axis 1 of a rank-`rank` tensor."""
    if rank <= 2:
        return vector
    return em.unsqueeze(vector, list(range(1, rank - 1)))
