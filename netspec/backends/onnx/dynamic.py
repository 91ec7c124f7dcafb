"""`netspec export --dynamic-sizes`: an ONNX model whose input's spatial sizes are free.

:func:`plan` computes, for each spatial axis of the network's one input ([N, C, *S]),
the exact set of sizes it accepts (netspec.analysis.accepted: the axis varied, the other
axes as declared) and elaborates the network again at sample sizes from every accepted
region (two sizes per region, each axis alone, then all axes together). The builder
(to_onnx.build) lowers each sample too, shapes only, and :func:`same_lowering` refuses
the export (E-lower, at the layer's line) where a layer's nodes or constants differ from
those at the declared size: such a lowering bakes a size into the graph, and the model
would break at other sizes. :func:`input_shape` and :func:`output_shape` then write the
input's axes as dim_params named by axis (`H`, `W`; `L`; `D, H, W`), an axis with one
accepted size as that number, and each output axis as the input axis's name where it
equals it in every sample, as its number where it does not vary, else as
`<output>_<axis>`; no intermediate value_info is written. :func:`metadata` gives the
`netspec.accepted_sizes` property that `netspec predict` checks inputs against.

Assumes elaboration at a size is deterministic, and that the lowerings that can be
size-independent are so when `Emitter.dynamic` is set (GlobalAveragePool for an
adaptive pool to 1, Gather for channel_shuffle, Resize for a power-of-two nearest
upsample). Guarantees the refusal of a network whose accepted sizes cannot be computed
exactly, of one with several inputs and of one whose input has no spatial axis; the
samples are evidence, not proof, for sizes not sampled: a lowering that agrees at every
sample of every accepted region but differs elsewhere would go unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from netspec.errors import error
from netspec.ir import Graph, Node
from netspec.ops.arith import axis_names
from netspec.symbolic.sets import SizeSet
from netspec.syntax import ast
from netspec.values import Shape, show_shape

KEY = "netspec.accepted_sizes"
PER_REGION = 2  # samples per accepted region: a size baked in differs between two
MAX_REGIONS = 8  # accepted regions sampled per axis (each sample is one elaboration)


@dataclass(frozen=True)
class Sample:
    """The network elaborated with its input's spatial axes at `sizes`."""

    sizes: Mapping[str, int]
    graph: Graph


@dataclass(frozen=True)
class Plan:
    """What --dynamic-sizes knows of the input: its name, the names of its spatial axes,
    each axis's accepted sizes, and the samples the lowering is compared at."""

    input: str
    axes: tuple[str, ...]
    accepted: Mapping[str, SizeSet]
    samples: tuple[Sample, ...]
    described: Mapping[str, str]  # each axis's sizes as `netspec sizes` writes them

    def varies(self, axis: str) -> bool:
        """Whether the axis takes more than one size (one size stays a number)."""
        return len(_first(self.accepted[axis], 2)) > 1


def plan(
    module: ast.Module,
    graph: Graph,
    overrides: Mapping[str, object] | None,
    describe: Callable[[SizeSet], str],
) -> Plan:
    """The accepted sizes of `graph`'s input along each spatial axis and the samples;
    `describe` writes a set for people (netspec.report.accepted.describe: the report
    stage, which the backends do not import)."""
    from netspec.analysis.accepted import accepted_sizes

    name, declared = the_input(graph)
    names = axis_names(len(declared) - 2)
    accepted, regions = {}, {}
    for i, axis in enumerate(names):
        answer = accepted_sizes(module, graph.name, name, declared, (i + 2,), axis, overrides)
        if not answer.complete:
            raise error(
                "E-lower",
                f"--dynamic-sizes: the sizes {graph.name} accepts along {axis} cannot be "
                f"computed exactly ({answer.why})",
                None,
                "export at fixed sizes (without --dynamic-sizes; --input-shape picks them)",
            )
        accepted[axis] = answer.accepted
        regions[axis] = [r.sizes & answer.accepted for r in answer.regions if not r.reason]
    chosen = _sample_sizes(names, declared, regions)
    samples = tuple(Sample(s, _elaborated(module, graph, name, declared, s, overrides))
                    for s in chosen)  # fmt: skip
    return Plan(name, names, accepted, samples, {a: describe(accepted[a]) for a in names})


def the_input(graph: Graph) -> tuple[str, Shape]:
    if len(graph.inputs) != 1:
        raise error(
            "E-lower",
            f"--dynamic-sizes takes a network with one input; {graph.name} has {len(graph.inputs)}",
            None,
        )
    name, tensor = graph.inputs[0]
    shape = graph.shape(tensor)
    named = [d for d in shape[1:] if isinstance(d, str)]
    if named:  # [N, L, 512]: L is a dim_param already, and 512 is no size to vary
        raise error(
            "E-lower",
            f"--dynamic-sizes: the input {name} {show_shape(shape)} names its sizes "
            f"({', '.join(named)}): they are dynamic already",
            None,
            "export without --dynamic-sizes: the named sizes are dim_params",
        )
    if len(shape) < 3:
        raise error(
            "E-lower",
            f"--dynamic-sizes: the input {name} {show_shape(shape)} has no concrete spatial axis "
            "([N, C, H, W] has H and W)",
            None,
        )
    return name, shape


