"""Graph IR -> an ONNX `ModelProto`, built directly with onnx.helper (no torch needed).

Assumes onnx is installed (the `onnx` extra). Guarantees a model of standard ONNX
operators only (the default domain) that computes what `to_torch(graph).eval()` computes:
graph inputs and outputs named as the spec's, symbolic dims as dim_params (`N`, or the
`batch` given), every layer's output tensor and main node named by its path, every
parameter an initializer named by its PyTorch state_dict key, each node's doc_string
naming its spec line, and metadata_props with the network's name, its source file, its
architecture hash and the netspec version (and `netspec.scores: negated` where the output
is an rbf layer's distances, lowest best, which `netspec predict` negates and divides
by `netspec.score_divisor`, the features they sum over, as training does; and, for a
netspec checkpoint's weights, the preprocessing it was trained with,
``netspec.preprocess.scale|fit|mean|std``, which `netspec predict` applies).

With `functions=True` each block call is one node of a model-local function (domain
`netspec.blocks`, standard operators inside; functions.py). With `dynamic` (a
dynamic.Plan, `netspec export --dynamic-sizes`) the input's spatial axes are dim_params
(`H`, `W`), the outputs' where they vary with them, the lowering is checked to be the same
at sample sizes (E-lower naming the layer otherwise), and metadata_props carry
`netspec.accepted_sizes` (dynamic.py).

:func:`build` keeps the initializers as numpy arrays (:class:`OnnxModel`), which
`netspec export` checks and streams to the file; :func:`to_onnx` gives the ModelProto.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto, helper

from netspec._version import __version__
from netspec.analysis.fingerprint import architecture_hash
from netspec.backends.onnx import dynamic as dynamic_sizes
from netspec.backends.onnx.dynamic import Plan
from netspec.backends.onnx.emit import Emitter
from netspec.backends.onnx.functions import with_functions
from netspec.backends.onnx.lowering import LOWERINGS
from netspec.backends.onnx.weights import read_weights_and_metadata
from netspec.backends.onnx.write import OnnxModel
from netspec.errors import error
from netspec.ir import Graph
from netspec.ops import REGISTRY, Op
from netspec.symbolic.plain import plain
from netspec.values import Shape

MIN_OPSET = 13  # Unsqueeze, Squeeze and ReduceSum take their axes as inputs from 13


def to_onnx(
    graph: Graph,
    weights: Mapping[str, Any] | None = None,
    *,
    opset: int = 21,
    batch: int | None = None,
    seed: int = 0,
    functions: bool = False,
    dynamic: Plan | None = None,
) -> onnx.ModelProto:
    """The network as an ONNX model. `weights` maps state_dict keys to arrays (as
    `to_torch(...).state_dict()` has them); without it, parameters are drawn from a
    numpy generator seeded with `seed`. `batch` fixes the batch dim `N`. With
    `functions`, each block call is a node of a model-local function (functions.py).
    With `dynamic` (dynamic.plan), the input's spatial sizes are dim_params."""
    return build(
        graph, weights, opset=opset, batch=batch, seed=seed, functions=functions, dynamic=dynamic
    ).proto()


def build(
    graph: Graph,
    weights: Mapping[str, Any] | None = None,
    *,
    opset: int = 21,
    batch: int | None = None,
    seed: int = 0,
    functions: bool = False,
    metadata: Mapping[str, str] | None = None,
    dynamic: Plan | None = None,
) -> OnnxModel:
    """As :func:`to_onnx`, with the initializers left as numpy arrays; `metadata` adds
    metadata_props (the preprocessing a checkpoint was trained with)."""
    graph = plain(graph)
    problem = opset_problem(opset)
    if problem:
        raise error("E-lower", f"opset {opset} is not supported: {problem}", None)
    em = Emitter(weights, seed, opset, dynamic=dynamic is not None)
    names = tensor_names(graph)
    _lower(em, graph, names, batch)
    _check_unused(em, graph)
    if dynamic is not None:
        _same_at_every_sample(em, graph, dynamic, opset, batch)
    outputs = _outputs(em, graph, names, batch, dynamic)
    inputs = [
        value_info(n, _input_shape(graph, t, batch, dynamic), graph.dtype(t))
        for n, t in graph.inputs
    ]
    body = helper.make_graph(em.nodes, graph.name, inputs, outputs)
    model = helper.make_model(
        body, producer_name="netspec", producer_version=__version__,
        opset_imports=[helper.make_opsetid("", opset)],
    )  # fmt: skip
    model.doc_string = f"{graph.name}, from {Path(graph.span.source.name).name}"
    sizes = dynamic_sizes.metadata(dynamic) if dynamic is not None else {}
    helper.set_model_props(model, {**_metadata(graph), **sizes, **(metadata or {})})
    initializers = em.initializers
    if functions:
        model, initializers = with_functions(model, graph, em, names)
    return OnnxModel(model, initializers, frozenset(em.params))


def _lower(em: Emitter, graph: Graph, names: dict[int, str], batch: int | None) -> None:
    """Every layer's nodes and constants, in order, into `em`."""
    em.used.update(names.values())
    for node in graph.nodes:
        lowering = LOWERINGS.get(node.op)
        if lowering is None:
            raise error("E-lower", f"op '{node.op}' has no ONNX lowering", node.span)
        em.begin(node)
        xs = [names[t] for t in node.inputs]
        ins = tuple(fix(graph.shape(t), batch) for t in node.inputs)
        lowering(em, node, xs, ins, fix(graph.output_shape(node), batch), names[node.output])
    em.node = None


