"""Shape ops: Flatten, Reshape (to [N, -1] = flatten; Reshape-Transpose-Reshape =
channel_shuffle), Transpose, Squeeze/Unsqueeze, Slice, Resize/Upsample.

Assumes shapes and axes stored as constants (a shape computed at run time is refused:
netspec's shapes are static). Guarantees netspec's op where it computes the same
tensor; `upsample` only for Resize modes that match PyTorch's (nearest: asymmetric with
floor; linear and cubic: half_pixel).
"""

from __future__ import annotations

import numpy as np

from netspec.frontends.imported import Stage, Symbol, Unsupported
from netspec.frontends.onnx import elementwise
from netspec.frontends.onnx.context import Context, attrs, number, refuse

Result = list[Stage] | Unsupported
RUNTIME = "its shape or axes are computed at run time (a data-dependent shape)"


def flatten(node, ctx: Context) -> Result:
    axis = attrs(node).get("axis", 1)
    if axis != 1:
        return refuse(
            node, f"Flatten(axis={axis}) keeps {axis} leading axes; netspec's flatten keeps 1"
        )
    return [ctx.stage(node, "flatten")]


def reshape(node, ctx: Context) -> Result:
    target = ctx.const(node.input[1])
    if target is None:
        return refuse(node, RUNTIME)
    target = [int(d) for d in target]
    shuffle = _channel_shuffle(node, ctx, target)
    if shuffle is not None:
        return shuffle
    shape = ctx.shape(node.input[0])
    if len(target) == 2 and target[1] == -1 and (target[0] == 0 or _batch(shape, target[0])):
        return [ctx.stage(node, "flatten")]
    if shape is not None and len(target) == 2 and (target[0] == 0 or _batch(shape, target[0])):
        rest = shape[1:]
        if all(isinstance(d, int) for d in rest) and int(np.prod(rest)) == target[1]:
            return [ctx.stage(node, "flatten")]
    return _reshape_to(node, ctx, target)


def _reshape_to(node, ctx: Context, target: list[int]) -> Result:
    """`reshape([dims])` to the inferred output shape, a size the input has by name (N)
    written by that name where it stays in place, as netspec's reshape requires."""
    before, after = ctx.shape(node.input[0]), ctx.shape(node.output[0])
    if before is None or after is None or len(after) != len(target):
        return refuse(node, f"reshape to {target}: the output's shape is not known")
    dims = []
    for i, d in enumerate(after):
        if isinstance(d, str) and (i >= len(before) or before[i] != d):
            return refuse(node, f"reshape to {target} moves the size {d!r}: netspec keeps it")
        dims.append(Symbol(d) if isinstance(d, str) else int(d))
    return [ctx.stage(node, "reshape", (tuple(dims),))]


def _batch(shape, size: int) -> bool:
    return shape is not None and len(shape) > 0 and shape[0] == size


def _channel_shuffle(node, ctx: Context, grouped: list[int]) -> list[Stage] | None:
    """[N, C, ...] -> [N, g, C/g, ...] -> swap axes 1, 2 -> [N, C, ...]: channel_shuffle(g)."""
    shape = ctx.shape(node.input[0])
    turn = ctx.only_reader(node.output[0])
    if shape is None or turn is None or turn.op_type != "Transpose" or len(grouped) < 3:
        return None
    perm = list(attrs(turn).get("perm", []))
    back = ctx.only_reader(turn.output[0])
    if perm != [0, 2, 1, *range(3, len(grouped))] or back is None or back.op_type != "Reshape":
        return None
    final = ctx.const(back.input[1])
    if final is None or len(final) != len(shape) or not isinstance(shape[1], int):
        return None
    kept = all(int(f) in (0, s) for f, s in zip(final, shape, strict=False))
    if not kept or grouped[1] * grouped[2] != shape[1]:
        return None
    ctx.skip.update((id(turn), id(back)))
    return [ctx.stage(node, "channel_shuffle", (grouped[1],), output=back.output[0])]


