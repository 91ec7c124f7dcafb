"""Layers that are not one stage's one output: the outputs of an op that makes several
(`a, b = chunk(2)`) and a learned tensor (`param gamma: [96, 1, 1] = 1e-6`), both for
:mod:`netspec.elaborate.statements`.

Assumes the :class:`~netspec.elaborate.stages.Stages` of the network (its argument
binding and `apply`) and its state. Guarantees one layer per output, each at its name's
path with `part` its index in the attributes, after checking that the names are as
many as the outputs; a learned tensor's layer with no input, its tensor recorded in
`state.learned` (merges broadcast it: netspec/ops/merge.py); positioned errors, and
the layer limit, as for any stage.
"""

from __future__ import annotations

from netspec.elaborate.evaluate import Poisoned
from netspec.elaborate.frame import Frame, limit
from netspec.elaborate.stages import Stages, input_notes, output_count
from netspec.elaborate.state import NetworkState
from netspec.errors import error
from netspec.ir import Node, freeze
from netspec.limits import MAX_LAYERS
from netspec.ops import REGISTRY
from netspec.syntax import ast
from netspec.values import Tensor


def several_outputs(
    stages: Stages, frame: Frame, stage: ast.Stage, paths: list[str], x: Tensor | None
) -> list[Tensor]:
    """`a, b = chunk(2)`: the op's outputs, one layer each, in order."""
    op = REGISTRY.get(stage.name)
    blocks = stages.state.program.blocks
    if op is None or not op.several or stage.name in blocks:
        if op is None and stage.name not in blocks:
            stages.stage(frame, stage, paths[0], x)  # the unknown-op error
        raise error(
            "E-arg",
            f"'{stage.name}' makes one output, and {len(paths)} names are given",
            stage.name_span,
            "several names take the outputs of an op that makes several (chunk, split, "
            "lstm, gru, rnn); "
            "name this statement once",
        )
    if x is None:
        stages.stage(frame, stage, paths[0], x)  # the no-input error
    if x.shape is None:
        raise Poisoned(stage.name)
    attrs, spans = stages.op_args(frame, op, stage, stage.args)
    count = output_count(op, stage, attrs, spans, x.shape)
    if count != len(paths):
        raise error(
            "E-arg",
            f"{stage.span.text()} makes {count} outputs, and {len(paths)} names are given",
            stage.span,
            f"give {count} names, one per output"
            + (", or one name for the first alone" if op.first_alone else ""),
        )
    notes = input_notes((x,))
    return [
        stages.apply(frame, op, stage, path, {**attrs, "part": i}, spans, (x,), notes)
        for i, path in enumerate(paths)
    ]


def learned_tensor(
    state: NetworkState,
    frame: Frame,
    path: str,
    shape: tuple[int, ...],
    init: float,
    stmt: ast.ParamStmt,
) -> Tensor:
    """A `param` statement's layer: no input, its output the learned tensor."""
    if len(state.nodes) >= MAX_LAYERS:
        raise limit(f"the network has more than {MAX_LAYERS:,} layers", stmt.span, frame)
    tensor = state.new_tensor(shape, stmt.span, frame)
    state.paths.add(path)
    attrs = freeze({"shape": shape, "init": init})
    state.nodes.append(
        Node(path, "param", attrs, (), tensor.id, stmt.span, frame.chain, state.statement)
    )
    state.learned.add(tensor.id)
    return tensor