def _same_at_every_sample(em: Emitter, graph: Graph, p: Plan, opset: int, batch) -> None:
    """Lower every sample (shapes only) and refuse a layer whose lowering differs."""
    _, declared = dynamic_sizes.the_input(graph)
    at = dict(zip(p.axes, declared[2:], strict=True))
    for sample in p.samples:
        other = Emitter(None, 0, opset, dynamic=True, draw=False)
        _lower(other, sample.graph, tensor_names(sample.graph), batch)
        dynamic_sizes.same_lowering(em, other, sample, at)


def _input_shape(graph: Graph, tensor: int, batch: int | None, p: Plan | None) -> Shape:
    shape = fix(graph.shape(tensor), batch)
    return shape if p is None else tuple(dynamic_sizes.input_shape(p, shape))


def model_for(
    graph: Graph,
    weights: str | Path | Mapping[str, Any] | None = None,
    *,
    opset: int = 21,
    batch: int | None = None,
    seed: int = 0,
    functions: bool = False,
    dynamic: Plan | None = None,
) -> OnnxModel:
    """The model of :func:`build`, `weights` given as arrays by state_dict key or as the
    path of a weights file (netspec checkpoint or state_dict .pt, .npz, .safetensors).
    Raises WeightsError for a file that cannot be used, CompileError for weights that
    do not fit the network."""
    metadata: dict[str, str] = {}
    if isinstance(weights, str | Path):
        weights, metadata = read_weights_and_metadata(weights, graph)
    return build(
        graph, weights, opset=opset, batch=batch, seed=seed, functions=functions,
        metadata=metadata, dynamic=dynamic,
    )  # fmt: skip


def opset_problem(opset: int) -> str:
    """Why netspec cannot write `opset`, or "" when it can."""
    newest = onnx.defs.onnx_opset_version()
    if MIN_OPSET <= opset <= newest:
        return ""
    return f"netspec writes opsets {MIN_OPSET} to {newest} (the installed onnx's newest)"


def _check_unused(em: Emitter, graph: Graph) -> None:
    """Weights the network has no place for are another network's: refused."""
    if em.weights is None:
        return
    # PyTorch's state_dict lists a tied weight under both layers' keys: the tied one is
    # the shared one's alias (one initializer)
    aliases = {f"{n.path}.weight" for n in graph.nodes if n.attrs.get("tied") is not None}
    unused = sorted(
        k
        for k in em.weights
        if k not in em.params and k not in aliases and not k.endswith(".num_batches_tracked")
    )
    if unused:
        raise error(
            "E-lower",
            f"{len(unused)} weights are not {graph.name}'s: {', '.join(unused[:5])}",
            None,
            "pass the state_dict of this network's PyTorch module (netspec.to_torch)",
        )


def tensor_names(graph: Graph) -> dict[int, str]:
    """Inputs by their names, each layer's output by its path, except a network output
    that a layer writes, which takes the output's name."""
    names = {t: name for name, t in graph.inputs}
    outputs: dict[int, str] = {}
    for name, t in graph.outputs:
        if t not in names:
            outputs.setdefault(t, name)
    taken = set(names.values()) | {name for name, _ in graph.outputs}
    for node in graph.nodes:
        # a path that is another tensor's name (an output named after a statement) is
        # suffixed
        own = node.path if node.path not in taken else f"{node.path}/output"
        names[node.output] = outputs.get(node.output, own)
    return names


def _outputs(em: Emitter, graph: Graph, names: dict[int, str], batch, p: Plan | None) -> list:
    """The outputs' value infos; an Identity where an output's tensor has another name
    (a network input, or a tensor that is two outputs). With `p`, the dims that vary
    with the input's size are dim_params (dynamic.output_shape)."""
    result = []
    for i, (name, t) in enumerate(graph.outputs):
        if names[t] != name:
            em.op("Identity", [names[t]], name)
        shape = fix(graph.shape(t), batch)
        if p is not None:
            graphs = [graph, *(s.graph for s in p.samples)]
            shapes = [fix(g.shape(g.outputs[i][1]), batch) for g in graphs]
            inputs = [g.shape(g.inputs[0][1]) for g in graphs]
            shape = tuple(dynamic_sizes.output_shape(p, name, shapes, inputs))
        result.append(value_info(name, shape))
    return result


def fix(shape: Shape, batch: int | None) -> Shape:
    """The shape with the batch dim `N` fixed, where a batch is given."""
    if batch is None:
        return shape
    return tuple(batch if d == "N" else d for d in shape)


ELEMENT_TYPES = {"float32": TensorProto.FLOAT, "int64": TensorProto.INT64, "bool": TensorProto.BOOL}


def value_info(name: str, shape: Shape, dtype: str = "float32") -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, ELEMENT_TYPES[dtype], list(shape))


def _metadata(graph: Graph) -> dict[str, str]:
    props = {
        "netspec.network": graph.name,
        "netspec.source": Path(graph.span.source.name).name,
        "netspec.architecture_hash": architecture_hash(graph),
        "netspec.version": __version__,
    }
    if _last_op(graph).distances:  # LeNet-5's rbf outputs distances: predict negates them
        props["netspec.scores"] = "negated"
        # and divides them by their features, as training's scores (training/losses.py)
        (_, out), *_ = graph.outputs
        node = next(n for n in graph.nodes if n.output == out)
        props["netspec.score_divisor"] = str(graph.shape(node.inputs[0])[-1])
    return props


def _last_op(graph: Graph) -> type[Op] | Op:
    """The op that makes the first output (the base Op, whose facts are all false, for an
    output that is an input)."""
    (_, tensor), *_ = graph.outputs
    producers = [n.op for n in graph.nodes if n.output == tensor]
    return REGISTRY[producers[0]] if producers else Op
