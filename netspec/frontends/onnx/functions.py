"""ONNX model-local functions inlined, each inlined node remembering the calls it came from.

`netspec export --functions` writes each block call as one node of a local function
(docs/onnx.md §7): the call node is named by the call's path (`layer2`), names inside the
function are relative to the call (`basic1.add1.0.conv1`), and the weights are function
inputs bound at the call to the model's initializers. Inlining a call renames each inner
tensor and node to `<call path>.<inner name>` and binds the function's inputs and outputs
to the call's: the flat model's names come back, and the nodes read the initializers.

Assumes functions whose bodies are nodes of standard operators or calls of other local
functions (a call of a function not in the model stays, for the translator to refuse).
Guarantees a model without local function calls (the same object where it had none), and
the scope of every inlined node, by its first output: the calls it lies in, outermost
first, as (function name, call path). A function with attributes is inlined by onnx's
own inliner instead, without scopes (its attribute references need onnx to resolve).
"""

from __future__ import annotations

import onnx

Scope = tuple[tuple[str, str], ...]  # (function, call path), outermost first


def inline(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, Scope]]:
    """The model with its local function calls inlined, and each inlined node's scope."""
    functions = {(f.domain, f.name): f for f in model.functions}
    if not any((n.domain, n.op_type) in functions for n in model.graph.node):
        return model, {}
    if any(f.attribute or f.attribute_proto for f in functions.values()):
        from onnx import inliner

        return inliner.inline_local_functions(model), {}
    nodes: list[onnx.NodeProto] = []
    scopes: dict[str, Scope] = {}
    paths: set[str] = set()  # call paths given: each prefixes its tensors, so each is new

    def expand(node: onnx.NodeProto, scope: Scope) -> None:
        function = functions.get((node.domain, node.op_type))
        if function is None:
            nodes.append(node)
            if scope and node.output:
                scopes[node.output[0]] = scope
            return
        path = base = node.name or node.output[0]
        while path in paths:  # another exporter's calls may share a name, or have none
            path = f"{base}_{len(paths)}"
        paths.add(path)
        bound = dict(zip(function.input, node.input, strict=False))
        bound.update(zip(function.output, node.output, strict=False))
        for inner in function.node:
            copy = onnx.NodeProto()
            copy.CopyFrom(inner)
            copy.input[:] = [bound.get(t, f"{path}.{t}") if t else t for t in inner.input]
            copy.output[:] = [bound.get(t, f"{path}.{t}") if t else t for t in inner.output]
            copy.name = f"{path}.{inner.name}" if inner.name else ""
            expand(copy, (*scope, (function.name, path)))

    for node in model.graph.node:
        expand(node, ())
    flat = onnx.ModelProto()
    flat.CopyFrom(model)
    del flat.graph.node[:]
    flat.graph.node.extend(nodes)
    del flat.functions[:]
    domains = {f.domain for f in functions.values()}
    kept = [o for o in flat.opset_import if o.domain not in domains]
    del flat.opset_import[:]
    flat.opset_import.extend(kept)
    return flat, scopes
