"""What every translator reads: the graph, tensor names, aliases, and what was folded.

Assumes a :class:`netspec.frontends.onnx.read.Graph`. Guarantees identifiers for the
source's tensors (lowercase letters, digits and `_`, not starting with a digit, no
keyword or op name, each distinct), aliases for the nodes a translation drops
(Identity, an inference-time Dropout), a way for a translator to consume a later node
it fused (Sigmoid + Mul = silu) and a record of Pad nodes folded into their readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import helper

from netspec.frontends.imported import Stage, Unsupported, Value
from netspec.frontends.onnx.read import Dims, Graph, reads
from netspec.ops import REGISTRY

KEYWORDS = {"and", "as", "block", "const", "defaults", "else", "false", "from", "if"}
KEYWORDS |= {"let", "network", "none", "not", "or", "repeat", "true", "input", "output"}
KEYWORDS |= {"param"}


def identifier(raw: str, lower: bool = True) -> str:
    """`layer1.0.conv` -> `layer1_0_conv`, `/layer1/conv/Conv_output_0` -> `layer1_conv`;
    "" when nothing is left."""
    text = re.sub(r"_output_0$", "", raw)
    # torch.onnx's "/block1/conv1/Conv_2": the module path names it, the op type adds nothing
    text = re.sub(r"(?<=.)/[A-Z][A-Za-z]*(_\d+)?$", "", text) if text.startswith("/") else text
    text = text.lower() if lower else text
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text)
    text = re.sub(r"_+", "_", text).strip("_")
    if text and text[0].isdigit():
        text = "t" + text
    if text in KEYWORDS or text in REGISTRY:
        text += "_"
    return text


@dataclass
class Context:
    graph: Graph
    alias: dict[str, str] = field(default_factory=dict)  # dropped tensor -> the one it is
    skip: set[int] = field(default_factory=set)  # id() of nodes fused into an earlier one
    pads: dict[str, tuple[str, list[int]]] = field(default_factory=dict)  # folded Pads
    params: set[str] = field(default_factory=set)  # constants already made `param`s
    no_bias: set[str] = field(default_factory=set)  # computed zero biases (patterns.py)
    # node -> the stages a pattern made for it and the tensors they read (patterns.py)
    replace: dict[int, tuple[list[Stage], list[str]]] = field(default_factory=dict)
    makers: dict[str, Any] = field(default_factory=dict)  # tensor -> node, filled lazily
    _names: dict[str, str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    _readers: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in self.graph.nodes:
            for t in dict.fromkeys(reads(node)):  # a node reading x twice is one reader
                self._readers.setdefault(t, []).append(node)

    def name(self, tensor: str) -> str:
        """The identifier of a tensor (after aliases), the same at every call."""
        while tensor in self.alias:
            tensor = self.alias[tensor]
        if tensor not in self._names:
            base = identifier(tensor) or "t"
            name, k = base, 1
            while name in self._taken:
                k += 1
                name = f"{base}_{k}"
            self._taken.add(name)
            self._names[tensor] = name
        return self._names[tensor]

    def renamed(self) -> dict[str, str]:
        """Names given before an alias made them another tensor's (a pattern found
        before translation names what it reads; an Identity read there is dropped
        later): the old name -> the name now."""
        return {self._names[t]: self.name(t) for t in list(self._names) if t in self.alias}

    def const(self, tensor: str) -> np.ndarray | None:
        return self.graph.constants.get(tensor) if tensor else None

    def shape(self, tensor: str) -> Dims | None:
        while tensor in self.alias:
            tensor = self.alias[tensor]
        return self.graph.shapes.get(tensor)

    def readers(self, tensor: str) -> list[Any]:
        return self._readers.get(tensor, [])

    def only_reader(self, tensor: str):
        """The one node reading `tensor`, if it is not also a graph output (a fusion
        would hide it)."""
        readers = self.readers(tensor)
        if len(readers) != 1 or tensor in self.graph.outputs:
            return None
        return readers[0]

    def stage(self, node, op: str, args=(), kwargs=None, inputs=None, output=None, weights=()):
        """A Stage of `node`: it reads the node's first input, makes its first output,
        unless told otherwise; kwargs that are None are left out (the op's default)."""
        kw = tuple((k, v) for k, v in (kwargs or {}).items() if v is not None)
        reads = inputs if inputs is not None else (node.input[0],)
        return Stage(
            op=op,
            args=tuple(args),
            kwargs=kw,
            inputs=tuple(self.name(t) for t in reads),
            output=self.name(output or node.output[0]),
            weights=tuple(weights),
            source=node.name or node.output[0],
        )


def attrs(node) -> dict[str, Any]:
    values = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}


def refuse(node, why: str) -> Unsupported:
    return Unsupported(node.name or node.output[0], node.op_type, why)


def per_dim(values) -> Value:
    """One int when every axis agrees (netspec's shorthand), else a tuple."""
    values = [int(v) for v in values]
    return values[0] if values and len(set(values)) == 1 else tuple(values)


def number(x: float) -> float:
    """A float32 attribute as the decimal it was meant to be (9.99999975e-06 -> 1e-05)."""
    return float(f"{float(x):.6g}")
