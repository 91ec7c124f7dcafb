"""Shape arithmetic folded into constants, where the model's sizes are all known.

torch.onnx's TorchScript exporter writes a size it reads at run time (`x.shape[0]`,
`unflatten`, `scaled_dot_product_attention`'s scale and causal mask) as Shape, Gather,
Slice, Concat, Cast, Sqrt, ... nodes, even where the sizes are fixed. A netspec spec has
fixed sizes: where every input's shape is known, each such node computes one constant.
This pass computes them (a Shape from the shape inference found; any node whose inputs
are all constants by onnx's own reference evaluator), replaces them by initializers,
infers shapes again with what it learned, and repeats until nothing more folds.

Assumes a ModelProto after `onnx.shape_inference.infer_shapes`. Guarantees the same
function on the model's input shapes; a model with a symbolic input size, or without a
Shape or Size node reading a computed tensor, comes back as it was (nothing to learn;
netspec's own exports are such). Ops whose value is not a function of their inputs
(random ones) are never folded, nor outputs larger than MAX_ELEMENTS.
"""

from __future__ import annotations

import contextlib

import numpy as np
import onnx
from onnx import helper, numpy_helper

MAX_ROUNDS = 64  # a round learns the sizes of one more layer, at least
SMALL = 4096  # initializers up to this many elements can be sizes or tokens to fold
TINY = 64  # constants this small, read by a node, are sizes or axes, not weights
MAX_ELEMENTS = 1 << 16  # sizes, indices, masks: a larger result is not shape arithmetic
RANDOM = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike"}
RANDOM |= {"Multinomial", "Bernoulli", "Dropout", "If", "Loop", "Scan"}
SIZES = {"Shape", "Size"}


def folded(model):
    """The model with its shape arithmetic computed (see the module docstring). The
    rounds run on a skeleton, the large initializers made inputs of their type, so
    that shape inference does not copy the weights each round."""
    if not _fixed_inputs(model) or not _reads_sizes(model):
        return model
    skeleton = _skeleton(model)
    values: dict[str, np.ndarray] = {}
    same: dict[str, str] = {}
    for _ in range(MAX_ROUNDS):
        found = _fold_once(skeleton, set(values))
        if not found:
            break
        values.update(found)
        same.update(_same(skeleton, found))
        skeleton = _inferred(_with_constants(skeleton, found, same))
    if not values:
        return model
    return _inferred(_with_constants(model, values, same))


def _inferred(model):
    with contextlib.suppress(Exception):  # an op of an unknown domain: what was found
        model = onnx.shape_inference.infer_shapes(model)
    return model


def _skeleton(model):
    """The model with each initializer of over SMALL elements an input of its type."""
    g = model.graph
    large = [t for t in g.initializer if int(np.prod(t.dims)) > SMALL]
    typed = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in large]
    names = {t.name for t in large}
    small = [t for t in g.initializer if t.name not in names]
    graph = helper.make_graph(list(g.node), g.name, [*g.input, *typed], list(g.output), small)
    out = helper.make_model(graph, opset_imports=list(model.opset_import))
    out.ir_version = model.ir_version
    return _inferred(out)


def _fixed_inputs(model) -> bool:
    stored = {t.name for t in model.graph.initializer}
    for value in model.graph.input:
        if value.name in stored:
            continue
        dims = value.type.tensor_type.shape.dim
        if not all(d.HasField("dim_value") for d in dims):
            return False
    return True


def _reads_sizes(model) -> bool:
    return any(n.op_type in SIZES for n in model.graph.node)


def _fold_once(model, derived: set[str]) -> dict[str, np.ndarray]:
    """Every node's output that this round can compute, by tensor name: sizes, and what
    is computed from them (`derived`: the values folded so far) or from constants of at
    most TINY elements (torch's axis arithmetic). A node of larger stored tensors alone
    is not this pass's business (read.py folds the rearranged weights; a tied table
    keeps its identity), nor is one whose output shape inference does not know, or knows
    to be over MAX_ELEMENTS (it is not computed to find out)."""
    g = model.graph
    known = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    shapes = _static_shapes(g)
    found: dict[str, np.ndarray] = {}
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    outputs = {v.name for v in g.output}
    for node in g.node:
        if node.op_type == "Constant":  # a value to read, kept as it is
            known.update(zip(node.output, _evaluated(node, known, opset) or [], strict=False))
            continue
        value = _value(node, known, shapes, opset, derived | set(found))
        if value is None or outputs.intersection(node.output):
            continue
        for name, array in zip(node.output, value, strict=False):
            known[name] = found[name] = array
    return found


