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
  the layer outputs plus the inputs), and adds gradients (one per trainable parameter)
  and optimizer state: SGD with momentum 1 per trainable parameter, Adam 2.

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


def memory(
    graph: Graph,
    allocated: tuple[int, ...],
    params: int,
    trainable: int,
    buffers: int,
    dtype: str = "float32",
    batch: int = 1,
) -> Memory:
    width = DTYPE_BYTES[dtype]
    peak, where = peak_bytes(graph, allocated, width)
    inputs = sum(input_bytes(graph, width).values())
    activations = sum(allocated)
    weights = (params + buffers) * width
    gradients = trainable * width
    state = {name: n * trainable * width for name, n in OPTIMIZER_STATE.items()}
    saved = (activations * width + inputs) * batch
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
    )
