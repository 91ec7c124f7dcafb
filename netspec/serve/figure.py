"""What the layer panel draws for one layer: its sliding window, output cell by output cell,
and the receptive field of its units on the network's input.

`figure_task` takes the common fields and `layer` (a path such as `C1.conv`, a statement
such as `C1`: its first layer with a window, or a block instance path), and optionally
`unit` ([row, col], the centre by default). It answers:

- `layer`, `op`, `network`, and `others`: the statement's other layers with a window;
- `window`: for a convolution, transposed convolution or pooling over a 2-D input, the
  geometry of netspec/teach/figures/geometry.py per axis (`rows`, `cols`): the canvas
  the kernel slides over (`kinds` per canvas cell: input, padding, zero, output_padding,
  beyond; `sources`: the input index a canvas cell holds, or null), and per output index
  the canvas cells its taps land on (`windows`) and the input positions they read
  (`positions`, null where a tap lands on padding or an inserted zero). The page only
  combines the two axes: output (r, c) taps rows.windows[r] x cols.windows[c]. Else
  `window` is null and `why` says why (a relu has no window);
- `field`: the receptive field (netspec/teach/figures/receptive.py) on the network's
  input: its size, stride and padding, the chosen unit's box, and per output index of
  each axis the interval [start, end) of input cells it sees (`rows`, `cols`), so the
  page can follow the animation's current cell. Null with `field_why` when unknown.

Assumes the worker bounds time and memory. Guarantees answers of bounded size: an axis
of more than MAX_AXIS canvas or output cells, or MAX_TAPS outputs x taps, is not
animated (`why` says so), so the data is at most a few MAX_TAPS numbers per axis,
whatever the input's size.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from netspec.analysis import Analysis, LayerFigures
from netspec.errors import CompileError
from netspec.ops.arith import effective_kernel
from netspec.serve import fields
from netspec.serve.answers import spec_errors
from netspec.serve.fields import BadRequest
from netspec.teach.figures import geometry as cg
from netspec.teach.question import ConvQuestion

MAX_AXIS = 4096  # canvas or output cells per axis that the page is sent
MAX_TAPS = 200_000  # output cells x kernel taps per axis: the lists of where each tap lands
MAX_OTHERS = 64  # other windowed layers of a statement the page may switch to
POOLS = {"maxpool": "max", "avgpool": "avg", "subsample": "avg"}
WINDOWED = ("conv", "partial_conv", "conv_transpose", *POOLS)
KINDS = {
    "conv": "convolution",
    "partial_conv": "partial convolution",
    "conv_transpose": "transposed convolution",
    "maxpool": "max pooling",
    "avgpool": "average pooling",
    "subsample": "subsampling",
}


def figure_task(request: dict[str, Any]) -> dict[str, Any]:
    """The window and receptive field of the layer `layer` names."""
    from netspec.teach.explain.network import UnknownLayer, choose

    name = fields.word(request, "layer")
    unit = _unit(request)
    try:
        chosen = choose(fields.analysed(request), name)
    except CompileError as exc:
        return spec_errors(exc.diagnostics)
    except UnknownLayer as exc:
        raise BadRequest(str(exc)) from None
    analysis, indices = chosen[0]
    layers = [analysis.layers[i] for i in indices]
    windowed = [layer for layer in layers if layer.op in WINDOWED]
    layer = windowed[0] if windowed else layers[-1]
    answer: dict[str, Any] = {
        "network": analysis.name,
        "asked": name,
        "layer": layer.path,
        "op": layer.op,
        "description": layer.description,
        "others": [w.path for w in windowed[1 : 1 + MAX_OTHERS]],
    }
    try:
        answer["window"], answer["why"] = window(layer), ""
    except NoWindow as exc:
        answer["window"], answer["why"] = None, str(exc)
    if not windowed and len(layers) > 1:  # a statement of relu, linear...: say it of all
        ops = ", ".join(dict.fromkeys(layer.op for layer in layers))
        answer["why"] = f"{name}'s layers ({ops}) have no sliding window"
    answer["field"], answer["field_why"] = _field(analysis, layer, unit)
    return answer


class NoWindow(ValueError):
    """The layer has no sliding window the page can animate; the message says why."""


def window(layer: LayerFigures) -> dict[str, Any]:
    """The layer's window geometry, both axes; NoWindow when there is none to draw."""
    if layer.op not in WINDOWED:
        raise NoWindow(f"{layer.path} is {layer.op}: it has no sliding window")
    x, out = layer.input_shapes[0][2:], layer.output_shape[2:]
    if len(x) != 2:
        raise NoWindow(
            f"{layer.path} slides over {len(x)} spatial axes; the panel animates 2-d inputs"
        )
    if not all(isinstance(v, int) for v in (*x, *out)):
        raise NoWindow(f"{layer.path} has symbolic spatial sizes; give the input a number")
    for axis, name in ((0, "tall"), (1, "wide")):
        side = max(_canvas(layer, axis), out[axis])
        if side > MAX_AXIS:
            raise NoWindow(
                f"{layer.path} would be {side:,} cells {name}: the panel animates at most "
                f"{MAX_AXIS:,} per axis"
            )
        taps = out[axis] * layer.attrs["kernel"][axis]
        if taps > MAX_TAPS:  # the answer lists every tap of every output, per axis
            raise NoWindow(
                f"{layer.path} has {taps:,} taps along an axis ({out[axis]:,} outputs x "
                f"kernel {layer.attrs['kernel'][axis]}): the panel animates at most "
                f"{MAX_TAPS:,}"
            )
    rows, cols = (axis_geometry(layer, axis) for axis in (0, 1))
    return {
        "kind": KINDS[layer.op],
        "transposed": layer.op == "conv_transpose",
        "input": list(x),
        "output": list(out),
        "frames": out[0] * out[1],
        "rows": _axis(layer, 0, rows),
        "cols": _axis(layer, 1, cols),
    }