def _sample_sizes(names, declared: Shape, regions: Mapping[str, list[SizeSet]]) -> list[dict]:
    """Sizes from every accepted region of each axis (the others as declared), then the
    second size of each axis together, where an axis has one."""
    base = {axis: declared[i + 2] for i, axis in enumerate(names)}
    chosen: list[dict] = []
    together = dict(base)
    for axis in names:
        for region in regions[axis][:MAX_REGIONS]:
            for size in _first(region, PER_REGION):
                if size != base[axis]:
                    chosen.append({**base, axis: size})
                    together[axis] = size
    if together != base and together not in chosen:
        chosen.append(together)
    return chosen


def _first(sizes: SizeSet, count: int) -> list[int]:
    found: list[int] = []
    at = sizes.smallest()
    while at is not None and len(found) < count:
        found.append(at)
        at = sizes.smallest(at + 1)
    return found


def _elaborated(module, graph: Graph, name: str, declared: Shape, sizes, overrides) -> Graph:
    from netspec.elaborate.networks import elaborate
    from netspec.errors import CompileError

    shape = (*declared[:2], *sizes.values())
    moved = sum(s != d for s, d in zip(sizes.values(), declared[2:], strict=True))
    try:
        [sample] = elaborate(module, graph.name, overrides, {name: shape})
    except CompileError as exc:
        if moved < 2:  # each axis alone was accepted there: that is the analysis's word
            raise
        raise error(
            "E-lower",
            f"--dynamic-sizes: {graph.name} refuses the input {show_shape(shape)} "
            f"({exc.diagnostics[0].message}), though each axis alone accepts its size",
            None,
            "export at fixed sizes: the axes' sizes are not independent",
        ) from None
    return sample


# --- the comparison ---------------------------------------------------------------------


def same_lowering(base, other, sample: Sample, declared: Mapping[str, int]) -> None:
    """Refuse (E-lower, at the layer) the first layer whose nodes or constants at the
    sample's sizes differ from those at the declared sizes. `base` and `other` are
    Emitters that lowered the two graphs; parameters are compared by shape."""
    differs, layer = _first_difference(base, other)
    if not differs:
        return
    moved = [a for a, s in sample.sizes.items() if s != declared[a]]
    at = ", ".join(f"{a} = {sample.sizes[a]}" for a in moved)
    was = ", ".join(f"{a} = {declared[a]}" for a in moved)
    what = f"{layer.op} ({layer.path})" if layer is not None else "the graph's output"
    raise error(
        "E-lower",
        f"--dynamic-sizes: {what} lowers to a graph fixed to the input's "
        f"size: its ONNX nodes at {at} differ from those at {was} (declared), so one model "
        "cannot run at both",
        layer.span if layer is not None else None,
        "export without --dynamic-sizes, one model per size (--input-shape picks it)",
    )


def _first_difference(base, other) -> tuple[bool, Node | None]:
    """Whether a node or constant differs, and the layer of the first that does (None
    for a node after the layers)."""
    for i, (a, b) in enumerate(zip(base.nodes, other.nodes, strict=False)):
        if a.SerializeToString() != b.SerializeToString():
            return True, base.layers[i]
    if len(base.nodes) != len(other.nodes):  # one has a node more: its layer differs
        i = min(len(base.nodes), len(other.nodes))
        return True, (base.layers if i < len(base.layers) else other.layers)[i]
    consts = dict(other.initializers)
    for name, array in base.initializers:
        theirs = consts.get(name)
        if theirs is None or theirs.shape != array.shape or (
            name not in base.params and not np.array_equal(theirs, array)
        ):  # fmt: skip
            return True, _owner(base, name)
    return False, None


def _owner(em, name: str) -> Node | None:
    """The layer whose node reads the initializer `name`."""
    return next((em.layers[i] for i, n in enumerate(em.nodes) if name in n.input), None)


# --- what the model says ------------------------------------------------------------------


def input_shape(p: Plan, shape: Shape) -> list:
    """The input's shape: each axis that takes several sizes by its name."""
    return [*shape[:2], *(a if p.varies(a) else d for a, d in zip(p.axes, shape[2:], strict=True))]


def output_shape(p: Plan, name: str, shapes: list[Shape], inputs: list[Shape]) -> list:
    """An output's shape from its shapes at the declared size and at every sample
    (`inputs` the input's shapes there): a dim that never changes as it is, one that is
    always an input axis's size by that axis's name, any other `<output>_<axis>`."""
    first = shapes[0]
    own = ("", "", *axis_names(len(first) - 2)) if len(first) > 2 else ()
    dims = []
    for i, d in enumerate(first):
        seen = [s[i] for s in shapes]
        if isinstance(d, str) or len(set(seen)) == 1:
            dims.append(d)
            continue
        same = [a for j, a in enumerate(p.axes) if seen == [x[j + 2] for x in inputs]]
        dims.append(same[0] if same else f"{name}_{own[i] if i < len(own) and own[i] else i}")
    return dims


def metadata(p: Plan) -> dict[str, str]:
    """`netspec.accepted_sizes`: each axis's accepted sizes as text and as pieces
    [lo, hi, period, [residues]] (a size s is in a piece when lo <= s <= hi and
    s % period is one of the residues)."""
    value: dict[str, object] = {
        "input": p.input,
        "axes": list(p.axes),
        "square": False,  # each axis was analysed alone...
        "others_as_declared": True,  # ...with the other axes at their declared sizes
    }
    for axis in p.axes:
        value[axis] = p.described[axis]
    value["pieces"] = {
        axis: [[q.lo, q.hi, q.period, sorted(q.residues)] for q in p.accepted[axis].pieces]
        for axis in p.axes
    }
    return {KEY: json.dumps(value)}
