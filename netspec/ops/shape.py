"""Ops that move data without weights: flatten, reshape, upsample.

Connections: flatten and reshape are wiring (none). upsample's nearest mode copies
(none); the interpolating modes link each output unit to the 2^r input units it
blends (r = spatial rank), as the interpolation formula reads them.

Costs: flatten and reshape are views (0 FLOPs, no new memory); nearest upsampling
copies (0); the interpolating modes weigh and sum their 2^r (4^r bicubic) inputs:
2 x 2^r - 1 per output element. Receptive field: flatten and reshape of spatial axes
make it global; upsampling by f has stride 1/f (docs/costs.md).

Assumes arguments elaboration bound and type-checked against each op's `params`.
Guarantees every rule of base.Op for each op here, and the facts declared with it: its
explanation (netspec/ops/explain/shape.py), diagram `family`, `torchinfo` and `fvcore`.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, prod

from netspec.ops.base import (
    GLOBAL,
    POINTWISE,
    Attrs,
    Cost,
    Figures,
    Op,
    OpError,
    Param,
    ToolRule,
    Window,
    dim_index,
    lazy,
    no_params,
    per_element,
    register,
)
from netspec.ops.counting import NOT_COUNTED, known
from netspec.values import Shape, numel, show_shape, show_value


@register
class Flatten(Op):
    counts = no_params
    name = "flatten"
    params = (Param("start_dim", "int", 1),)
    min_rank = 1
    summary = "joins every dimension from start_dim on into one"
    connection_rule = "none (wiring)"
    cost = per_element(0)
    flops_rule = "0 (a view)"
    view = True
    explain = lazy("shape", "explain_flatten")
    family = "other"
    torchinfo = fvcore = NOT_COUNTED

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL if len(inputs[0]) >= 3 and out != inputs[0] else POINTWISE

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x, start = inputs[0], a["start_dim"]
        hint = f"choose start_dim from 0 to {len(x) - 1} (negative counts from the end)"
        start = dim_index("start_dim", start, x, hint)
        rest = x[start:]
        if not all(isinstance(d, int) for d in rest):
            raise OpError(
                "E-shape",
                f"flatten needs concrete sizes after dim {start}, got {show_shape(x)}",
                "start flattening after the symbolic dims (start_dim=1 keeps the batch dim N)",
            )
        return (*x[:start], prod(rest))

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0


def _symbol_offsets(shape: Shape) -> list[int]:
    """For each symbolic dim, the number of elements of the concrete dims before it."""
    return [numel(shape[:i]) for i, d in enumerate(shape) if isinstance(d, str)]


@register
class Reshape(Op):
    counts = no_params
    name = "reshape"
    params = (Param("dims", "dims", doc="new shape; one entry may be -1; symbols keep their dim"),)
    min_rank = 1
    summary = "gives the same elements a new shape"
    connection_rule = "none (wiring)"
    cost = per_element(0)
    flops_rule = "0 (a view)"
    view = True
    explain = lazy("shape", "explain_reshape")
    family = "other"
    torchinfo = fvcore = NOT_COUNTED

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> str:
        return GLOBAL if len(inputs[0]) >= 3 and out != inputs[0] else POINTWISE

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        dims = tuple(getattr(d, "name", d) for d in a["dims"])
        for d in dims:
            if not (
                isinstance(d, str)
                or (isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1))
            ):
                raise OpError(
                    "E-value",
                    f"reshape dims must be positive integers, -1 or symbols, got {show_value(d)}",
                    "e.g. reshape([N, 16, -1])",
                    "dims",
                )
        if dims.count(-1) > 1:
            raise OpError(
                "E-value",
                "reshape: at most one dimension may be -1",
                "give every other dimension as a number",
                "dims",
            )
        if [d for d in dims if isinstance(d, str)] != [d for d in x if isinstance(d, str)]:
            raise OpError(
                "E-shape",
                f"reshape {show_shape(dims)} must keep the symbolic dims of {show_shape(x)}",
                "write the same symbols (such as N) in the new shape",
                "dims",
            )
        total, known = numel(x), numel(tuple(d for d in dims if d != -1))
        if -1 in dims:
            if total % known:
                raise OpError(
                    "E-shape",
                    f"reshape: {total} elements do not divide into {show_shape(dims)}",
                    "the known dims must divide the element count",
                    "dims",
                )
            dims = tuple(total // known if d == -1 else d for d in dims)
        elif known != total:
            raise OpError(
                "E-shape",
                f"reshape {show_shape(x)} to {show_shape(dims)}: {total} elements vs {known}",
                "the element counts must be equal",
                "dims",
            )
        if _symbol_offsets(dims) != _symbol_offsets(x):
            raise OpError(
                "E-shape",
                f"reshape {show_shape(x)} to {show_shape(dims)} moves a symbolic dim",
                "a symbolic dim such as N keeps its place: the elements before it stay before it",
                "dims",
            )
        return dims

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        return 0


_MODES = {
    "nearest": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
}


def _interpolation(layer: Figures) -> int:
    # fvcore (flop_count.py:40-41): upsample_nearest2d 1 per output element,
    # upsample_bilinear2d 4; the 1-d, 3-d and bicubic kernels have no handle (0).
    if len(layer.output_shape) != 4 or layer.attrs["mode"] == "bicubic":
        return 0
    return known(layer.output_shape) * (1 if layer.attrs["mode"] == "nearest" else 4)


INTERPOLATION = ToolRule(
    _interpolation, lambda layer: "output elements x 1 (nearest) or 4 (bilinear); others 0"
)


@register
class Upsample(Op):
    counts = no_params
    name = "upsample"
    params = (
        Param("scale", "size", doc="factor, one or one per spatial dim"),
        Param("mode", "str", "nearest", choices=tuple(_MODES)),
    )
    min_rank, max_rank = 3, 5
    summary = "enlarges the spatial dims by a factor: out = floor(in * scale)"
    connection_rule = (
        "nearest: none (a copy); linear modes: 2^rank links per output unit (4^r bicubic)"
    )
    flops_rule = "nearest: 0 (a copy); linear modes: 2 x 2^r - 1 per output element (4^r bicubic)"
    explain = lazy("shape", "explain_upsample")
    family = "pool"  # it resamples the grid, as pooling does the other way
    torchinfo, fvcore = NOT_COUNTED, INTERPOLATION

    def cost(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> Cost:
        if a["mode"] == "nearest":
            return Cost()
        taps = (4 if a["mode"] == "bicubic" else 2) ** (len(out) - 2)
        return Cost(0, (2 * taps - 1) * numel(out))

    def receptive(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> tuple[Window, ...]:
        return tuple(_upsample_window(Fraction(str(f)), a["mode"]) for f in a["scale"])

    def normalize(self, a: Attrs, inputs: tuple[Shape, ...]) -> Attrs:
        self.check_rank(inputs)
        rank = len(inputs[0]) - 2
        if rank not in _MODES[a["mode"]]:
            fits = [m for m, ranks in _MODES.items() if rank in ranks]
            raise OpError(
                "E-value",
                f'mode "{a["mode"]}" is for {_MODES[a["mode"]][0]}-d inputs, this one is {rank}-d',
                "for this input use " + " or ".join(f'"{m}"' for m in fits),
                "mode",
            )
        scale = a["scale"] if isinstance(a["scale"], tuple) else (a["scale"],) * rank
        if len(scale) != rank:
            raise OpError(
                "E-value",
                f"scale has {len(scale)} values for a {rank}-d input",
                f"give one scale, or {rank} (one per spatial dim)",
                "scale",
            )
        return {**a, "scale": scale}

    def infer(self, a: Attrs, inputs: tuple[Shape, ...]) -> Shape:
        x = inputs[0]
        out = tuple(floor(i * s) for i, s in zip(x[2:], a["scale"], strict=True))
        if min(out) < 1:
            raise OpError(
                "E-size",
                f"upsample: floor(size x scale) gives {list(out)} for sizes {list(x[2:])}",
                "a scale below 1 shrinks the map; every output size must be at least 1",
                "scale",
            )
        return (*x[:2], *out)

    def connections(self, a: Attrs, inputs: tuple[Shape, ...], out: Shape) -> int:
        if a["mode"] == "nearest":
            return 0
        per_unit = (4 if a["mode"] == "bicubic" else 2) ** (len(out) - 2)
        return per_unit * numel(out)

    def describe(self, a: Attrs) -> str:
        scales = {show_value(s) for s in a["scale"]}
        return f"upsample x{'x'.join(sorted(scales))} {a['mode']}"


def _upsample_window(f: Fraction, mode: str) -> Window:
    """Input interval read by output y, as y / f minus a padding, over an extent.

    nearest reads floor(y / f) (PyTorch with a scale factor), which lies in
    [y/f - (p - 1)/p, y/f] for f = p/q. The interpolating modes read floor(c) .. floor(c) + 1
    (bicubic floor(c) - 1 .. floor(c) + 2) around c = (y + 1/2) / f - 1/2, a bound of
    [c - 1, c + 1] ([c - 2, c + 2]); at the borders PyTorch clamps, which only narrows it.
    """
    if mode == "nearest":
        slack = Fraction(f.numerator - 1, f.numerator)
        return Window(slack + 1, 1 / f, slack)
    reach = 2 if mode == "bicubic" else 1
    return Window(Fraction(2 * reach + 1), 1 / f, reach + Fraction(1, 2) - 1 / (2 * f))
