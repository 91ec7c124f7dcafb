"""An ONNX model whose initializers are numpy arrays: checked, streamed to a file, or
turned into an `onnx.ModelProto`.

Why: for ResNet-50, copying 100 MB of weights into protobuf messages and serialising
them again took most of an export (docs/performance.md). Protobuf's wire format is a
concatenation of fields, so the file can be written from the small model (everything
but the initializers), serialised by protobuf, with each initializer's bytes streamed
from its array in between.

Protobuf cannot hold a message of 2 GiB or more, so a larger model keeps its weights in
ONNX's external-data format (ExternalData.md in onnx's documentation): the model file
holds each large initializer's name, type and dims with `data_location` EXTERNAL and
`location`, `offset` and `length` entries, and the weights lie in a side file
`<model>.data` beside it. This happens above `threshold` bytes (2 GiB less headroom, a
setting so that tests take the path on small models), or when asked for.

Assumes `skeleton` is a valid ModelProto whose graph has no initializers, and each array
is C-contiguous of a dtype ONNX has. Guarantees :meth:`OnnxModel.chunks` yields exactly
the bytes of `self.proto().SerializeToString()` (fields in number order, proto2's
unpacked dims, little-endian raw_data, as `numpy_helper.from_array` makes them); the tests
compare the bytes. :meth:`OnnxModel.write` writes the model, and its side file when it
has one, whole or not at all (netspec/files.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from netspec.files import write_together

GRAPH = 7  # ModelProto.graph
INITIALIZER = 5  # GraphProto.initializer
RAW_DATA = 9  # TensorProto.raw_data

Chunk = bytes | memoryview

# Protobuf refuses a message of 2 GiB; the headroom leaves room for what tools add to a
# model they read (shape inference's value_info for every tensor) before saving it again.
EXTERNAL_THRESHOLD = 2**31 - 2**26
INLINE_BELOW = 1024  # bytes: smaller initializers stay in the model (onnx's size_threshold)
# Offsets of tensors over LARGE bytes are multiples of PAGE: the page size and Windows'
# allocation granularity, so that a reader can map them (ExternalData.md; onnxruntime's
# align_threshold and allocation_granularity); smaller ones are aligned to 64 bytes.
LARGE, PAGE, ALIGN = 1 << 20, 1 << 16, 64


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

    def size(self) -> int:
        """The bytes of the model as one file (:meth:`chunks`), without making them."""
        return sum(len(chunk) for chunk in self.chunks())

    def external(self, location: str) -> tuple[onnx.ModelProto, list[Chunk]]:
        """The model with its initializers of INLINE_BELOW bytes or more in the file
        `location` (relative to the model's folder), and that file's content, aligned."""
        model = onnx.ModelProto()
        model.CopyFrom(self.skeleton)
        data: list[Chunk] = []
        end = 0
        for name, array in self.initializers:
            raw = _raw(array)
            tensor = _header(name, array)
            if raw.nbytes < INLINE_BELOW:
                tensor.raw_data = raw.tobytes()
            else:
                start = _aligned(end, PAGE if raw.nbytes > LARGE else ALIGN)
                data += [bytes(start - end), raw]
                end = start + raw.nbytes
                tensor.data_location = onnx.TensorProto.EXTERNAL
                entries = {"location": location, "offset": start, "length": raw.nbytes}
                for key, value in entries.items():
                    tensor.external_data.add(key=key, value=str(value))
            model.graph.initializer.append(tensor)
        return model, data

    def write(
        self, path: str | Path, external: bool = False, threshold: int = EXTERNAL_THRESHOLD
    ) -> Path | None:
        """Write the model to `path`: with its weights in `<path>.data` when `external`
        or when the model would be over `threshold` bytes, else as one file. Both files are
        written before either replaces an existing one. Returns the side file, if any."""
        path = Path(path)
        if not external and self.size() <= threshold:
            write_together([(path, self.chunks())])
            return None
        data_path = path.with_name(path.name + ".data")
        model, data = self.external(data_path.name)
        write_together([(data_path, data), (path, model.SerializeToString())])  # model last
        return data_path

    def check(self) -> None:
        """`onnx.checker` with full_check (strict shape inference) on the model's
        structure: the parameters stand in as typed graph inputs of their shapes, so 100 MB
        of weights need not be copied to check the graph; constants that shape inference
        reads (shapes, axes, pads, scales) stay initializers. Raises what the checker
        raises, and ValueError where the rest is over protobuf's 2 GiB."""
        constants = [(n, a) for n, a in self.initializers if n not in self.params]
        size = self.skeleton.ByteSize() + sum(a.nbytes for _, a in constants)
        if size >= 2**31:  # protobuf would fail on it, saying only "Failed to serialize"
            raise ValueError(
                f"the model without its parameters (its graph and constants) takes {size:,} "
                "bytes, over protobuf's 2 GiB, which onnx.checker reads in one piece"
            )
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
    raw = _raw(array)
    header = _header(name, array).SerializeToString()
    tensor_head = header + _key(RAW_DATA) + _varint(raw.nbytes)
    size = len(tensor_head) + raw.nbytes
    return _key(INITIALIZER) + _varint(size) + tensor_head, raw


def _header(name: str, array: np.ndarray) -> onnx.TensorProto:
    """The TensorProto of `array` without its data."""
    data_type = helper.np_dtype_to_tensor_dtype(array.dtype.newbyteorder("="))
    return onnx.TensorProto(dims=array.shape, data_type=data_type, name=name)


def _raw(array: np.ndarray) -> memoryview:
    """The array's bytes, little-endian, in C order (no copy when they already are)."""
    data = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C").reshape(-1)
    return memoryview(data).cast("B")


def _aligned(offset: int, boundary: int) -> int:
    return -(-offset // boundary) * boundary


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
