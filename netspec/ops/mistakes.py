"""Warnings for mistakes that check without an error but build another network than
the one meant: an image input without its batch axis, PyTorch's argument order for
conv, and linear on a feature map.

Assumes normalised attributes and input shapes the op accepted. Guarantees OpWarnings
whose hint says the fix. Each rule is narrow on purpose (docs/language.md, warnings):
none fires on the bundled specs, the examples or the exercise solutions
(tests/test_warnings.py checks them all).
"""

from __future__ import annotations

from netspec.ops.base import Attrs, OpWarning
from netspec.values import Shape, show_shape

IMAGE_CHANNELS = (1, 3, 4)  # grey, RGB, RGBA
MIN_IMAGE_SIDE = 8
PYTORCH_KERNEL = 12  # no bundled spec uses a kernel this large (AlexNet's is 11)
PYTORCH_STRIDE = 5  # nor a stride this large


def no_batch(op: str, x: Shape) -> list[OpWarning]:
    """W-batch: `input x: [3, 32, 32]` makes conv a 1-d convolution over a batch of 3.
    Fires on a rank-3 input [c, h, w] with c a number of image channels (1, 3 or 4)
    and h = w >= 8: a square image, not a batch of sequences."""
    if len(x) != 3 or not all(isinstance(d, int) for d in x):
        return []
    c, h, w = x
    if c not in IMAGE_CHANNELS or h != w or h < MIN_IMAGE_SIDE:
        return []
    message = (
        f"{op}: the input {show_shape(x)} looks like one {h}x{w} image without its batch "
        f"axis: {op} reads it as a batch of {c} sequences of {h} channels and length {w} "
        "(a 1-d convolution)"
    )
    hint = f"give the input its batch axis first: `[N, {c}, {h}, {w}]`"
    return [OpWarning("W-batch", message, hint)]


def pytorch_order(op: str, a: Attrs, x: Shape) -> list[OpWarning]:
    """W-order: `conv(3, 16, 3)` written as PyTorch's Conv2d(in, out, kernel) is out = 3,
    kernel 16, stride 3 here. Fires when `out` equals the input's channels and the
    kernel is at least 12 or the stride at least 5 (sizes no bundled spec uses)."""
    kernel, stride = max(a["kernel"]), max(a["stride"])
    if len(x) < 3 or a["out"] != x[1] or (kernel < PYTORCH_KERNEL and stride < PYTORCH_STRIDE):
        return []
    message = (
        f"{op}: out = {a['out']} equals the input's channels, with kernel {kernel} and "
        f"stride {stride}: this looks like PyTorch's order Conv2d(in, out, kernel)"
    )
    hint = (
        f"netspec's order is {op}(out, kernel, stride) and the input's channels are "
        f"known: for Conv2d({a['out']}, {a['kernel'][0]}, {a['stride'][0]}) write "
        f"`{op}({a['kernel'][0]}, {a['stride'][0]})`"
    )
    return [OpWarning("W-order", message, hint, "out")]


def linear_on_map(op: str, a: Attrs, x: Shape, out: Shape) -> list[OpWarning]:
    """W-flatten: linear on a rank-4 or higher feature map mixes only its last axis."""
    if len(x) < 4:
        return []
    message = (
        f"{op}: on the feature map {show_shape(x)} it mixes only the last axis, at each "
        f"position: the output is {show_shape(out)}, not [{x[0]}, {a['out']}]"
    )
    hint = f"flatten first: `flatten {op}({a['out']})` (or `global_avgpool flatten`)"
    return [OpWarning("W-flatten", message, hint)]
