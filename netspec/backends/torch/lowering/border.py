"""PyTorch lowerings of the ops that change an axis's extent (netspec/ops/border.py):
the runtime's Pad (F.pad) and Slice (slice, crop).

Assumes the analysis's shapes and the normalised attributes (pad pairs per spatial dim,
slice spans resolved, crop offsets). Guarantees modules whose output shapes are the
analysis's and that hold no parameter or buffer.
"""

from __future__ import annotations

from netspec.backends.torch.lowering.base import Layer, f_pad, lowers, positional
from netspec.ir import Node
from netspec.values import Shape

positional("Pad", "pad")
positional("Slice", "spans")


@lowers("pad")
def pad(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    """F.pad's tuple covers every spatial dim, and the channels when they are padded:
    PyTorch's reflect, replicate and circular modes then pad the dims it supports."""
    a = node.attrs
    padded = any(a["channels"]) or not a["padding"]  # [N, F]: the features, even by 0
    pairs = (a["channels"], *a["padding"]) if padded else a["padding"]
    mode = f", mode={a['mode']!r}" if a["mode"] != "constant" else ""
    value = f", value={a['value']}" if a["value"] != 0 else ""
    return Layer(f"Pad({f_pad(tuple(pairs))}{mode}{value})", helpers=("Pad",))


@lowers("slice", "crop")
def slice_(node: Node, ins: tuple[Shape, ...], out: Shape) -> Layer:
    a = node.attrs
    if node.op == "crop":
        spans = {
            d: (o, o + s, 1)
            for d, (o, s) in enumerate(zip(a["offsets"], a["size"], strict=True), 2)
        }
    else:
        spans = dict(zip(a["dim"], a["spans"], strict=True))
    return Layer(f"Slice({spans})", helpers=("Slice",))
