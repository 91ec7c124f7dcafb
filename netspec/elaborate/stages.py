"""Stages of a chain: ops and merges, block calls handed to :mod:`netspec.elaborate.blocks`
(used by :mod:`netspec.elaborate.statements`).

Assumes a :class:`~netspec.elaborate.state.NetworkState` and a callback that elaborates
a nested body (a merge's branches), both given to :class:`Stages`. Guarantees each stage
either appends its layers to the state and returns the output tensor, raises a
positioned CompileError (op errors point at the argument they name, or at the op's
name), raises Poisoned when an input depends on an earlier error, or raises Abort for
a limit.
"""

from __future__ import annotations

from netspec.elaborate.binding import MISSING, Formal, bind
from netspec.elaborate.blocks import BlockCalls
from netspec.elaborate.dtypes import check_arg_dtypes, check_dtypes
from netspec.elaborate.evaluate import Poisoned, Scope, evaluate
from netspec.elaborate.frame import Frame, limit, named_tensor
from netspec.elaborate.naming import statement_names
from netspec.elaborate.operators import shown
from netspec.elaborate.state import ElaborateBody, NetworkState
from netspec.elaborate.tying import tie
from netspec.errors import error
from netspec.ir import Node, freeze
from netspec.limits import MAX_LAYERS
from netspec.ops import REGISTRY, Op, OpError
from netspec.ops.base import suggest_op
from netspec.ops.kinds import check_value
from netspec.ops.merge import equal_shapes
from netspec.source import Span
from netspec.suggest import did_you_mean
from netspec.syntax import ast
from netspec.syntax.keywords import STATEMENT_KEYWORDS
from netspec.values import Tensor, show_shape


