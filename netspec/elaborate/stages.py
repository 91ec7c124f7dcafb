"""Stages of a chain: ops, merges and block calls (the half of NetworkBuilder below
statements; used only by :mod:`netspec.elaborate.network`).

Assumes the host class provides the builder state (`program`, `nodes`, `paths`,
`statement`) and `body`, `tensor`, `new_tensor`, `limit`. Guarantees each stage either
appends its layers and returns the output tensor, raises a positioned CompileError (op
errors point at the argument they name, or at the op's name), raises Poisoned when an
input depends on an earlier error, or raises Abort for a limit.
"""

from __future__ import annotations

from netspec.elaborate.binding import MISSING, Formal, Lazy, bind
from netspec.elaborate.evaluate import Poisoned, Scope, evaluate, shown
from netspec.elaborate.frame import Frame
from netspec.elaborate.naming import definition_name_span, statement_names
from netspec.errors import CallSite, error
from netspec.ir import BlockCall, Node, freeze
from netspec.limits import MAX_BLOCK_DEPTH, MAX_LAYERS
from netspec.ops import REGISTRY, Op, OpError
from netspec.ops.base import suggest_op
from netspec.ops.kinds import check_value
from netspec.source import Span
from netspec.suggest import did_you_mean
from netspec.syntax import ast
from netspec.syntax.parser import STATEMENT_KEYWORDS
from netspec.values import Tensor, show_shape


class StageBuilder:
    """Mixin of NetworkBuilder: elaborates one stage of a chain."""

    def stage(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor | None) -> Tensor:
        if x is None:
            raise error(
                "E-input",
                f"'{stage.name}' has no input: nothing comes before it",
                stage.name_span,
                "declare `input x: [N, C, H, W]` first, or `from name`",
            )
        # Mistakes in the stage itself are reported even when its input is poisoned.
        if stage.name in self.program.blocks:
            return self.call_block(frame, stage, path, x)
        op = REGISTRY.get(stage.name)
        if op is None:
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
                "only merges (add, concat) take { a | b }",
            )
        attrs, spans = self.op_args(frame, op, stage, stage.args)
        tensors = [v for v in attrs.values() if isinstance(v, Tensor)]
        attrs = {k: v for k, v in attrs.items() if not isinstance(v, Tensor)}
        inputs = (x, *tensors)
        return self.apply(frame, op, stage, path, attrs, spans, inputs, _input_notes(inputs))

    def _unknown_hint(self, name: str) -> str:
        if name in ("input", "output"):
            return (
                f"`{name}` declares: {name} x: [N, 3, 32, 32]"
                if name == "input"
                else ("`output` declares outputs by name: output a, b")
            )
        known = [*REGISTRY, *self.program.blocks, *STATEMENT_KEYWORDS]
        return (
            suggest_op(name)
            or did_you_mean(name, known)
            or "see `docs/ops.md` for the ops, or define a block of this name"
        )

    def op_args(self, frame: Frame, op: Op, stage: ast.Stage, args) -> tuple[dict, dict]:
        defaults = self.program.defaults.get(op.name, {})
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

    def apply(self, frame, op: Op, stage, path, attrs, spans, inputs, notes) -> Tensor:
        if any(t.shape is None for t in inputs):
            raise Poisoned(stage.name)
        shapes = tuple(t.shape for t in inputs)
        try:
            attrs = op.normalize(attrs, shapes)
            out = op.infer(attrs, shapes)
        except OpError as exc:
            raise error(
                exc.code,
                _prefixed(op.name, exc.message),
                _op_span(stage, spans, exc),
                exc.help,
                notes=notes,
            ) from None
        if len(self.nodes) >= MAX_LAYERS:
            raise self.limit(
                f"the network has more than {MAX_LAYERS:,} layers", stage.name_span, frame
            )
        tensor = self.new_tensor(out, _stage_span(stage), frame)
        self.paths.add(path)
        self.nodes.append(
            Node(
                path,
                op.name,
                freeze(attrs),
                tuple(t.id for t in inputs),
                tensor.id,
                stage.span,
                frame.chain,
                self.statement,
            )
        )
        return tensor

    def merge(self, frame: Frame, op: Op, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
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
        return self.tensor(frame.scope, arg.value, op.name)

    def branch(self, frame: Frame, branch: ast.Branch, path: str, x: Tensor) -> Tensor:
        self.paths.add(path)
        sub = Frame(Scope({}, frame.scope), path, x, frame.chain, frame.active)
        sub.reserved = statement_names(branch.body)
        self.body(sub, branch.body)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(path)
        return sub.stream

    def call_block(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
        block = self.program.blocks[stage.name]
        self._check_call(frame, stage, block)

        # A default may use `in` and the parameters before it: block f(c, out=c * 4).
        def default(expr: ast.Expr) -> Lazy:
            globals_ = self.program.globals
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
        site = CallSite(block.name, path, stage.span)
        scope = Scope({**values, "in": x}, self.program.globals)
        sub = Frame(scope, path, x, (*frame.chain, site), (*frame.active, block.name))
        sub.reserved = statement_names(block.body)
        self.paths.add(path)
        self.body(sub, block.body)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(block.name)
        self.calls.append(_block_call(site, block, values, x, sub.stream, frame))
        return sub.stream

    def _check_call(self, frame: Frame, stage: ast.Stage, block: ast.BlockDef) -> None:
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
            raise self.limit(
                f"block calls nest more than {MAX_BLOCK_DEPTH} deep",
                stage.name_span,
                frame,
                "netspec refuses networks this deep; use `repeat` for long sequences of blocks",
            )


def _op_span(stage: ast.Stage, spans: dict[str, Span], exc: OpError) -> Span:
    """The argument the error names, else the stage (see _stage_span)."""
    if exc.arg in spans:
        return spans[exc.arg]
    return _stage_span(stage) if exc.arg is None else stage.name_span


def _stage_span(stage: ast.Stage) -> Span:
    """The whole stage when it fits on one line; else (a merge with branches) its name."""
    return stage.span if stage.span.line == stage.span.end_line else stage.name_span


def _input_notes(inputs: tuple[Tensor, ...]) -> list[str]:
    return [f"input {show_shape(t.shape)}" for t in inputs[:4]]


def _branch_note(index: int, branch: ast.Branch, tensor: Tensor) -> str:
    if not branch.body:
        return f"branch {index} (empty: the merge's input) gives {show_shape(tensor.shape)}"
    line = branch.body[0].span.line
    return f"branch {index} (line {line}) gives {show_shape(tensor.shape)}"


def _prefixed(op: str, message: str) -> str:
    return message if message.startswith(op) else f"{op}: {message}"


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
