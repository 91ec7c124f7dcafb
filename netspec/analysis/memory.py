"""Memory: parameter bytes, activation bytes, peak inference memory, training estimate.

Element counts come from the graph (batch 1 where the batch is symbolic, times `batch`);
bytes are elements times the chosen dtype's size, except an input of token ids (int64:
8 bytes an element) or a mask (bool: 1), whatever the dtype. The model of execution, written out
in docs/costs.md:

- every non-view layer allocates its output; the ops that declare `view` (flatten,
  reshape, identity, dropout and drop_path at inference, permute, transpose, squeeze,
  unsqueeze, slice, crop, the outputs of chunk and split) are views of their input and a
  learned tensor (`param`) is parameters: they allocate nothing;
- nothing runs in place; a tensor lives from the layer that makes it to the last layer
  that reads it (network inputs from the start, outputs to the end), and a layer's
  inputs and output are alive together: the peak is the largest such live set;
- training keeps every activation for the backward pass (the saved tensors are about
  the layer outputs plus the inputs, and what a layer keeps inside it: attention's q, k,
  v, context and heads x L x L weights, Op.internal), and adds gradients (one per
  trainable parameter) and optimizer state: SGD with momentum 1 per trainable
  parameter, Adam 2;
- a decoder (a network with causal attention) generating text keeps each causal
  attention layer's keys and values for every position of its context: the key/value
  cache, 2 x context x Dkv elements per layer and sample (Op.cache), the context being
  the input's sequence length unless `--context N` sets another for this figure alone.

These are estimates: frameworks fuse, free early, run ops in place, keep workspaces
and round allocations; the figures say what the network itself needs.
"""

from __future__ import annotations

from typing import NamedTuple

from netspec.ir import Graph
from netspec.ops import REGISTRY
from netspec.values import numel

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
OPTIMIZER_STATE = {"sgd": 1, "adam": 2}  # state tensors per trainable parameter


def activation_elements(graph: Graph) -> tuple[int, ...]:
    """New elements each layer allocates for its output (0 for views), per sample."""
    return tuple(
        0 if REGISTRY[node.op].view else numel(graph.output_shape(node)) for node in graph.nodes
    )


INPUT_BYTES = {"int64": 8, "bool": 1}  # token ids and masks, whatever the float dtype


def internal_elements(graph: Graph) -> int:
    """Elements the layers keep inside them for the backward pass (Op.internal)."""
    return sum(
        REGISTRY[n.op].internal(dict(n.attrs), graph.input_shapes(n), graph.output_shape(n))
        for n in graph.nodes
    )


def cache_elements(graph: Graph, context: int | None) -> tuple[int, int] | None:
    """(elements per sample of the key/value cache, the context they are for), or None
    for a network without causal attention; `context` None: each layer's sequence length."""
    total, lengths = 0, set()
    for n in graph.nodes:
        inputs = graph.input_shapes(n)
        if not inputs or len(inputs[0]) < 2:  # a learned tensor, a vector: no sequence
            continue
        length = inputs[0][1]
        length = length if isinstance(length, int) else 1
        span = length if context is None else context
        elements = REGISTRY[n.op].cache(dict(n.attrs), inputs, span)
        if elements:
            total, lengths = total + elements, lengths | {span}
    return (total, max(lengths)) if lengths else None


def input_bytes(graph: Graph, width: int) -> dict[int, int]:
    """Bytes per sample of each input: float ones at `width`, token ids at 8, masks at 1."""
    return {
        t: numel(graph.shape(t)) * INPUT_BYTES.get(graph.dtype(t), width) for _, t in graph.inputs
    }


def peak_bytes(graph: Graph, allocated: tuple[int, ...], width: int) -> tuple[int, int]:
    """(peak live activation bytes, index of the layer where it is reached; -1 = inputs);
    layer outputs are `width` bytes an element."""
    storage = {t: t for _, t in graph.inputs}  # tensor -> the tensor owning its storage
    size = input_bytes(graph, width)
    for node, new in zip(graph.nodes, allocated, strict=True):
        storage[node.output] = storage[node.inputs[0]] if new == 0 and node.inputs else node.output
        size.setdefault(storage[node.output], new * width)
    last_use = {s: -1 for s in size}  # an output nothing reads dies where it is made
    for index, node in enumerate(graph.nodes):
        last_use[storage[node.output]] = max(last_use[storage[node.output]], index)
        for t in node.inputs:
            last_use[storage[t]] = index
    end = len(graph.nodes)
    for _, t in graph.outputs:
        last_use[storage[t]] = end
    freed = [0] * (end + 1)
    for s, last in last_use.items():
        if last >= 0:
            freed[last] += size[s]
    live = peak = sum(size[storage[t]] for _, t in graph.inputs)
    where = -1
    for index, new in enumerate(allocated):
        live += new * width
        if live > peak:
            peak, where = live, index
        live -= freed[index]
    return peak, where


class Memory(NamedTuple):
    """Byte figures of one network for one dtype and batch size (see the module doc)."""

    dtype: str
    batch: int
    param_bytes: int
    buffer_bytes: int
    activation_bytes: int  # all layer outputs of one forward pass
    input_bytes: int
    peak_activation_bytes: int  # inference, from tensor lifetimes
    peak_layer: int  # index of the layer where the peak is reached (-1: the inputs)
    training_bytes: dict[str, int]  # optimizer -> estimate
    gradient_bytes: int
    optimizer_bytes: dict[str, int]
    internal_bytes: int = 0  # kept inside layers for the backward pass (in training_bytes)
    kv_cache_bytes: int | None = None  # decoders only: keys and values for kv_context
    kv_context: int | None = None


def memory(
    graph: Graph,
    allocated: tuple[int, ...],
    params: int,
    trainable: int,
    buffers: int,
    dtype: str = "float32",
    batch: int = 1,
    context: int | None = None,
) -> Memory:
    width = DTYPE_BYTES[dtype]
    internal = internal_elements(graph) * width * batch
    cache = cache_elements(graph, context)
    peak, where = peak_bytes(graph, allocated, width)
    inputs = sum(input_bytes(graph, width).values())
    activations = sum(allocated)
    weights = (params + buffers) * width
    gradients = trainable * width
    state = {name: n * trainable * width for name, n in OPTIMIZER_STATE.items()}
    saved = (activations * width + inputs) * batch + internal
    return Memory(
        dtype,
        batch,
        params * width,
        buffers * width,
        activations * width * batch,
        inputs * batch,
        peak * batch,
        where,
        {name: weights + gradients + s + saved for name, s in state.items()},
        gradients,
        state,
        internal,
        cache[0] * width * batch if cache else None,
        cache[1] if cache else None,
    )