def transpose(node, ctx: Context) -> Result:
    perm = attrs(node).get("perm")
    if perm is None:
        return refuse(node, "no perm: it reverses the axes, batch included")
    perm = [int(p) % len(perm) for p in perm]
    folded = _channel_norm(node, ctx, perm)
    if folded is not None:
        return folded
    moved = [i for i, p in enumerate(perm) if p != i]
    if len(moved) == 2:  # two axes swapped: torch.transpose, as a spec writes it
        return [ctx.stage(node, "transpose", tuple(moved))]
    return [ctx.stage(node, "permute", (tuple(perm),))]


def _channel_norm(node, ctx: Context, perm: list[int]) -> Result | None:
    """Channels last, LayerNormalization over the last axis, channels first again (a
    channels-first layer norm, as torch.onnx writes ConvNeXt's): `layer_norm(dim=1)`."""
    rank = len(perm)
    norm = ctx.only_reader(node.output[0])
    if perm != [0, *range(2, rank), 1] or norm is None or norm.op_type != "LayerNormalization":
        return None
    back = ctx.only_reader(norm.output[0])
    if attrs(norm).get("axis", -1) % rank != rank - 1 or back is None:
        return None
    undo = (
        [int(p) % rank for p in attrs(back).get("perm", [])] if back.op_type == "Transpose" else []
    )
    if undo != [0, rank - 1, *range(1, rank - 1)]:
        return None
    stages = elementwise.layer_norm(norm, ctx, rank=rank)
    if isinstance(stages, Unsupported):
        return stages
    ctx.skip.update((id(norm), id(back)))
    (s,) = stages
    kwargs = (("dim", 1), *s.kwargs)
    return [
        s._replace(
            kwargs=kwargs, inputs=(ctx.name(node.input[0]),), output=ctx.name(back.output[0])
        )
    ]


def squeeze(node, ctx: Context) -> Result:
    axes = attrs(node).get("axes")
    if axes is None and len(node.input) > 1:
        axes = ctx.const(node.input[1])
    if axes is None or len(axes) != 1:
        return refuse(node, "netspec squeezes or unsqueezes one stated axis at a time")
    op = "squeeze" if node.op_type == "Squeeze" else "unsqueeze"
    return [ctx.stage(node, op, (int(axes[0]),))]


def gather(node, ctx: Context) -> Result:
    """Gather of a computed tensor at one stored index (`x[:, 0]`, ViT's class token
    read by torchvision's head): `slice(axis, i, end=i + 1)`, then `squeeze(axis)` where
    the index is a scalar (the axis dropped). Any other Gather reads indices that
    netspec has no op for (an embedding's is found as a pattern, sequence.py)."""
    index = ctx.const(node.input[1])
    shape = ctx.shape(node.input[0])
    if ctx.const(node.input[0]) is not None or index is None or not shape:
        return refuse(node, "computes shapes or indices at run time (a data-dependent shape)")
    if index.size != 1 or index.ndim > 1:
        return refuse(node, f"gathers {index.size} indices in {index.ndim} axes: netspec picks one")
    axis = attrs(node).get("axis", 0) % len(shape)
    i = int(index.reshape(-1)[0])
    size = shape[axis]
    if i < 0 and isinstance(size, int):
        i += size
    if i < 0 or axis == 0:
        return refuse(node, "an index counted from the end of a named size, or on the batch")
    kwargs = {"start": i or None, "end": i + 1}
    if index.ndim:  # [i]: the axis stays
        return [ctx.stage(node, "slice", (axis,), kwargs)]
    picked = f"{node.output[0]}/slice"
    return [
        ctx.stage(node, "slice", (axis,), kwargs, output=picked),
        ctx.stage(node, "squeeze", (axis,), inputs=(picked,)),
    ]


def slice_(node, ctx: Context) -> Result:
    """Slice with stored bounds, over one axis or several (ResNet's option-A shortcut,
    every other position of H and W): `slice(dim, start=, end=, step=)`, one value where
    the axes agree, else one per axis; an end past any size (ONNX's "to the end") none."""
    bounds = _slice_bounds(node, ctx)
    if isinstance(bounds, str):
        return refuse(node, bounds)
    axes, starts, ends, steps = bounds
    if any(s < 1 for s in steps):
        return refuse(node, "a step below 1: netspec slices forwards")
    ends = [None if e >= 2**31 - 1 else e for e in ends]
    kwargs = {"start": _agreed(starts, 0), "end": _agreed(ends, None)}
    kwargs["step"] = _agreed(steps, 1)
    dim = axes[0] if len(axes) == 1 else tuple(axes)
    return [ctx.stage(node, "slice", (dim,), kwargs)]