def _value(node, known: dict, shapes: dict, opset: int, derived: set[str]):
    """The node's outputs, if this pass computes them (see _fold_once); else None."""
    if node.domain not in ("", "ai.onnx") or node.op_type in RANDOM:
        return None
    if node.op_type in SIZES and node.input[0] in shapes:
        whole = np.array(shapes[node.input[0]], dtype=np.int64)
        if node.op_type == "Size":
            return [np.array(int(np.prod(whole)), dtype=np.int64)]
        a = {x.name: x.i for x in node.attribute}
        return [whole[a.get("start", 0) : a.get("end")]]
    inputs = [t for t in node.input if t]
    if not inputs or not all(t in known for t in inputs):
        return None
    if not derived.intersection(inputs) and any(known[t].size > TINY for t in inputs):
        return None  # the model's own stored tensors: weights, not sizes
    sizes = [shapes.get(t) for t in node.output if t]
    if any(size is None or int(np.prod(size)) > MAX_ELEMENTS for size in sizes):
        return None
    return _evaluated(node, known, opset)


def _evaluated(node, known: dict, opset: int) -> list[np.ndarray] | None:
    """The node run alone by onnx's reference evaluator on `known` values; None where it
    cannot run or gives anything but tensors of at most MAX_ELEMENTS."""
    from onnx.reference import ReferenceEvaluator

    feeds = {t: known[t] for t in node.input if t}
    try:
        ins = [helper.make_tensor_value_info(t, _elem(v), None) for t, v in feeds.items()]
        undefined = onnx.TensorProto.UNDEFINED
        outs = [helper.make_tensor_value_info(t, undefined, None) for t in node.output]
        graph = helper.make_graph([node], "fold", ins, outs)
        single = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        results = ReferenceEvaluator(single).run(None, feeds)
    except Exception:  # noqa: BLE001 (an op the evaluator lacks: the node stays a node)
        return None
    if not all(isinstance(r, np.ndarray) for r in results):
        return None  # a sequence or an optional: not a tensor to store
    return None if any(r.size > MAX_ELEMENTS for r in results) else list(results)


def _elem(array: np.ndarray) -> int:
    return helper.np_dtype_to_tensor_dtype(np.asarray(array).dtype)


def _static_shapes(g) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for value in [*g.input, *g.value_info, *g.output]:
        t = value.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shapes[value.name] = tuple(int(d.dim_value) for d in t.shape.dim)
    return shapes


def _same(model, values: dict[str, np.ndarray]) -> dict[str, str]:
    """Folded tensors that are a stored tensor itself (torch's Expand of a class token to
    a batch of 1): by that tensor's name, which names a learned tensor better."""
    stored = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    same = {}
    for node in model.graph.node:
        out = node.output[0] if len(node.output) == 1 else ""
        for t in node.input if out in values else ():
            if _equal(stored.get(t), values[out]):
                same[out] = t
                break
    return same


def _equal(a: np.ndarray | None, b: np.ndarray) -> bool:
    return a is not None and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


def _with_constants(model, values: dict[str, np.ndarray], same: dict[str, str]):
    """The model with the nodes making `values` removed, `values` as initializers, and
    the tensors in `same` read by the name of the stored tensor they equal."""
    g = model.graph
    kept = [n for n in g.node if not n.output or any(t not in values for t in n.output if t)]
    for node in kept:
        for i, t in enumerate(node.input):
            if t in same:
                node.input[i] = same[t]
    values = {k: v for k, v in values.items() if k not in same}
    stored = [numpy_helper.from_array(np.asarray(v), name) for name, v in values.items()]
    graph = helper.make_graph(
        kept, g.name, list(g.input), list(g.output), [*g.initializer, *stored]
    )
    out = helper.make_model(graph, opset_imports=list(model.opset_import))
    out.ir_version = model.ir_version
    out.functions.extend(model.functions)
    return out