class Stages:
    """Elaborates one stage of a chain into the shared state."""

    def __init__(self, state: NetworkState, body: ElaborateBody):
        self.state = state
        self.body = body
        self.blocks = BlockCalls(state, body)

    def stage(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor | None) -> Tensor:
        """One stage applied to the stream `x`: a block call, a merge or an op."""
        if x is None:
            raise error(
                "E-input",
                f"'{stage.name}' has no input: nothing comes before it",
                stage.name_span,
                "declare `input x: [N, C, H, W]` first, or `from name`",
            )
        # Mistakes in the stage itself are reported even when its input is poisoned.
        if stage.name in self.state.program.blocks:
            return self.blocks.call(frame, stage, path, x)
        op = REGISTRY.get(stage.name)
        if op is None or not op.stage:
            raise error(
                "E-op",
                f"unknown op or block '{stage.name}'",
                stage.name_span,
                self._unknown_hint(stage.name),
            )
        if op.merge:
            if x.shape is None:
                raise Poisoned(stage.name)
            return self.merge(frame, op, stage, path, x)
        if stage.branches is not None:
            raise error(
                "E-arg",
                f"'{op.name}' takes no branches",
                stage.name_span,
                "only merges (add, mul, concat) take { a | b }",
            )
        attrs, spans = self.op_args(frame, op, stage, stage.args)
        if op.several:  # one output only (`chunk(1)`); `a, b = chunk(2)` names several
            self._one_output(op, stage, attrs, spans, x)
            attrs["part"] = 0
        tie(self.state, op, attrs, spans)
        typed = check_arg_dtypes(op, attrs, spans, self.state.dtypes)  # attention's padding
        tensors = [v for v in attrs.values() if isinstance(v, Tensor)]
        attrs = {k: v for k, v in attrs.items() if not isinstance(v, Tensor)}
        inputs = (x, *tensors)
        notes = input_notes(inputs)
        return self.apply(frame, op, stage, path, attrs, spans, inputs, notes, typed)

    def _one_output(self, op: Op, stage: ast.Stage, attrs, spans, x: Tensor) -> None:
        if x.shape is None:
            raise Poisoned(stage.name)
        count = output_count(op, stage, attrs, spans, x.shape)
        if count != 1 and not op.first_alone:  # lstm alone: its sequence, the states unused
            raise error(
                "E-arg",
                f"{op.name} makes {count} outputs here: name each",
                stage.name_span,
                f"write `{', '.join('abcdefgh'[: min(count, 8)])} = {stage.span.text()}` and use "
                "the parts by name",
            )

    def _unknown_hint(self, name: str) -> str:
        if name == "param":
            return "`param` declares a learned tensor: param gamma: [96, 1, 1] = 1e-6"
        if name in ("input", "output"):
            return (
                f"`{name}` declares: {name} x: [N, 3, 32, 32]"
                if name == "input"
                else ("`output` declares outputs by name: output a, b")
            )
        known = [*REGISTRY, *self.state.program.blocks, *STATEMENT_KEYWORDS]
        return (
            suggest_op(name)
            or did_you_mean(name, known)
            or "see `docs/ops.md` for the ops, or define a block of this name"
        )

    def op_args(
        self, frame: Frame, op: Op, stage: ast.Stage, args: tuple[ast.Arg, ...]
    ) -> tuple[dict[str, object], dict[str, Span]]:
        """The op's arguments bound, defaulted (`defaults` first) and checked; their spans."""
        defaults = self.state.program.defaults.get(op.name, {})
        formals = [
            Formal(p.name, defaults.get(p.name, MISSING if p.required else p.default))
            for p in op.params
        ]
        # Shapes written as arguments (reshape's dims) may hold symbols such as N.
        shaped = {p.name for p in op.params if p.kind == "dims"}
        values, given = bind(
            op.name,
            "op",
            formals,
            args,
            stage.span,
            lambda name, e: evaluate(e, frame.scope, symbols=name in shaped),
        )
        spans = {name: expr.span for name, expr in given.items()}
        for p in op.params:
            if p.name in given:
                written = shown(given[p.name], values[p.name])
                try:
                    values[p.name] = check_value(p, values[p.name], written)
                except OpError as exc:
                    raise error(
                        exc.code, f"{op.name}: {exc.message}", spans[p.name], exc.help
                    ) from None
        return values, spans

    def apply(
        self,
        frame: Frame,
        op: Op,
        stage: ast.Stage,
        path: str,
        attrs: dict[str, object],
        spans: dict[str, Span],
        inputs: tuple[Tensor, ...],
        notes: list[str],
        typed: frozenset[int] = frozenset(),
    ) -> Tensor:
        """Infer the output shape and append the layer; op errors carry the input shapes."""
        if any(t.shape is None for t in inputs):
            raise Poisoned(stage.name)
        check_dtypes(op, stage, inputs, self.state.dtypes, typed)
        shapes = tuple(t.shape for t in inputs)
        try:
            if op.broadcasts == "learned" and not self.state.learned.intersection(
                t.id for t in inputs
            ):
                equal_shapes(op.name, shapes)  # two computed tensors must agree
            attrs = op.normalize(attrs, shapes)
            out = op.infer(attrs, shapes)
        except OpError as exc:
            raise error(
                exc.code,
                prefixed(op.name, exc.message),
                op_span(stage, spans, exc),
                exc.help,
                notes=notes,
            ) from None
        state = self.state
        if len(state.nodes) >= MAX_LAYERS:
            raise limit(f"the network has more than {MAX_LAYERS:,} layers", stage.name_span, frame)
        tensor = state.new_tensor(out, _stage_span(stage), frame)
        if all(t.id in state.learned for t in inputs):  # a slice of a learned tensor is one
            state.learned.add(tensor.id)
        state.paths.add(path)
        state.nodes.append(
            Node(
                path,
                op.name,
                freeze(attrs),
                tuple(t.id for t in inputs),
                tensor.id,
                stage.span,
                frame.chain,
                state.statement,
            )
        )
        return tensor

    def merge(self, frame: Frame, op: Op, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
        """`add { a | b }` (each branch from `x`) or `add(name)` (`x` and the named tensors)."""
        named = [a for a in stage.args if a.name is None]
        keywords = tuple(a for a in stage.args if a.name is not None)
        if stage.branches is not None:
            if named:
                raise error(
                    "E-arg",
                    f"{op.name} takes branches or names, not both",
                    named[0].span,
                    f"write {op.name} {{ a | b }} or {op.name}(name)",
                )
            inputs = [self.branch(frame, b, f"{path}.{i}", x) for i, b in enumerate(stage.branches)]
            notes = [
                _branch_note(i, b, t)
                for i, (b, t) in enumerate(zip(stage.branches, inputs, strict=True))
            ]
        else:
            if not named:
                raise error(
                    "E-arg",
                    f"{op.name} needs branches or named inputs",
                    stage.span,
                    f"write {op.name} {{ a | b }} or {op.name}(name)",
                )
            inputs = [x, *(self._named_input(frame, op, a) for a in named)]
            notes = [f"the stream: {show_shape(x.shape)}"] + [
                f"'{a.value.span.text()}': {show_shape(t.shape)}"
                for a, t in zip(named, inputs[1:], strict=True)
            ]
        if len(inputs) < 2:
            raise error(
                "E-arg",
                f"{op.name} needs at least two inputs",
                stage.name_span,
                "add a second branch: `| identity`, or an empty branch for the input",
            )
        attrs, spans = self.op_args(frame, op, stage, keywords)
        return self.apply(frame, op, stage, path, attrs, spans, tuple(inputs), notes)

    def _named_input(self, frame: Frame, op: Op, arg: ast.Arg) -> Tensor:
        if not isinstance(arg.value, ast.Name):
            raise error(
                "E-arg",
                f"{op.name}(...) takes the names of earlier statements",
                arg.span,
                "name a statement (`skip = ...`) and write its name here",
            )
        return named_tensor(frame.scope, arg.value, op.name)

    def branch(self, frame: Frame, branch: ast.Branch, path: str, x: Tensor) -> Tensor:
        """A merge's branch, elaborated from `x` in its own scope under `path`."""
        self.state.paths.add(path)
        sub = Frame(Scope({}, frame.scope), path, x, frame.chain, frame.active)
        sub.reserved = statement_names(branch.body)
        self.body(sub, branch.body, False)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(path)
        return sub.stream


def output_count(op: Op, stage: ast.Stage, attrs, spans, shape) -> int:
    """How many outputs an op with several (chunk, split) makes on `shape`; its errors
    positioned as any op's."""
    try:
        return op.parts(op.normalize(dict(attrs), (shape,)), (shape,))
    except OpError as exc:
        message = prefixed(op.name, exc.message)
        raise error(exc.code, message, op_span(stage, spans, exc), exc.help) from None


def op_span(stage: ast.Stage, spans: dict[str, Span], exc: OpError) -> Span:
    """The argument the error names, else the stage (see _stage_span)."""
    if exc.arg in spans:
        return spans[exc.arg]
    return _stage_span(stage) if exc.arg is None else stage.name_span


def _stage_span(stage: ast.Stage) -> Span:
    """The whole stage when it fits on one line; else (a merge with branches) its name."""
    return stage.span if stage.span.line == stage.span.end_line else stage.name_span


def input_notes(inputs: tuple[Tensor, ...]) -> list[str]:
    return [f"input {show_shape(t.shape)}" for t in inputs[:4]]


def _branch_note(index: int, branch: ast.Branch, tensor: Tensor) -> str:
    if not branch.body:
        return f"branch {index} (empty: the merge's input) gives {show_shape(tensor.shape)}"
    line = branch.body[0].span.line
    return f"branch {index} (line {line}) gives {show_shape(tensor.shape)}"


def prefixed(op: str, message: str) -> str:
    return message if message.startswith(op) else f"{op}: {message}"
