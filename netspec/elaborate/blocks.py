"""Block calls: a stage that names a block (used by :mod:`netspec.elaborate.stages`).

Assumes a :class:`~netspec.elaborate.state.NetworkState` and a callback that elaborates
a nested body, both given to :class:`BlockCalls`. Guarantees a call binds its arguments
(defaults may use `in` and earlier parameters), elaborates the block's body in a new
scope under the call's path, records a :class:`~netspec.ir.BlockCall` when the body
finishes, and returns the body's final stream; or raises a positioned CompileError
(branches given, recursion), Poisoned (the input or the result depends on an earlier
error) or Abort (calls nested deeper than MAX_BLOCK_DEPTH).
"""

from __future__ import annotations

from netspec.elaborate.binding import MISSING, Formal, Lazy, bind
from netspec.elaborate.estimate import LayerFloor
from netspec.elaborate.evaluate import Poisoned, Scope, evaluate
from netspec.elaborate.frame import Frame, limit
from netspec.elaborate.naming import definition_name_span, statement_names
from netspec.elaborate.state import ElaborateBody, NetworkState
from netspec.errors import CallSite, error
from netspec.ir import BlockCall
from netspec.limits import MAX_BLOCK_DEPTH, MAX_LAYERS
from netspec.syntax import ast
from netspec.values import Tensor


class BlockCalls:
    """Elaborates calls of the program's blocks into the shared state."""

    def __init__(self, state: NetworkState, body: ElaborateBody):
        self.state = state
        self.body = body
        self.floor = LayerFloor(state.program)

    def call(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
        """Call the block `stage` names on the stream `x`; its layers go under `path`."""
        state = self.state
        block = state.program.blocks[stage.name]
        _check_call(frame, stage, block)
        globals_ = state.program.globals

        # A default may use `in` and the parameters before it: block f(c, out=c * 4).
        def default(expr: ast.Expr) -> Lazy:
            return Lazy(lambda bound: evaluate(expr, Scope({**bound, "in": x}, globals_)))

        formals = [
            Formal(p.name, MISSING if p.default is None else default(p.default))
            for p in block.params
        ]
        values, _ = bind(
            block.name,
            "block",
            formals,
            stage.args,
            stage.span,
            lambda _, e: evaluate(e, frame.scope),
        )
        if x.shape is None:
            raise Poisoned(block.name)
        if not frame.chain:  # a call from the network's body: bound its layers first
            self._check_size(frame, stage, block, values, x)
        site = CallSite(block.name, path, stage.span)
        scope = Scope({**values, "in": x}, globals_)
        sub = Frame(scope, path, x, (*frame.chain, site), (*frame.active, block.name))
        sub.reserved = statement_names(block.body)
        state.paths.add(path)
        self.body(sub, block.body, False)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(block.name)
        state.calls.append(_block_call(site, block, values, x, sub.stream, frame))
        return sub.stream

    def _check_size(
        self, frame: Frame, stage: ast.Stage, block: ast.BlockDef, values: dict, x: Tensor
    ) -> None:
        """Refuse at once a call that would take the network over MAX_LAYERS."""
        total = len(self.state.nodes) + self.floor.block(block, values, x, len(frame.active))
        if total > MAX_LAYERS:
            raise limit(
                f"block '{block.name}' would make at least {total:,} layers, over the "
                f"limit of {MAX_LAYERS:,}",
                stage.name_span,
                frame,
            )


def _check_call(frame: Frame, stage: ast.Stage, block: ast.BlockDef) -> None:
    """No branches, no recursion, not too deep."""
    if stage.branches is not None:
        raise error(
            "E-arg",
            f"block '{block.name}' takes no branches",
            stage.name_span,
            "only merges (add, concat) take { a | b }; put the merge in the block",
        )
    if block.name in frame.active:
        cycle = " -> ".join([*frame.active[frame.active.index(block.name) :], block.name])
        raise error(
            "E-recursion",
            f"block '{block.name}' calls itself: {cycle}",
            stage.name_span,
            "blocks cannot recurse; use `repeat` for depth",
        )
    if len(frame.active) >= MAX_BLOCK_DEPTH:
        raise limit(
            f"block calls nest more than {MAX_BLOCK_DEPTH} deep",
            stage.name_span,
            frame,
            "netspec refuses networks this deep; use `repeat` for long sequences of blocks",
        )


def _block_call(
    site: CallSite, block: ast.BlockDef, values: dict, x: Tensor, out: Tensor, frame: Frame
) -> BlockCall:
    """The record of a finished call; tensors are kept apart from the other arguments."""
    tensors = tuple((k, v.id) for k, v in values.items() if isinstance(v, Tensor))
    args = tuple((k, v) for k, v in values.items() if not isinstance(v, Tensor))
    parent = frame.chain[-1].path if frame.chain else ""
    definition = definition_name_span(block.span, block.name)
    return BlockCall(
        site.path, block.name, site.span, definition, args, tensors, x.id, out.id, parent
    )
