"""Where a block's cost goes: the summary `netspec explain SPEC BLOCK` ends with.

For a selection of several layers (a block, a statement): every layer with weights or
multiply-adds, its share of the selection's, and how many positions each of its weights
is used at (multiply-adds per weight); then the notes that explain why the cheap
designs of MobileNet, EfficientNet, RegNetY and ShuffleNet are cheap, wherever the
selection holds one:

* a squeeze-and-excite gate (a `mul` one of whose inputs is broadcast from a [N, C, 1, 1]
  map): its convolutions act on one position, so each weight costs one multiply-add
  per sample, against H·W for the convolutions on the map (Hu et al. 2018);
* a depthwise convolution followed by a 1x1 one (depthwise separable): per position
  k²·C + C·C' multiply-adds against k²·C·C' for the full k x k convolution from C to
  C' channels, 1/C' + 1/k² of it (Howard et al. 2017, MobileNets, eq. 5);
* a channel shuffle: no parameters and no multiply-adds, only a permutation of the
  channels, which lets the next grouped convolution read every group (Zhang et al. 2018).

Assumes an Analysis and the indices `netspec.teach.explain.network.select` chose.
Guarantees a render.Block whose every number is the analysis's or the arithmetic shown.
"""

from __future__ import annotations

from math import prod

from netspec.analysis import Analysis, LayerFigures
from netspec.ops.explain.steps import Section, Step, n
from netspec.teach.explain.render import Block


def cost_block(analysis: Analysis, indices: list[int], name: str) -> Block | None:
    """The summary of the selection, or None for a single layer."""
    if len(indices) < 2:
        return None
    layers = [analysis.layers[i] for i in indices]
    macs = sum(x.cost.macs for x in layers)
    params = sum(x.counts.params for x in layers)
    total = analysis.totals.macs
    share = f"{100 * macs / total:.1f}% of the network's" if total else "none in the network"
    lines = (f"{n(params)} parameters, {n(macs)} multiply-adds ({share})",)
    sections = [("where the multiply-adds go", _by_layer(layers, macs, name))]
    notes = [*_gates(layers, name), *_separable(layers, name), *_shuffles(layers, name)]
    if notes:
        sections.append(
            ("why it is cheap", Section("what the figures above show", tuple(notes), None))
        )
    return Block(f"{analysis.name} · {name}: where the cost goes", lines, tuple(sections))


def _relative(path: str, name: str) -> str:
    return path[len(name) + 1 :] if path.startswith(name + ".") else path


def _positions(layer: LayerFigures) -> int:
    """Positions each weight is used at: the output's, per sample (a linear layer's rows)."""
    out = layer.output_shape
    dims = out[2:] if layer.op.startswith("conv") else out[1:-1]
    return prod(d for d in dims if isinstance(d, int))


def _by_layer(layers: list[LayerFigures], macs: int, name: str) -> Section:
    steps = []
    for x in (x for x in layers if x.cost.macs):
        share = f"{100 * x.cost.macs / macs:.1f}%"
        uses = _positions(x)
        note = f"{n(x.counts.params)} parameters, each weight used at {n(uses)} "
        note += "position" if uses == 1 else "positions"
        steps.append(Step(_relative(x.path, name), f"{n(x.cost.macs)} ({share})", "", note))
    rule = "the multiply-adds of each layer with weights, their share, and why so many"
    return Section(rule, tuple(steps), macs)


def _gates(layers: list[LayerFigures], name: str) -> list[Step]:
    """Squeeze-and-excite gates: a mul with an input broadcast from one position."""
    notes = []
    for gate in (x for x in layers if x.op == "mul" and len(x.output_shape) >= 3):
        spatial = [i for i, s in enumerate(gate.input_shapes) if set(s[2:]) == {1}]
        if not spatial or set(gate.output_shape[2:]) == {1}:
            continue
        prefix = f"{gate.path}.{spatial[0]}."
        inside = [x for x in layers if x.path.startswith(prefix)]
        if not inside:
            continue
        g_params = sum(x.counts.params for x in inside)
        g_macs = sum(x.cost.macs for x in inside)
        all_params = sum(x.counts.params for x in layers)
        all_macs = sum(x.cost.macs for x in layers) or 1
        positions = prod(gate.output_shape[2:])
        notes.append(
            Step(
                f"gate {_relative(prefix[:-1], name)}",
                f"{n(g_macs)} of {n(all_macs)} multiply-adds",
                f"{100 * g_macs / all_macs:.2g}%",
                f"squeeze-and-excite, {n(g_params)} of the {n(all_params)} parameters: its "
                "convolutions act on the pooled 1x1 map, each weight once per sample, where "
                f"a convolution on the map uses each weight at {n(positions)} positions",
            )
        )
    return notes


def _separable(layers: list[LayerFigures], name: str) -> list[Step]:
    """Depthwise convolutions and the 1x1 convolution that follows each."""
    notes = []
    for i, dw in enumerate(layers):
        c = dw.input_shapes[0][1] if len(dw.input_shapes[0]) >= 3 else None
        if dw.op != "conv" or c is None or c < 2 or dw.attrs.get("groups") != c:
            continue
        # the 1x1 convolution on the depthwise one's map (not a gate's on its pooled map)
        maps = (x for x in layers[i + 1 :] if x.op == "conv" and _pointwise(x))
        pw = next((x for x in maps if x.input_shapes[0] == dw.output_shape), None)
        if pw is None:
            continue
        k2, out = prod(dw.attrs["kernel"]), pw.output_shape[1]
        positions = prod(dw.output_shape[2:])
        separable = (k2 * c + c * out) * positions
        full = k2 * c * out * positions
        notes.append(
            Step(
                f"{_relative(dw.path, name)} + {_relative(pw.path, name)}",
                f"({k2}·{c} + {c}·{out})·{n(positions)} = {n(separable)} against "
                f"{k2}·{c}·{out}·{n(positions)} = {n(full)}",
                f"{full / separable:.1f}x fewer",
                f"depthwise separable: 1/{out} + 1/{k2} of a full {_kernel(dw)} convolution "
                f"from {c} to {out} channels (Howard et al. 2017, eq. 5)",
            )
        )
    return notes


def _pointwise(layer: LayerFigures) -> bool:
    return set(layer.attrs["kernel"]) == {1} and layer.attrs.get("groups") == 1


def _kernel(layer: LayerFigures) -> str:
    return "x".join(map(str, layer.attrs["kernel"]))


def _shuffles(layers: list[LayerFigures], name: str) -> list[Step]:
    notes = []
    for x in (x for x in layers if x.op == "channel_shuffle"):
        c, g = x.output_shape[1], x.attrs["groups"]
        notes.append(
            Step(
                _relative(x.path, name),
                f"{c} channels in {g} groups of {c // g}",
                "0 parameters, 0 multiply-adds",
                f"output channel j is input channel (j mod {g})·{c // g} + j div {g}: the "
                "next grouped convolution sees channels of every group (Zhang et al. 2018)",
            )
        )
    return notes
