"""Block calls as ONNX model-local functions (`netspec export --functions`).

Takes the flat model that :func:`netspec.backends.onnx.to_onnx.build` made (each node's layer
recorded by the :class:`Emitter`) and folds every block call that made layers, innermost
first, into one node of a function in the domain :data:`DOMAIN`. The call node is named by
the call's path, its doc_string names the call's spec line; the function is named by the
block (`basic`, `basic_2` for a second variant) and its doc_string names the block's line.

Inside a function, names are relative to the call (`add1.0.conv1`, `add1.0.bn1/Unsqueeze`):
the stream the block starts from is `in`, a tensor argument has the argument's name, other
tensors from outside are `x1`, `x2`, .... Parameters cannot live in a function: each is an
input named by its state_dict key relative to the call (`add1.0.conv1.weight`), bound at the
call node to the model's initializer (the full key). The lowerings' constants (shapes, axes,
pads) become Constant nodes in the function, so shape inference still reads them. Calls
whose functions come out identical (same nodes, attributes, constants and relative names;
the parameters' shapes are not part of a function) share one FunctionProto.

Assumes a call's layers are contiguous in `graph.nodes` and their paths begin with the
call's path (elaboration guarantees both). Guarantees the same computation as the flat
model: only names change, and onnxruntime inlines the functions. A graph without calls
comes back unchanged (the same bytes).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnx
from onnx import helper, numpy_helper

from netspec.analysis.scopes import calls_with_layers
from netspec.backends.onnx.emit import Emitter
from netspec.ir import BlockCall, Graph

DOMAIN = "netspec.blocks"


class Entry(NamedTuple):
    """A node of the graph being folded, and the calls it lies in (outermost first)."""

    chain: tuple[str, ...]
    node: onnx.NodeProto


def with_functions(
    model: onnx.ModelProto, graph: Graph, em: Emitter, names: dict[int, str]
) -> tuple[onnx.ModelProto, list[tuple[str, np.ndarray]]]:
    """The model with its block calls as function nodes, and the initializers it keeps
    (every parameter; the constants that nodes outside the functions still read)."""
    calls = calls_with_layers(graph)
    if not calls:
        return model, em.initializers
    folder = _Folder(graph, em, names)
    entries = [
        Entry(tuple(site.path for site in layer.chain) if layer else (), node)
        for layer, node in zip(em.layers, em.nodes, strict=True)
    ]
    for call in graph.calls:  # inner calls finish first
        if call.path in calls:
            entries = folder.fold(entries, call)
    result = onnx.ModelProto()
    result.CopyFrom(model)
    del result.graph.node[:]
    result.graph.node.extend(e.node for e in entries)
    result.functions.extend(folder.functions.values())
    result.opset_import.append(helper.make_opsetid(DOMAIN, 1))
    read = {name for e in entries for name in e.node.input}
    kept = [(n, a) for n, a in em.initializers if n in em.params or n in read]
    return result, kept


class _Folder:
    """Folds calls into function nodes and keeps one FunctionProto per distinct body."""

    def __init__(self, graph: Graph, em: Emitter, names: dict[int, str]):
        self.graph, self.names, self.opset = graph, names, em.opset
        self.params = em.params
        self.constants = {n: a for n, a in em.initializers if n not in em.params}
        self.layer_of = {names[n.output]: n.path for n in graph.nodes}  # tensor -> layer
        self.graph_outputs = {name for name, _ in graph.outputs}
        self.functions: dict[bytes, onnx.FunctionProto] = {}  # body -> function

    def fold(self, entries: list[Entry], call: BlockCall) -> list[Entry]:
        """`entries` with the call's nodes replaced by one node of its function."""
        inside = [i for i, e in enumerate(entries) if call.path in e.chain]
        lo, hi = inside[0], inside[-1] + 1
        assert inside == list(range(lo, hi)), f"{call.path}'s nodes are not contiguous"
        body = [e.node for e in entries[lo:hi]]
        outside = {name for e in entries[:lo] + entries[hi:] for name in e.node.input}
        inputs, outputs, function = self._function(call, body, outside)
        node = helper.make_node(
            self._share(call.block, function), inputs, outputs, name=call.path,
            domain=DOMAIN, doc_string=_where(call.span, call.span.text()),
        )  # fmt: skip
        chain = entries[lo].chain
        return [*entries[:lo], Entry(chain[: chain.index(call.path)], node), *entries[hi:]]

    def _function(
        self, call: BlockCall, body: list[onnx.NodeProto], outside: set[str]
    ) -> tuple[list[str], list[str], onnx.FunctionProto]:
        """The call node's inputs and outputs (model names) and its function."""
        produced = [name for n in body for name in n.output]
        made = set(produced)
        read = [name for n in body for name in n.input if name and name not in made]
        read = list(dict.fromkeys(read))
        stream = self.names[call.input]
        data = sorted((r for r in read if r not in self.params and r not in self.constants),
                      key=lambda r: r != stream)  # fmt: skip
        params = [r for r in read if r in self.params]
        wanted = outside | self.graph_outputs | {self.names[call.output]}
        outputs = [name for name in produced if name in wanted]
        inner = _Names(call.path)
        args = {self.names[t]: name for name, t in call.tensor_args}
        for k, name in enumerate(data, 1):
            inner.give(name, "in" if name == stream else args.get(name, f"x{k}"))
        for name in params:
            inner.give(name, inner.relative(name))
        for name in produced:
            inner.give(name, inner.relative(self.layer_of.get(name, name)))
        nodes = self._body(body, inner)
        function = helper.make_function(
            DOMAIN, "", [inner[n] for n in data + params], [inner[n] for n in outputs], nodes,
            [helper.make_opsetid("", self.opset), helper.make_opsetid(DOMAIN, 1)],
            doc_string=_where(call.definition, _line(call.definition).rstrip(" {")),
        )  # fmt: skip
        return data + params, outputs, function

    def _body(self, body: list[onnx.NodeProto], inner: _Names) -> list[onnx.NodeProto]:
        """The nodes renamed, each constant a Constant node before its first reader."""
        nodes: list[onnx.NodeProto] = []
        for node in body:
            for name in node.input:
                if name in self.constants and name not in inner:
                    value = numpy_helper.from_array(self.constants[name])
                    local = inner.give(name, inner.relative(name))
                    nodes.append(helper.make_node("Constant", [], [local], name=local,
                                                  value=value))  # fmt: skip
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = inner.relative(node.name)
            copy.input[:] = [inner[n] if n else n for n in node.input]
            copy.output[:] = [inner[n] for n in node.output]
            nodes.append(copy)
        return nodes

    def _share(self, block: str, function: onnx.FunctionProto) -> str:
        """The name of the function identical to `function`, added if new."""
        key = function.SerializeToString(deterministic=True)
        if key not in self.functions:
            taken = {f.name for f in self.functions.values()}
            name, k = block, 1
            while name in taken:
                k += 1
                name = f"{block}_{k}"
            function.name = name
            self.functions[key] = function
        return self.functions[key].name


class _Names:
    """Model names -> names inside one call's function, unique within it."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.local: dict[str, str] = {}
        self.taken: set[str] = set()

    def relative(self, name: str) -> str:
        """`name` without the call's path in front (`layer1.basic1.add1` -> `add1`)."""
        head = self.prefix + "."
        return name[len(head) :] if name.startswith(head) else name

    def give(self, name: str, base: str) -> str:
        local, k = base, 1
        while local in self.taken:
            k += 1
            local = f"{base}_{k}"
        self.taken.add(local)
        self.local[name] = local
        return local

    def __getitem__(self, name: str) -> str:
        return self.local[name]

    def __contains__(self, name: str) -> bool:
        return name in self.local


def _where(span, text: str) -> str:
    return f"{Path(span.source.name).name}:{span.line}: {text}"


def _line(span) -> str:
    return span.source.line(span.line).strip()
