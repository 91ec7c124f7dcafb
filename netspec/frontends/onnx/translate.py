"""The ONNX graph into netspec stages: one translator per op type, in topological order.

Assumes a :class:`netspec.frontends.onnx.read.Graph`. Guarantees an
:class:`Imported` whose stages read only the graph's inputs and earlier stages'
outputs, or :class:`NotImportable` listing every node no translator takes (control
flow, shape arithmetic, an op netspec lacks, an attribute it cannot express); with
`partial`, the stages before the first such node, its outputs the tensors left unread,
and a note naming where it stopped. Nodes the outputs do not need (the shape arithmetic
behind a pattern, once replaced) are neither translated nor refused. A stage of a node
inlined from a local function keeps the calls it lay in (`Stage.scope`).
"""

from __future__ import annotations

import re

from netspec.frontends.imported import (
    Imported,
    Input,
    NotImportable,
    Stage,
    TensorName,
    Unsupported,
)
from netspec.frontends.onnx import (
    attention,
    classic,
    conv,
    elementwise,
    linear,
    merge,
    norm,
    patterns,
    recurrent,
    sequence,
    shape,
)
from netspec.frontends.onnx.context import Context, identifier, refuse
from netspec.frontends.onnx.read import Graph, reads

TABLE = {**conv.TABLE, **elementwise.TABLE, **linear.TABLE, **merge.TABLE, **shape.TABLE}
TABLE |= norm.TABLE
TABLE |= attention.TABLE | classic.TABLE | sequence.TABLE | recurrent.TABLE
# each family's patterns, found before any node is translated (after patterns.find's)
FINDERS = (attention.find, classic.find, sequence.find, recurrent.find)

EXPORTERS_DEFAULT = {"main_graph", "torch_jit", "torch-jit-export"}  # not a model's name
CONTROL = {"If", "Loop", "Scan"}
SHAPES = {"Shape", "Size", "ConstantOfShape", "Expand", "Where", "Equal", "Cast"}
SHAPES |= {"NonZero", "Range", "Tile", "TopK", "NonMaxSuppression"}


def translate(graph: Graph, source: str, partial: bool = False) -> Imported:
    ctx = Context(graph)
    inputs = tuple(Input(ctx.name(i.name), i.shape, i.dtype) for i in graph.inputs)
    stages: list[Stage] = []
    problems: list[Unsupported] = []
    live = _live(graph, ctx)
    for node in graph.nodes:
        if id(node) in ctx.skip or id(node) not in live:
            continue
        result = ctx.replace[id(node)][0] if id(node) in ctx.replace else _one(node, ctx)
        if isinstance(result, Unsupported):
            problems.append(result)
            if partial:
                break
            continue
        scope = graph.scopes.get(node.output[0], ()) if node.output else ()
        stages.extend(s._replace(scope=scope) for s in result)
    if problems and not partial:
        raise NotImportable(problems)
    stages = _renamed(stages, ctx.renamed())
    notes = _notes(graph, stages)
    outputs = tuple(ctx.name(t) for t in graph.outputs)
    if problems:
        outputs = _unread(inputs, stages)
        p = problems[0]
        notes += (f"partial import: stopped before {p.node} ({p.op_type}): {p.why}",)
    return Imported(_network_name(graph.name), inputs, outputs, tuple(stages), source, notes)


def _renamed(stages: list[Stage], stale: dict[str, str]) -> list[Stage]:
    """The stages reading each tensor by its name now (Context.renamed), in their inputs
    and in the arguments that name a tensor (`memory=`, `tied=`)."""

    def now(v):
        return TensorName(stale.get(v, v)) if isinstance(v, TensorName) else v

    return [
        s._replace(
            inputs=tuple(stale.get(t, t) for t in s.inputs),
            kwargs=tuple((k, now(v)) for k, v in s.kwargs),
        )
        for s in stages
    ]


