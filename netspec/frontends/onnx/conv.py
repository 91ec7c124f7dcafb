"""Convolutions, pools and Pad: ONNX windows into `conv`, `conv_transpose`, the pools.

Assumes ONNX's attribute defaults (strides and dilations 1, pads 0, auto_pad NOTSET).
Guarantees netspec's arguments with its defaults left out: `padding` as one int, one
per axis, or `[before, after]` pairs (ONNX's pads are all befores, then all afters);
a Pad of zeros before a Conv or an AveragePool (of -inf before a MaxPool) folded into
their padding; a pool's stride written only when it is not the kernel.
"""

from __future__ import annotations

import math

import numpy as np

from netspec.frontends.imported import Stage, Unsupported, Value
from netspec.frontends.onnx.context import Context, attrs, per_dim, refuse

Result = list[Stage] | Unsupported


def padding(pads: list[int]) -> Value | None:
    """ONNX pads [b1, b2, ..., a1, a2, ...] as netspec's padding; None for none."""
    half = len(pads) // 2
    pairs = list(zip(pads[:half], pads[half:], strict=False))
    if all(b == a for b, a in pairs):
        value = per_dim([b for b, _ in pairs])
        return None if value == 0 else value
    return tuple(b if b == a else (b, a) for b, a in pairs)


def _window(node, ctx: Context, kernel: list[int]) -> tuple[str, list[int]] | str:
    """The tensor read (past a folded Pad) and the total pads; or why not."""
    a = attrs(node)
    spatial = len(kernel)
    pads = list(a.get("pads", [0] * 2 * spatial))
    source, extra = ctx.pads.get(node.input[0], (node.input[0], [0] * 2 * spatial))
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(extra):
            return "auto_pad with a Pad before it"
        pads = _same(ctx.shape(node.input[0]), kernel, a, lower=auto == "SAME_LOWER")
        if pads is None:
            return f"auto_pad={auto} on an input of unknown spatial size"
    elif auto == "VALID":
        pads = [0] * 2 * spatial
    return source, [p + e for p, e in zip(pads, extra, strict=False)]


def _same(shape, kernel, a, lower: bool) -> list[int] | None:
    if shape is None or any(not isinstance(d, int) for d in shape[2:]):
        return None
    strides = a.get("strides", [1] * len(kernel))
    dilations = a.get("dilations", [1] * len(kernel))
    before, after = [], []
    for i, k, s, d in zip(shape[2:], kernel, strides, dilations, strict=False):
        total = max((math.ceil(i / s) - 1) * s + d * (k - 1) + 1 - i, 0)
        small = total // 2
        before.append(total - small if lower else small)
        after.append(small if lower else total - small)
    return before + after


def conv(node, ctx: Context) -> Result:
    w = ctx.const(node.input[1])
    if w is None:
        return refuse(node, "its weight is computed at run time, not stored")
    a = attrs(node)
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    window = _window(node, ctx, kernel)
    if isinstance(window, str):
        return refuse(node, window)
    source, pads = window
    biased = len(node.input) > 2 and node.input[2] and node.input[2] not in ctx.no_bias
    bias = ctx.const(node.input[2]) if biased else None
    if biased and bias is None:
        return refuse(node, "its bias is computed at run time, not stored")
    spatial = len(kernel)
    kwargs = {
        "stride": _unless(per_dim(a.get("strides", [1] * spatial)), 1),
        "padding": padding(pads),
        "dilation": _unless(per_dim(a.get("dilations", [1] * spatial)), 1),
        "groups": _unless(a.get("group", 1), 1),
        "bias": None if bias is not None else False,
    }
    weights = [("weight", w)] + ([("bias", bias)] if bias is not None else [])
    args = (int(w.shape[0]), per_dim(kernel))
    return [ctx.stage(node, "conv", args, kwargs, inputs=(source,), weights=weights)]


