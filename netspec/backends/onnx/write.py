"""An ONNX model whose initializers are numpy arrays: checked, streamed to a file, or
turned into an `onnx.ModelProto`.

Why: for ResNet-50, copying 100 MB of weights into protobuf messages and serialising
them again took most of an export (docs/performance.md). Protobuf's wire format is a
concatenation of fields, so the file can be written from the small model (everything
but the initializers), serialised by protobuf, with each initializer's bytes streamed
from its array in between.

Assumes `skeleton` is a valid ModelProto whose graph has no initializers, and each array
is C-contiguous of a dtype ONNX has. Guarantees :meth:`OnnxModel.chunks` yields exactly
the bytes of `self.proto().SerializeToString()` (fields in number order, proto2's
unpacked dims, little-endian raw_data, as `numpy_helper.from_array` makes them); the tests
compare the bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

GRAPH = 7  # ModelProto.graph
INITIALIZER = 5  # GraphProto.initializer
RAW_DATA = 9  # TensorProto.raw_data

Chunk = bytes | memoryview


@dataclass(frozen=True)
class OnnxModel:
    """An ONNX model with its initializers kept as (name, array), in graph order;
    `params` are the names of the network's parameters (state_dict keys)."""

    skeleton: onnx.ModelProto
    initializers: list[tuple[str, np.ndarray]]
    params: frozenset[str]

    def proto(self) -> onnx.ModelProto:
        """The whole model as one ModelProto (copies every array into protobuf)."""
        model = onnx.ModelProto()
        model.CopyFrom(self.skeleton)
        tensors = [numpy_helper.from_array(a, name) for name, a in self.initializers]
        model.graph.initializer.extend(tensors)
        return model

    def chunks(self) -> Iterator[Chunk]:
        """The serialised model, piece by piece; the arrays' data is not copied."""
        model_low, model_high = _split(self.skeleton, GRAPH)
        graph_low, graph_high = _split(self.skeleton.graph, INITIALIZER)
        tensors = [_tensor(name, array) for name, array in self.initializers]
        size = len(graph_low) + len(graph_high) + sum(len(h) + len(d) for h, d in tensors)
        yield model_low + _key(GRAPH) + _varint(size) + graph_low
        for head, data in tensors:
            yield head
            yield data
        yield graph_high + model_high

    def to_bytes(self) -> bytes:
        return b"".join(self.chunks())

    def check(self) -> None:
        """`onnx.checker` with full_check (strict shape inference) on the model's
        structure: the parameters stand in as typed graph inputs of their shapes, so 100 MB
        of weights need not be copied to check the graph; constants that shape inference
        reads (shapes, axes, pads, scales) stay initializers. Raises what the checker
        raises."""
        model = onnx.ModelProto()
        model.CopyFrom(self.skeleton)
        for name, array in self.initializers:
            if name in self.params:
                dtype = helper.np_dtype_to_tensor_dtype(array.dtype)
                model.graph.input.append(helper.make_tensor_value_info(name, dtype, array.shape))
            else:
                model.graph.initializer.append(numpy_helper.from_array(array, name))
        onnx.checker.check_model(model, full_check=True)


def _split(message, number: int) -> tuple[bytes, bytes]:
    """The message's fields numbered below `number`, and above it, each serialised:
    protobuf writes fields in number order, so low + field + high is the whole."""
    low, high = type(message)(), type(message)()
    low.CopyFrom(message)
    high.CopyFrom(message)
    for field, _ in message.ListFields():
        if field.number >= number:
            low.ClearField(field.name)
        if field.number <= number:
            high.ClearField(field.name)
    return low.SerializeToString(), high.SerializeToString()


def _tensor(name: str, array: np.ndarray) -> tuple[bytes, memoryview]:
    """One `initializer` field: its key, length and TensorProto up to raw_data's length,
    then the array's little-endian bytes."""
    data = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C").reshape(-1)
    raw = memoryview(data).cast("B")
    data_type = helper.np_dtype_to_tensor_dtype(array.dtype.newbyteorder("="))
    header = onnx.TensorProto(dims=array.shape, data_type=data_type, name=name)
    header = header.SerializeToString()
    tensor_head = header + _key(RAW_DATA) + _varint(raw.nbytes)
    size = len(tensor_head) + raw.nbytes
    return _key(INITIALIZER) + _varint(size) + tensor_head, raw


def _key(field: int) -> bytes:
    """The key of a length-delimited field (wire type 2)."""
    return _varint(field << 3 | 2)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