def _live(graph: Graph, ctx: Context) -> set[int]:
    """The nodes the outputs need, once the patterns replaced what they found: the
    shape arithmetic behind a replaced node is dead."""
    patterns.find(ctx)
    for find in FINDERS:
        find(ctx)
    maker = {t: n for n in graph.nodes for t in n.output}
    live: set[int] = set()
    todo = [maker[t] for t in graph.outputs if t in maker]
    while todo:
        node = todo.pop()
        if id(node) in live:
            continue
        live.add(id(node))
        needed = reads(node)
        if id(node) in ctx.replace:
            needed = ctx.replace[id(node)][1]
        elif node.output and node.output[0] in ctx.alias:  # a pattern's alias: its input
            needed = node.input[:1]
        todo.extend(maker[t] for t in needed if t in maker)
    return live


def _one(node, ctx: Context) -> list[Stage] | Unsupported:
    if node.domain not in ("", "ai.onnx"):
        return refuse(node, f"an op of the {node.domain!r} domain")
    if node.op_type in CONTROL:
        return refuse(node, "control flow: a spec is one fixed graph")
    if node.op_type in SHAPES:
        return refuse(node, "computes shapes or indices at run time (a data-dependent shape)")
    translator = TABLE.get(node.op_type)
    if translator is None:
        return refuse(node, "no netspec op computes it")
    return translator(node, ctx)


def _unread(inputs: tuple[Input, ...], stages: list[Stage]) -> tuple[str, ...]:
    """A partial import's outputs: what its stages make and no later stage reads."""
    read = {t for s in stages for t in s.inputs}
    made = [s.output for s in stages if s.op != "param"]
    left = tuple(t for t in made if t not in read)
    return left or tuple(i.name for i in inputs)


NORMS = ("bn", "layer_norm", "group_norm", "instance_norm", "rms_norm")


def _notes(graph: Graph, stages: list[Stage]) -> tuple[str, ...]:
    """The folded-batch-norm note: where the exporter's metadata says it fused batch
    norms (torch's dynamo exporter), or where biased convolutions are the only sign (a
    model that normalises in any other way, ConvNeXt's layer norm, kept its own)."""
    if any(NETSPEC_LINE.search(n.doc_string) for n in graph.nodes):
        return ()  # netspec's own export, which never folds batch norm (docs/onnx.md)
    convs = [s for s in stages if s.op == "conv"]
    fused = sum(FUSED_BN in _rules(n) for n in graph.nodes if n.op_type == "Conv")
    if fused:
        return (
            f"batch norm arrived folded into {fused} of {len(convs)} convolutions: the "
            f"exporter's optimizer says so ({FUSED_BN}); the spec has `conv` with a bias "
            "where the source has `conv bn` (torch.onnx.export(..., dynamo=True, "
            "optimize=False) keeps batch norm)",
        )
    if any(_rules(n, "pkg.torch.onnx.") for n in graph.nodes):
        return ()  # the dynamo exporter's metadata names every fusion: there was none
    biased = [s for s in convs if any(k == "bias" for k, _ in s.weights)]
    if biased and not any(s.op in NORMS for s in stages):
        return (
            f"batch norm arrived folded into the convolutions: {len(biased)} of "
            f"{len(convs)} convolutions have biases and there is no BatchNormalization; "
            "the model may have had batch norm that an eval-mode export folded in "
            "(the spec has `conv` with a bias where the source may have `conv bn`)",
        )
    return ()


FUSED_BN = "FuseBatchNormIntoConv"  # onnxscript's rewrite rule, named in node metadata
NETSPEC_LINE = re.compile(r"\.netspec:\d+: ")  # the doc string netspec's export gives a node


def _rules(node, key: str = "pkg.onnxscript.rewriter.rule_name") -> str:
    """A node's metadata under `key` (a prefix): the rewrite rules that made it, as
    torch's dynamo exporter records them, by default."""
    props = getattr(node, "metadata_props", ())  # onnx >= 1.16
    return ", ".join(p.value for p in props if p.key.startswith(key))


def _network_name(name: str) -> str:
    if name in EXPORTERS_DEFAULT:
        return "Imported"
    text = identifier(name, lower=False)
    return text if text and text[0].isalpha() else "Imported"