def axis_geometry(layer: LayerFigures, axis: int) -> cg.AxisGeometry:
    """One axis of the canvas: geometry.py's own where the padding is symmetric (it holds
    its output against PyTorch's rule); the same cells with the padding's two sides
    where a spec pads unevenly ("same" with an even kernel, explicit pairs)."""
    a = layer.attrs
    i, o = layer.input_shapes[0][2 + axis], layer.output_shape[2 + axis]
    k, s, d = a["kernel"][axis], a["stride"][axis], a["dilation"][axis]
    before, after = a["padding"][axis]
    if before == after:
        built = cg.axis_geometry(_question(layer, axis), 0)
    else:
        reach = (o - 1) * s + effective_kernel(k, d)
        beyond = max(0, reach - (i + before + after))  # ceil-mode pooling only
        kinds = (cg.PADDING,) * before + (cg.INPUT,) * i + (cg.PADDING,) * after
        sources = (None,) * before + tuple(range(i)) + (None,) * (after + beyond)
        built = cg.AxisGeometry(
            (*kinds, *(cg.BEYOND,) * beyond), sources, tuple(j * s for j in range(o)), k, d
        )
    if built.output != o:  # the analysis is the truth; a disagreement draws nothing
        raise NoWindow(f"{layer.path}: the picture's {built.output} outputs are not {o}")
    return built


def _question(layer: LayerFigures, axis: int) -> ConvQuestion:
    """One axis of the layer as a (square) ConvQuestion, the pictures' own input."""
    a = layer.attrs

    def both(value: int) -> tuple[int, int]:
        return (value, value)

    return ConvQuestion(
        input=both(layer.input_shapes[0][2 + axis]),
        kernel=both(a["kernel"][axis]),
        stride=both(a["stride"][axis]),
        padding=both(a["padding"][axis][0]),
        dilation=both(a["dilation"][axis]),
        transposed=layer.op == "conv_transpose",
        output_padding=both(a["output_padding"][axis]) if "output_padding" in a else (0, 0),
        pool=POOLS.get(layer.op),
        ceil_mode=bool(a.get("ceil_mode", False)),
    )


def _canvas(layer: LayerFigures, axis: int) -> int:
    """Canvas cells along `axis`, in constant time (before anything is built)."""
    a = layer.attrs
    before, after = a["padding"][axis]
    if before == after:
        return cg.canvas_size(_question(layer, axis), 0)
    i, o = layer.input_shapes[0][2 + axis], layer.output_shape[2 + axis]
    reach = (o - 1) * a["stride"][axis] + effective_kernel(a["kernel"][axis], a["dilation"][axis])
    return max(i + before + after, reach)


def _axis(layer: LayerFigures, axis: int, g: cg.AxisGeometry) -> dict[str, Any]:
    a = layer.attrs
    stride = a["stride"][axis]
    transposed = layer.op == "conv_transpose"
    return {
        "input": layer.input_shapes[0][2 + axis],
        "output": g.output,
        "kernel": g.taps,
        "stride": stride,
        "dilation": g.step,
        "padding": list(a["padding"][axis]),
        "output_padding": a["output_padding"][axis] if transposed else 0,
        "zeros": stride - 1 if transposed else 0,  # inserted between input neighbours
        # transposed: zeros around the stretched input, d(k - 1) - p (< 0: it is cropped)
        "border": g.step * (g.taps - 1) - a["padding"][axis][0] if transposed else 0,
        "kinds": list(g.kinds),
        "sources": list(g.sources),
        "windows": [list(g.window(j)) for j in range(g.output)],
        "positions": [[g.sources[c] for c in g.window(j)] for j in range(g.output)],
    }


def _field(
    analysis: Analysis, layer: LayerFigures, unit: tuple[int, int] | None
) -> tuple[dict[str, Any] | None, str]:
    """The receptive field on the network's input, or None and the reason."""
    from netspec.teach.figures.receptive import ChoiceError, FigureError, field_view, show

    try:
        view = field_view(analysis, layer.path, unit)
    except ChoiceError as exc:
        raise BadRequest(str(exc)) from None
    except FigureError as exc:
        return None, str(exc)
    f = view.field
    per_index = None
    if view.output_size is not None and max(view.output_size) <= MAX_AXIS:
        per_index = [
            [[_number(x * a.stride - a.padding), _number(x * a.stride - a.padding + a.size)]
             for x in range(n)]
            for a, n in zip(f.axes, view.output_size, strict=True)
        ]  # fmt: skip
    return {
        "input": view.input_name,
        "input_size": list(view.input_size),
        "output": list(view.output_size) if view.output_size else None,
        "size": [show(Fraction(a.size)) for a in f.axes],
        "stride": [show(Fraction(a.stride)) for a in f.axes],
        "padding": [show(Fraction(a.padding)) for a in f.axes],
        "whole": f.whole,
        "unit": list(view.unit),
        "box": [[_number(v) for v in interval] for interval in view.box],
        "rows": per_index[0] if per_index else None,
        "cols": per_index[1] if per_index else None,
    }, ""


def _number(value: Fraction | int) -> int | float:
    """An input coordinate for the page: whole where it is (after upsampling a field's
    edges can fall between cells)."""
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def _unit(request: dict[str, Any]) -> tuple[int, int] | None:
    value = request.get("unit")
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise BadRequest("`unit` must be [row, col], two whole numbers")
    return (value[0], value[1])
