"""Ops that change where an axis starts and ends, without weights: pad, slice and crop.

pad adds a border to the spatial dims (and, with channels=, to the channels: ResNet's
"option A" shortcut zero-pads 16 channels to 32), filled with a constant or with the
input's own border (reflect, replicate, circular, as torch.nn.functional.pad); slice keeps
start:end:step of one or more axes (Python's indices: x[:, :, ::2, ::2] is
slice([2, 3], step=2)); crop keeps the centre of the spatial dims (U-Net's skips).

Connections: none (wiring); no multiply-adds, and 0 FLOPs: copying and filling is data
movement (docs/costs.md). slice and crop are views in PyTorch; pad copies. Receptive
field: a window of extent 1 per spatial axis: output y reads input y - before (pad),
start + y step (slice) or offset + y (crop); the border modes' padded positions count as
padding, as a convolution's zeros do.

netspec is stricter than PyTorch where PyTorch would silently do something other than
what was probably meant: negative padding (use crop or slice), a slice that is empty or
whose indices lie outside the axis (PyTorch clamps). PyTorch's own limits are positioned
errors: reflect pads less than the size, circular at most the size, and the border
modes pad at most 3 dims.

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/border.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from netspec.ops import arith
from netspec.ops.base import MAGNITUDE, POINTWISE, Attrs, OpError, Param, Window, lazy, register
from netspec.ops.layout import Wiring, axis
from netspec.values import Shape, is_int, show_shape, show_value

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pair(arg: str, value: object) -> tuple[int, int]:
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2:
        raise OpError(
            "E-value",
            f"{arg} takes one number or [before, after], got {len(pair)} values",
            f"e.g. {arg}=[8, 8] (ResNet's option A: 16 to 32 channels)",
            arg,
        )
    return pair


def _border(a: Attrs, arg: str, d: int, size: object, pair: tuple[int, int]) -> None:
    """PyTorch's limits: a padded dim must be concrete; reflect pads < size, circular <=."""
    if not any(pair):
        return
    if not isinstance(size, int):
        raise OpError(
            "E-shape",
            f"pad needs a concrete size along dim {d}, got {size}",
            f"symbolic dims such as {size} cannot grow: pad a dim whose size is a number",
            arg,
        )
    mode, most = a["mode"], max(pair)
    if (mode == "reflect" and most >= size) or (mode == "circular" and most > size):
        bound = f"less than {size}" if mode == "reflect" else f"at most {size}"
        raise OpError(
            "E-value",
            f'pad: mode "{mode}" pads dim {d} of size {size} by {most}',
            f"{mode} padding must be {bound} (PyTorch's limit); pad in steps or use replicate",
            arg,
        )


