"""The ONNX graph under construction: nodes, initializers and parameters, by spec path.

An :class:`Emitter` collects the nodes and initializers that the lowerings of
:mod:`netspec.backends.onnx.lowering` make. It guarantees readable, unique names: a layer's
main node is named by its path (`C1.conv`), the helper nodes and tensors a lowering adds
are `<path>/<what>`, and the parameters are initializers named by their PyTorch
state_dict key (`C1.conv.weight`), so trained weights map 1:1. Each node's doc_string
names the spec line it comes from.

Parameters come from `weights` (state_dict key -> numpy array) when given, else from a
seeded numpy initialisation with PyTorch's shapes (not PyTorch's values); with
`draw=False` they are zero-strided stand-ins of their shapes, for a lowering that is
only compared (dynamic.py). `dynamic` asks the lowerings for their size-independent
forms (`netspec export --dynamic-sizes`). Initializers
stay numpy arrays (float32 parameters, C-contiguous; given weights are not copied when
they already are): turning 100 MB of weights into protobuf messages is most of an
export's time, so :mod:`netspec.backends.onnx.write` streams them into the file instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper

from netspec.errors import error
from netspec.ir import Node

CHUNK = 1 << 20  # values drawn at a time: 8 MB of float64 scratch, not a copy per weight


@lru_cache(maxsize=64)
def _file_name(path: str) -> str:
    """The file's name without its folder (every node's doc string has it: cached)."""
    return Path(path).name


class Emitter:
    """Collects the nodes and initializers of one ONNX graph."""

    def __init__(
        self,
        weights: Mapping[str, Any] | None,
        seed: int,
        opset: int,
        *,
        dynamic: bool = False,
        draw: bool = True,
    ):
        self.weights = weights
        # lowerings pick their size-independent form (dynamic.py compares the rest)
        self.dynamic = dynamic
        self.draw = draw  # False: parameters are zero-strided stand-ins (only shapes compared)
        self.rng = np.random.default_rng(seed)
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.layers: list[Node | None] = []  # each node's layer (None: after the layers)
        self.initializers: list[tuple[str, np.ndarray]] = []  # (name, array), in order
        self.used: set[str] = set()  # every tensor and node name given out
        self.params: set[str] = set()  # the state_dict keys the network has
        self.node: Node | None = None  # the layer being lowered
        self.count = 0
        # a joint op's later outputs (lstm's h, c), left by part 0 for the parts that
        # follow it, by (span, inputs): lowering/recurrent.py
        self.joint: dict[tuple, tuple[str, ...]] = {}

    # --- naming ----------------------------------------------------------------------

    def begin(self, node: Node) -> None:
        self.node, self.count = node, 0

    def fresh(self, what: str) -> str:
        """A new tensor or node name inside the current layer: `<path>/<what>`."""
        base = f"{self.node.path}/{what}" if self.node else what
        name, i = base, 1
        while name in self.used:
            i += 1
            name = f"{base}_{i}"
        self.used.add(name)
        return name

    def doc(self) -> str:
        if self.node is None:
            return ""
        span = self.node.span
        return f"{_file_name(span.source.name)}:{span.line}: {span.text()}"

    # --- nodes -------------------------------------------------------------------------

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        """Add one node; returns its output's name (a fresh one unless `output` is given).

        The node that writes the layer's output is named by the layer's path."""
        out = output or self.fresh(op_type)
        if output is not None:
            self.used.add(output)
        name = self.node.path if (output is not None and self.node) else out
        attrs = {k: v for k, v in attrs.items() if v is not None}
        node = helper.make_node(op_type, inputs, [out], name=name, doc_string=self.doc(), **attrs)
        self.nodes.append(node)
        self.layers.append(self.node)
        return out

    def outputs(self, op_type: str, inputs: list[str], count: int, **attrs) -> list[str]:
        """Add one node with `count` outputs (ONNX's LSTM: Y, Y_h, Y_c), fresh names."""
        outs = [self.fresh(f"{op_type}_{k}") for k in range(count)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        name = self.fresh(op_type)
        node = helper.make_node(op_type, inputs, outs, name=name, doc_string=self.doc(), **attrs)
        self.nodes.append(node)
        self.layers.append(self.node)
        return outs

    def reduce(self, op_type: str, x: str, axes: list[int], output: str | None = None,
               keepdims: int = 1) -> str:  # fmt: skip
        """A Reduce node: `axes` an input from opset 18 (ReduceSum: 13), else an attribute."""
        if self.opset >= (13 if op_type == "ReduceSum" else 18):
            return self.op(op_type, [x, self.ints("axes", axes)], output, keepdims=keepdims)
        return self.op(op_type, [x], output, axes=axes, keepdims=keepdims)

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        return self.op("Unsqueeze", [x, self.ints("axes", axes)])

    def const(self, what: str, value: Any, dtype: Any = np.float32) -> str:
        """A constant initializer `<path>/<what>`."""
        name = self.fresh(what)
        self.initializers.append((name, np.asarray(value, dtype=dtype, order="C")))
        return name

    def ints(self, what: str, values: Any) -> str:
        return self.const(what, values, np.int64)

    # --- parameters --------------------------------------------------------------------

    def param(
        self,
        key: str,
        shape: tuple[int, ...],
        init: str | float | np.ndarray = "uniform",
        fan_in: float = 1,
    ) -> str:
        """The parameter or buffer `key` (a state_dict key) as an initializer named `key`;
        "uniform" draws from +-1/sqrt(fan_in), PyTorch's default bound; a number fills it;
        an array is the value (a fixed table).
        A key asked for again (a tied weight) is the same initializer."""
        self.used.add(key)
        if key in self.params:
            return key
        self.params.add(key)
        if not self.draw:  # no memory: a sample's lowering is compared by shapes only
            self.initializers.append((key, np.broadcast_to(np.float32(0), shape)))
            return key
        if self.weights is not None:
            array = self._given(key, shape)
        else:
            array = self._initial(shape, init, fan_in)
        self.initializers.append((key, np.asarray(array, dtype=np.float32, order="C")))
        return key

    def _given(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        if key not in self.weights:
            raise error("E-lower", f"the weights have no '{key}' (shape {list(shape)})", None)
        array = np.asarray(self.weights[key], dtype=np.float32)
        if tuple(array.shape) != tuple(shape):
            raise error(
                "E-lower",
                f"'{key}' has shape {list(array.shape)}; the network needs {list(shape)}",
                None,
            )
        return array

    def _initial(
        self, shape: tuple[int, ...], init: str | float | np.ndarray, fan_in: float
    ) -> np.ndarray:
        if isinstance(init, np.ndarray):
            return init
        if isinstance(init, float):  # a learned tensor's start value (`param`)
            return np.full(shape, init, np.float32)
        if init == "ones":
            return np.ones(shape, np.float32)
        if init == "quarter":  # PReLU's slope
            return np.full(shape, 0.25, np.float32)
        if init == "zeros":
            return np.zeros(shape, np.float32)
        if init == "codes":  # RBF centres: random +-1 codes
            return self._drawn(shape, lambda n: self.rng.integers(0, 2, n)) * 2 - 1
        bound = 1 / fan_in**0.5 if fan_in > 0 else 1.0
        return self._drawn(shape, lambda n: self.rng.uniform(-bound, bound, n))

    def _drawn(self, shape: tuple[int, ...], draw: Callable[[int], np.ndarray]) -> np.ndarray:
        """`draw(size)` of the whole shape as float32, drawn CHUNK values at a time: a
        1 GB weight needs 1 GB, not 3 (its float64 draw and the float32 copy). The
        generator's stream is read in the same order, so the values are those of one
        draw of the whole shape (tests/test_onnx_external.py compares them)."""
        out = np.empty(math.prod(shape), np.float32)
        for start in range(0, out.size, CHUNK):
            stop = min(start + CHUNK, out.size)
            out[start:stop] = draw(stop - start)
        return out.reshape(shape)