def _slice_bounds(node, ctx: Context) -> tuple[list[int], ...] | str:
    """Slice's axes, starts, ends and steps (inputs from opset 10, attributes before),
    each one value per axis, axes counted from 0; or why not."""
    a = attrs(node)
    given = [ctx.const(t) if t else None for t in node.input[1:5]]
    given += [None] * (4 - len(given))
    starts, ends, axes, steps = (
        a.get(k, v) for k, v in zip(("starts", "ends", "axes", "steps"), given, strict=True)
    )
    missing = [t for t in node.input[1:5] if t and ctx.const(t) is None]
    if starts is None or ends is None or missing:
        return "its bounds or axes are computed at run time, not stored"
    count = len(starts)
    axes = list(range(count)) if axes is None else [int(x) for x in axes]
    steps = [1] * count if steps is None else [int(x) for x in steps]
    if not len(ends) == len(axes) == len(steps) == count:
        return "its starts, ends, axes and steps differ in length"
    shape = ctx.shape(node.input[0])
    if shape is not None:
        axes = [x % len(shape) for x in axes]
    return axes, [int(x) for x in starts], [int(x) for x in ends], steps


def _agreed(values: list, default):
    """One value where every axis has the same (None when it is the op's default), else
    a tuple of them."""
    if len(set(values)) == 1:
        return None if values[0] == default else values[0]
    return tuple(values)


def resize(node, ctx: Context) -> Result:
    a = attrs(node)
    scales = _scales(node, ctx)
    if scales is None:
        return refuse(node, "its scales or sizes are computed at run time")
    if len(scales) < 3 or scales[0] != 1 or scales[1] != 1:
        return refuse(node, "it resizes the batch or channel axes")
    spatial = len(scales) - 2
    mode = a.get("mode", "nearest")
    how = a.get("coordinate_transformation_mode", "half_pixel")
    if node.op_type == "Upsample":
        how = "asymmetric" if mode == "nearest" else "align_corners"
    if mode == "nearest":
        floor = node.op_type == "Upsample" or a.get("nearest_mode") == "floor"
        if how != "asymmetric" or not floor:
            return refuse(node, "nearest with other rounding than PyTorch's (asymmetric, floor)")
        name = "nearest"
    elif how not in ("half_pixel", "pytorch_half_pixel"):
        return refuse(node, f"{how} coordinates: PyTorch's align_corners=False is half_pixel")
    elif mode == "linear":
        name = {1: "linear", 2: "bilinear", 3: "trilinear"}[spatial]
    elif mode == "cubic" and spatial == 2 and number(a.get("cubic_coeff_a", -0.75)) == -0.75:
        name = "bicubic"
    else:
        return refuse(node, f"mode {mode!r} on {spatial}-d input has no netspec upsample mode")
    factors = [int(s) if float(s).is_integer() else number(s) for s in scales[2:]]
    scale = factors[0] if len(set(factors)) == 1 else tuple(factors)
    kwargs = {"mode": None if name == "nearest" else name}
    return [ctx.stage(node, "upsample", (scale,), kwargs)]


def _scales(node, ctx: Context) -> list[float] | None:
    if node.op_type == "Upsample":
        s = attrs(node).get("scales")
        s = s if s is not None else ctx.const(node.input[1])
        return None if s is None else [float(v) for v in s]
    scales = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if scales is not None and scales.size:
        return [float(v) for v in scales]
    sizes = ctx.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    shape = ctx.shape(node.input[0])
    if sizes is None or shape is None or not all(isinstance(d, int) for d in shape[1:]):
        return None
    return [1.0] + [float(o) / float(i) for o, i in zip(sizes[1:], shape[1:], strict=False)]


TABLE = {"Flatten": flatten, "Reshape": reshape, "Transpose": transpose}
TABLE |= {"Squeeze": squeeze, "Unsqueeze": squeeze, "Slice": slice_, "Gather": gather}
TABLE |= {"Resize": resize, "Upsample": resize}