@register
class Pad(Wiring):
    name = "pad"
    params = (
        Param("padding", "padding", 0, doc="int, per-dim list or [before, after] pairs"),
        Param("channels", "ints", 0, minimum=0, doc="channels added: a number or [before, after]"),
        Param("mode", "str", "constant", choices=PAD_MODES),
        Param("value", "float", 0.0, interval=MAGNITUDE, doc="the constant mode's fill"),
    )
    min_rank, max_rank = 2, 5
    summary = "pads the spatial dims (and channels=) with a constant or the border's values"
    flops_rule = "0 (a copy and a fill)"
    explain = lazy("border", "explain_pad")

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        x, padding = inputs[0], a["padding"]
        if isinstance(padding, str):
            raise OpError(
                "E-value",
                f'pad takes numbers, not "{padding}"',
                "padding=1, one per spatial dim, or [before, after] pairs",
                "padding",
            )
        rank = len(x) - 2
        if rank == 0 and padding != 0:
            raise OpError(
                "E-value",
                f"{show_shape(x)} has no spatial dims to pad",
                "pad its features with channels=[before, after]",
                "padding",
            )
        items = arith.per_dim("padding", padding, rank)
        pairs = tuple(p if isinstance(p, tuple) else (p, p) for p in items)
        channels = _pair("channels", a["channels"])
        if a["mode"] != "constant":
            if a["value"] != 0:
                raise OpError(
                    "E-value",
                    f'mode "{a["mode"]}" takes no value: it repeats the input\'s own',
                    'leave value out, or use mode="constant"',
                    "value",
                )
            if any(channels) and rank == 3:
                raise OpError(
                    "E-value",
                    f'mode "{a["mode"]}" pads at most 3 dims (PyTorch): 3 spatial and channels',
                    'pad the channels in a second pad with mode="constant"',
                    "channels",
                )
        _border(a, "channels", 1, x[1], channels)
        for d, (size, pair) in enumerate(zip(x[2:], pairs, strict=True), start=2):
            _border(a, "padding", d, size, pair)
        return {**a, "padding": pairs, "channels": channels}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x, (cb, ca) = inputs[0], a["channels"]
        spatial = (
            i + b + e if b or e else i for i, (b, e) in zip(x[2:], a["padding"], strict=True)
        )
        return (x[0], x[1] + cb + ca if cb or ca else x[1], *spatial)

    def receptive(
        self, a: Attrs, inputs: tuple[Shape, ...], out: Shape
    ) -> tuple[Window, ...] | str:
        if len(out) < 3:
            return POINTWISE
        return tuple(Window(1, 1, before) for before, _ in a["padding"])

    def describe(self, a: Attrs) -> str:
        flat, (cb, ca) = [p for pair in a["padding"] for p in pair], a["channels"]
        parts = [str(flat[0]) if len(set(flat)) == 1 else ",".join(map(str, flat))] * any(flat)
        parts += [f"channels {cb}" if cb == ca else f"channels {cb},{ca}"] * (cb + ca > 0)
        parts += (
            [a["mode"]]
            if a["mode"] != "constant"
            else [f"value {a['value']:g}"] * (a["value"] != 0)
        )
        return " ".join(["pad", *parts])


def _per_dim(arg: str, value: object, count: int) -> tuple:
    values = value if isinstance(value, tuple) else (value,) * count
    if arg == "end" and not all(v is None or is_int(v) for v in values):
        raise OpError(
            "E-type",
            f"end must be an integer, none or a list of them, got {show_value(value)}",
            "e.g. end=-1, end=none (to the end) or end=[none, 4]",
            arg,
        )
    if len(values) != count:
        raise OpError(
            "E-value",
            f"{arg} has {len(values)} values for {count} dims",
            f"give one {arg}, or one per dim of `dim`",
            arg,
        )
    return values


def _bounds(x: Shape, d: int, start: int, end: int | None, step: int) -> tuple:
    """The slice of dim d as (start, end, step), start non-negative and end non-negative
    or None (to the end); errors for what PyTorch would clamp or leave empty."""
    size = x[d]
    if not isinstance(size, int):
        if (start, end, step) == (0, None, 1):
            return 0, None, 1
        if d > 0 and 0 <= start < (end or 0):  # a sequence's first positions: x[:, 0:1]
            return start, end, step  # has one whatever L is (the batch stays whole)
        raise OpError(
            "E-shape",
            f"slice needs a concrete size along dim {d}, got {size}",
            f"a symbolic dim such as {size} is kept whole: slice a dim whose size is a number",
        )
    where = f"dim {d} of {show_shape(x)}"
    if not -size <= start < size:
        hint = f"start runs from 0 to {size - 1}, or -{size} to -1 from the end"
        raise OpError("E-value", f"slice start {start} is outside {where}", hint, "start")
    if end is not None and not -size <= end <= size:
        hint = f"end runs to {size} (or none: to the end), or from -{size} from the end"
        raise OpError("E-value", f"slice end {end} is outside {where}", hint, "end")
    # only a negative index is taken from the end (`start % size` would make a symbolic
    # size's formula pin it to the value shown: slice(1, 0, 1) on [N, L, D])
    b = start + size if start < 0 else start
    e = end + size if end is not None and end < 0 else end
    if (size if e is None else e) <= b:
        raise OpError(
            "E-value",
            f"slice of {where} from {b} to {e} is empty",
            "end must come after start (PyTorch would return an empty tensor)",
            "end",
        )
    return b, e, step