def conv_transpose(node, ctx: Context) -> Result:
    w = ctx.const(node.input[1])
    if w is None:
        return refuse(node, "its weight is computed at run time, not stored")
    a = attrs(node)
    if "output_shape" in a or a.get("auto_pad", "NOTSET") != "NOTSET":
        return refuse(node, "output_shape/auto_pad: netspec takes explicit padding")
    pads = list(a.get("pads", [0] * 2 * (w.ndim - 2)))
    if any(b != e for b, e in zip(pads[: len(pads) // 2], pads[len(pads) // 2 :], strict=False)):
        return refuse(node, "uneven pads: PyTorch's conv_transpose pads both sides alike")
    spatial = w.ndim - 2
    bias = ctx.const(node.input[2]) if len(node.input) > 2 else None
    groups = a.get("group", 1)
    kwargs = {
        "stride": _unless(per_dim(a.get("strides", [1] * spatial)), 1),
        "padding": padding(pads),
        "output_padding": _unless(per_dim(a.get("output_padding", [0] * spatial)), 0),
        "dilation": _unless(per_dim(a.get("dilations", [1] * spatial)), 1),
        "groups": _unless(groups, 1),
        "bias": None if bias is not None else False,
    }
    weights = [("weight", w)] + ([("bias", bias)] if bias is not None else [])
    args = (int(w.shape[1]) * groups, per_dim(a.get("kernel_shape", w.shape[2:])))
    return [ctx.stage(node, "conv_transpose", args, kwargs, weights=weights)]


def pool(node, ctx: Context) -> Result:
    a = attrs(node)
    if len(node.output) > 1 and node.output[1] and ctx.readers(node.output[1]):
        return refuse(node, "its indices output is used; netspec's maxpool has none")
    kernel = list(a["kernel_shape"])
    window = _window(node, ctx, kernel)
    if isinstance(window, str):
        return refuse(node, window)
    source, pads = window
    stride = per_dim(a.get("strides", [1] * len(kernel)))
    kwargs: dict[str, Value | None] = {
        "stride": None if stride == per_dim(kernel) else stride,
        "padding": padding(pads),
        "dilation": _unless(per_dim(a.get("dilations", [1] * len(kernel))), 1),
        "ceil_mode": True if a.get("ceil_mode", 0) else None,
    }
    op = "maxpool" if node.op_type == "MaxPool" else "avgpool"
    if op == "avgpool":
        folded = node.input[0] in ctx.pads  # the Pad's zeros are real input: counted
        counted = a.get("count_include_pad", 0) or folded
        kwargs["count_include_pad"] = False if any(pads) and not counted else None
    return [ctx.stage(node, op, (per_dim(kernel),), kwargs, inputs=(source,))]


def global_pool(node, ctx: Context) -> Result:
    op = "global_avgpool" if node.op_type == "GlobalAveragePool" else "global_maxpool"
    return [ctx.stage(node, op)]


def spatial_mean(node, ctx: Context, axes: list[int] | None) -> Result | None:
    """ReduceMean (ReduceMax) over every spatial axis, as torch's dynamo exporter writes
    `AdaptiveAvgPool2d(1)`: the global pool, and a flatten where the axes are dropped;
    None for other axes."""
    shape = ctx.shape(node.input[0])
    if axes is None or shape is None or len(shape) < 3:
        return None
    if sorted(a % len(shape) for a in axes) != list(range(2, len(shape))):
        return None
    op = "global_avgpool" if node.op_type == "ReduceMean" else "global_maxpool"
    if attrs(node).get("keepdims", 1):
        return [ctx.stage(node, op)]
    pooled = node.output[0] + "_pooled"
    return [ctx.stage(node, op, output=pooled), ctx.stage(node, "flatten", inputs=(pooled,))]


def pad(node, ctx: Context) -> Result:
    a = attrs(node)
    pads = a.get("pads") if "pads" in a else ctx.const(node.input[1])
    value = a.get("value", 0.0)
    if len(node.input) > 2 and node.input[2]:
        fill = ctx.const(node.input[2])
        value = None if fill is None else float(fill.reshape(-1)[0])
    if pads is None or value is None or (len(node.input) > 3 and node.input[3]):
        return refuse(node, "its pads are computed at run time or given per axis")
    pads = [int(p) for p in pads]
    rank = len(pads) // 2
    mode = a.get("mode", "constant")
    if any(p < 0 for p in pads):
        return refuse(node, "negative pads crop: netspec's pad never crops")
    if pads[0] or pads[rank]:
        return refuse(node, "pads the batch axis")
    spatial = pads[2:rank] + pads[rank + 2 :]
    if mode == "constant" and not (pads[1] or pads[rank + 1]) and _foldable(node, ctx, value):
        ctx.pads[node.output[0]] = (node.input[0], spatial)
        return []
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}
    modes["wrap"] = "circular"
    if mode not in modes:
        return refuse(node, f"mode {mode!r} has no netspec pad mode")
    channels = (pads[1], pads[rank + 1])
    kwargs = {
        "padding": padding(spatial),
        "channels": None if channels == (0, 0) else per_dim(channels),
        "mode": None if mode == "constant" else modes[mode],
        "value": value if mode == "constant" and value != 0.0 else None,
    }
    return [ctx.stage(node, "pad", (), kwargs)]


def _foldable(node, ctx: Context, value: float) -> bool:
    """Every reader takes the Pad as its own padding: a Conv or an AveragePool of zeros,
    a MaxPool of -inf."""
    readers = ctx.readers(node.output[0])
    if not readers or node.output[0] in ctx.graph.outputs:
        return False
    for r in readers:
        a = attrs(r)
        if r.input[0] != node.output[0] or a.get("auto_pad", "NOTSET") != "NOTSET":
            return False
        if r.op_type == "Conv" and value == 0.0:
            continue
        pooled = (r.op_type == "AveragePool" and value == 0.0) or (
            r.op_type == "MaxPool" and value == -np.inf
        )
        own = a.get("pads", [])
        if not pooled or (r.op_type == "AveragePool" and any(own)):
            return False
    return True


def _unless(value: Value, default: Value) -> Value | None:
    return None if value == default else value


TABLE = {
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    "MaxPool": pool,
    "AveragePool": pool,
    "GlobalAveragePool": global_pool,
    "GlobalMaxPool": global_pool,
    "Pad": pad,
}
