"""ONNX lowerings of the convolutions (netspec/ops/conv.py): Conv (a connection table's
compact kernels scattered into a dense weight), ConvTranspose (PyTorch's crop written
out where onnxruntime refuses its output_padding; counted from the end for
`Emitter.dynamic`) and partial_conv (conv of the masked
input, rescaled by the mask's coverage).

Assumes normalised attributes and the analysis's shapes. Guarantees parameters named by
PyTorch's state_dict keys (`<path>.weight`, `<path>.bias`), shaped as PyTorch's.
"""

from __future__ import annotations

from math import prod

import numpy as np

from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.lowering.base import channel_view, lowers, pads
from netspec.ir import Node


def _conv_attrs(a) -> dict:
    return {
        "kernel_shape": list(a["kernel"]),
        "strides": list(a["stride"]),
        "dilations": list(a["dilation"]),
        "pads": pads(a["padding"]),
    }


@lowers("conv")
def conv(em: Emitter, node: Node, xs, ins, out, y) -> None:
    a, x, p = node.attrs, ins[0], node.path
    fan_in = x[1] // a["groups"] * prod(a["kernel"])
    if a["connect"] is None:
        w = em.param(f"{p}.weight", (a["out"], x[1] // a["groups"], *a["kernel"]), fan_in=fan_in)
    else:
        w = _table_weight(em, node, x[1])
    inputs = [x_ for x_ in (xs[0], w)]
    if a["bias"]:
        inputs.append(em.param(f"{p}.bias", (a["out"],), fan_in=fan_in))
    em.op("Conv", inputs, y, group=a["groups"], **_conv_attrs(a))


def _table_weight(em: Emitter, node: Node, in_channels: int) -> str:
    """TableConv's dense weight: `<path>.weight` holds the compact [entries, *k] kernels
    (PyTorch's parameter); a ScatterND puts entry (o, c) at [o, c] of a zero
    [out, in, *k] tensor."""
    a = node.attrs
    table = [list(row) for row in a["connect"]]
    index = [[o, c] for o, row in enumerate(table) for c in row]
    fan_in = max(len(r) for r in table) * prod(a["kernel"])
    compact = em.param(f"{node.path}.weight", (len(index), *a["kernel"]), fan_in=fan_in)
    zeros = em.const("zeros", np.zeros((len(table), in_channels, *a["kernel"])))
    return em.op("ScatterND", [zeros, em.ints("table", index), compact])


@lowers("conv_transpose")
def conv_transpose(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """ConvTranspose; with an output_padding of at least the stride (PyTorch allows it
    below the dilation; onnxruntime refuses it), the full transposed convolution, zeros
    padded after it and PyTorch's crop (a Slice), with the bias added last."""
    a, x, p = node.attrs, ins[0], node.path
    shape = (x[1], a["out"] // a["groups"], *a["kernel"])
    fan_in = a["out"] // a["groups"] * prod(a["kernel"])
    w = em.param(f"{p}.weight", shape, fan_in=fan_in)
    b = em.param(f"{p}.bias", (a["out"],), fan_in=fan_in) if a["bias"] else None
    attrs = _conv_attrs(a) | {"group": a["groups"]}
    extra = a["output_padding"]
    if all(e < s for e, s in zip(extra, a["stride"], strict=True)):
        em.op("ConvTranspose", [xs[0], w] + ([b] if b else []), y,
              output_padding=list(extra), **attrs)  # fmt: skip
        return
    # the full output, output_padding zeros after it, then PyTorch's crop
    attrs["pads"] = [0] * (2 * len(extra))
    z = em.op("ConvTranspose", [xs[0], w], **attrs)
    rank = len(out)
    z = em.op("Pad", [z, em.ints("pads", [0] * (rank + 2) + list(extra))])
    starts = [before for before, _ in a["padding"]]
    ends = [before + size for before, size in zip(starts, out[2:], strict=True)]
    if em.dynamic:  # counted from the end: the same numbers at every input size
        ends = [-after if after else 2**62 for _, after in a["padding"]]
    axes = list(range(2, rank))
    z = em.op("Slice", [z, em.ints("starts", starts), em.ints("ends", ends), em.ints("axes", axes)])
    if b:
        em.op("Add", [z, channel_view(em, b, rank)], y)
    else:
        em.op("Identity", [z], y)


@lowers("partial_conv")
def partial_conv(em: Emitter, node: Node, xs, ins, out, y) -> None:
    """backends.torch.runtime.PartialConv: conv(x * mask) * window / max(covered, 1) + bias, then
    zero where the window covers no mask."""
    a, (x, m), p = node.attrs, ins, node.path
    fan_in = x[1] // a["groups"] * prod(a["kernel"])
    w = em.param(f"{p}.weight", (a["out"], x[1] // a["groups"], *a["kernel"]), fan_in=fan_in)
    conv_ = em.op("Conv", [em.op("Mul", xs), w], group=a["groups"], **_conv_attrs(a))
    mask_sum = em.reduce("ReduceSum", xs[1], [1])
    ones = em.const("ones", np.ones((1, 1, *a["kernel"])))
    covered = em.op("Conv", [mask_sum, ones], **_conv_attrs(a))
    window = em.const("window", m[1] * prod(a["kernel"]))
    clamped = em.op("Max", [covered, em.const("one", 1.0)])
    scaled = em.op("Mul", [conv_, em.op("Div", [window, clamped])])
    if a["bias"]:
        bias = em.param(f"{p}.bias", (a["out"],), fan_in=fan_in)
        scaled = em.op("Add", [scaled, channel_view(em, bias, len(out))])
    touched = em.op("Cast", [em.op("Greater", [covered, em.const("zero", 0.0)])], to=1)
    em.op("Mul", [scaled, touched], y)