def sliced(size: int | str, span: tuple) -> int | str:
    """The size of a dim after its (start, end, step): ceil((end - start) / step)."""
    b, e, s = span
    if not isinstance(size, int) and e is None:
        return size
    return -(-((size if e is None else e) - b) // s)


@register
class Slice(Wiring):
    name = "slice"
    params = (
        Param("dim", "ints", doc="an axis, or a list of axes"),
        Param("start", "ints", 0, doc="first index, one or one per dim"),
        Param("end", "any", None, doc="index after the last (none: the end), one or one per dim"),
        Param("step", "ints", 1, minimum=1),
    )
    summary = "keeps start:end:step along dim, as x[..., start:end:step] (Python's indices)"
    view = True
    explain = lazy("border", "explain_slice")

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        x = inputs[0]
        raw = a["dim"] if isinstance(a["dim"], tuple) else (a["dim"],)
        dims = tuple(axis("dim", d, x) for d in raw)
        if len(set(dims)) != len(dims):
            raise OpError(
                "E-value", f"slice names a dim twice: {list(dims)}", "name each dim once", "dim"
            )
        per = {k: _per_dim(k, a[k], len(dims)) for k in ("start", "end", "step")}
        spans = tuple(
            _bounds(x, d, *v)
            for d, *v in zip(dims, per["start"], per["end"], per["step"], strict=True)
        )
        return {**a, "dim": dims, "spans": spans}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        out = list(inputs[0])
        for d, span in zip(a["dim"], a["spans"], strict=True):
            out[d] = sliced(out[d], span)
        return tuple(out)

    def receptive(
        self, a: Attrs, inputs: tuple[Shape, ...], out: Shape
    ) -> tuple[Window, ...] | str:
        spans = dict(zip(a["dim"], a["spans"], strict=True))
        if len(out) < 3 or not any(d >= 2 for d in spans):
            return POINTWISE
        return tuple(_cut(spans.get(d)) for d in range(2, len(out)))

    def describe(self, a: Attrs) -> str:
        spans = dict(zip(a["dim"], a["spans"], strict=True))
        index = [_index(spans.get(d)) for d in range(max(spans) + 1)]
        return f"slice [{', '.join(index)}]"


def _cut(span: tuple | None) -> Window:
    """Output y reads input start + y step."""
    return Window(1, 1, 0) if span is None else Window(1, span[2], -span[0])


def _index(span: tuple | None) -> str:
    if span is None:
        return ":"
    b, e, s = span
    return f"{b or ''}:{'' if e is None else e}" + (f":{s}" if s != 1 else "")


@register
class Crop(Wiring):
    name = "crop"
    params = (Param("size", "ints", minimum=1, doc="output size, one or one per spatial dim"),)
    min_rank = 3
    summary = "cuts the centre of the spatial dims to size (U-Net's skip connections)"
    view = True
    explain = lazy("border", "explain_crop")

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        x = arith.concrete_spatial(self.name, inputs[0])
        size = arith.per_dim("size", a["size"], len(x))
        for d, (i, s) in enumerate(zip(x, size, strict=True), start=2):
            if s > i:
                raise OpError(
                    "E-value",
                    f"crop to {s} is larger than dim {d} of {show_shape(inputs[0])} ({i})",
                    f"crop only cuts: give a size of at most {i}, or pad the smaller tensor",
                    "size",
                )
        return {
            **a,
            "size": size,
            "offsets": tuple((i - s) // 2 for i, s in zip(x, size, strict=True)),
        }

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        return (*inputs[0][:2], *a["size"])

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        return tuple(Window(1, 1, -o) for o in a["offsets"])

    def describe(self, a: Attrs) -> str:
        return "crop " + "x".join(map(str, a["size"]))
