"""Elaboration of one network body into a Graph (used by :mod:`netspec.elaborate`).

The stream is the implicit current tensor; each statement consumes and replaces it.
Statement errors are collected: the failing statement's result is poisoned, and
anything that reads a poisoned value is skipped without a second error. Limits
(layers, block depth, tensor size) abort at once with E-limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netspec import ast
from netspec._binding import MISSING, Formal, bind
from netspec._naming import stage_paths
from netspec.errors import (
    MAX_BLOCK_DEPTH,
    MAX_ELEMENTS,
    MAX_LAYERS,
    MAX_REPEAT,
    CallSite,
    CompileError,
    Diagnostic,
    did_you_mean,
    error,
)
from netspec.evaluate import Poisoned, Scope, Symbol, evaluate
from netspec.ir import Graph, Node, Statement, freeze
from netspec.ops import REGISTRY, Op, OpError
from netspec.ops.base import check_value
from netspec.source import Span
from netspec.values import Shape, Tensor, is_int, numel, show_shape, show_value, type_name

if TYPE_CHECKING:
    from netspec.elaborate import Program

POISON = Tensor(-1, None)


class _Abort(Exception):
    """A limit was hit: stop elaborating this network at once."""

    def __init__(self, exc: CompileError):
        self.exc = exc


@dataclass
class Frame:
    """Where a body is being elaborated: its names, path prefix, stream, call chain."""

    scope: Scope
    prefix: str
    stream: Tensor | None
    chain: tuple[CallSite, ...] = ()
    active: tuple[str, ...] = ()  # blocks being called, for recursion checks
    counters: dict[str, int] = field(default_factory=dict)
    bound_by: dict[str, Span] = field(default_factory=dict)
    suffix: str = ""  # repeat iteration indices for named statements
    top: bool = False


class NetworkBuilder:
    def __init__(self, program: Program, net: ast.NetworkDef, parameters: dict[str, object]):
        self.program, self.net, self.parameters = program, net, parameters
        self.shapes: list[Shape] = []
        self.nodes: list[Node] = []
        self.diags: list[Diagnostic] = []
        self.paths: set[str] = set()
        self.inputs: list[tuple[str, int]] = []
        self.outputs: list[tuple[str, int]] = []
        self.statements: list[Statement] = []
        self.statement = ""

    # --- driver ----------------------------------------------------------------------
    def build(self) -> Graph:
        scope = Scope(self.parameters, self.program.globals)
        frame = Frame(scope, "", None, top=True)
        try:
            self.body(frame, self.net.body)
        except _Abort as abort:
            raise CompileError([*self.diags, *abort.exc.diagnostics]) from None
        except RecursionError:
            raise error("E-limit", "the network nests too deeply to elaborate", self.net.span,
                        f"block calls may nest at most {MAX_BLOCK_DEPTH} deep") from None
        if not self.diags and not self.inputs:
            self.diags.append(error("E-input", f"network '{self.net.name}' declares no input",
                                    self.net.span, "add `input x: [N, 3, 224, 224]` first"
                                    ).diagnostics[0])
        if self.diags:
            raise CompileError(self.diags)
        return Graph(self.net.name, freeze(self.parameters), tuple(self.inputs),
                     tuple(self._outputs(frame)), tuple(self.shapes), tuple(self.nodes),
                     tuple(self.statements), self.net.span)

    def _outputs(self, frame: Frame) -> list[tuple[str, int]]:
        if self.outputs:
            return self.outputs
        if frame.stream is None:
            return []
        name = self.statements[-1].name if self.statements else self.inputs[-1][0]
        return [(name, frame.stream.id)]

    def body(self, frame: Frame, stmts: tuple[ast.Stmt, ...], record: bool = False) -> None:
        for stmt in stmts:
            first = len(self.nodes)
            try:
                name = self.statement_(frame, stmt, record or frame.top)
            except (CompileError, Poisoned) as exc:
                self._fail(frame, stmt, exc)
                continue
            if (record or frame.top) and name is not None and frame.stream is not None:
                self.statements.append(Statement(name, stmt.span, first, len(self.nodes),
                                                 frame.stream.id))

    def _fail(self, frame: Frame, stmt: ast.Stmt, exc: Exception) -> None:
        if isinstance(exc, CompileError):
            self.diags.extend(d if d.chain else d.with_chain(frame.chain) for d in exc.diagnostics)
        if isinstance(stmt, (ast.ChainStmt, ast.RepeatStmt, ast.IfStmt, ast.FromStmt)):
            frame.stream = POISON
        name = getattr(stmt, "name", None)
        if isinstance(name, str):
            frame.scope.bindings[name] = POISON

    # --- statements ------------------------------------------------------------------
    def statement_(self, frame: Frame, stmt: ast.Stmt, top: bool) -> str | None:
        if isinstance(stmt, ast.ChainStmt):
            return self.chain(frame, stmt, top)
        if isinstance(stmt, ast.InputStmt):
            self.input(frame, stmt)
        elif isinstance(stmt, ast.LetStmt):
            frame.scope.bindings[stmt.name] = evaluate(stmt.value, frame.scope)
        elif isinstance(stmt, ast.RepeatStmt):
            return self.repeat(frame, stmt, top)
        elif isinstance(stmt, ast.IfStmt):
            return self.if_(frame, stmt, top)
        elif isinstance(stmt, ast.FromStmt):
            frame.stream = self.tensor(frame.scope, ast.Name(stmt.name, stmt.span), "from")
        elif isinstance(stmt, ast.OutputStmt):
            self.output(frame, stmt)
        return None

    def chain(self, frame: Frame, stmt: ast.ChainStmt, top: bool) -> str:
        paths = stage_paths(frame, stmt, self.paths)
        name = stmt.name or paths[0]
        if top:
            self.statement = name
        if stmt.name is not None:
            self._claim(frame, stmt.name, stmt.name_span or stmt.span)
        x = frame.stream
        for stage, path in zip(stmt.stages, paths):
            x = self.stage(frame, stage, path, x)
        if stmt.checkpoint is not None:
            self.checkpoint(frame, stmt.checkpoint, x)
        frame.stream = x
        if stmt.name is not None:
            frame.scope.bindings[stmt.name] = x
        return name

    def _claim(self, frame: Frame, name: str, span: Span) -> None:
        first = frame.bound_by.get(name)
        if first is not None and first != span:
            raise error("E-dup", f"'{name}' is already defined in this scope", span,
                        "give this statement another name",
                        notes=[f"first defined at {first.location}"])
        frame.bound_by[name] = span

    def input(self, frame: Frame, stmt: ast.InputStmt) -> None:
        if not frame.top:
            raise error("E-input", "inputs are declared at the top level of a network", stmt.span,
                        "a block's input is `in`; pass other tensors as block arguments")
        self._claim(frame, stmt.name, stmt.span)
        shape = self.shape_literal(frame, stmt.dims, "input shape")
        tensor = self.new_tensor(shape, stmt.dims.span)
        self.inputs.append((stmt.name, tensor.id))
        frame.scope.bindings[stmt.name] = tensor
        if frame.stream is None:
            frame.stream = tensor

    def output(self, frame: Frame, stmt: ast.OutputStmt) -> None:
        if not frame.top:
            raise error("E-input", "outputs are declared at the top level of a network", stmt.span)
        for name in stmt.names:
            tensor = self.tensor(frame.scope, name, "output")
            self.outputs.append((name.id, tensor.id))

    def repeat(self, frame: Frame, stmt: ast.RepeatStmt, top: bool) -> str:
        count = evaluate(stmt.count, frame.scope)
        if not is_int(count) or count < 0:
            raise error("E-type", f"repeat needs a count >= 0, got {show_value(count)}",
                        stmt.count.span)
        if count > MAX_REPEAT:
            raise _Abort(error("E-limit", f"repeat {count} exceeds the limit of {MAX_REPEAT} "
                               "copies", stmt.count.span, "netspec refuses networks this large"))
        name = self._auto(frame, "repeat")
        if top:
            self.statement = name
        suffix = frame.suffix
        for i in range(count):
            before = len(self.nodes)
            if stmt.var is not None:
                frame.scope.bindings[stmt.var] = i
            frame.suffix = f"{suffix}.{i}"
            try:
                self.body(frame, stmt.body)
            finally:
                frame.suffix = suffix
            per_copy = len(self.nodes) - before
            if i == 0 and len(self.nodes) + per_copy * (count - 1) > MAX_LAYERS:
                raise _Abort(error("E-limit", f"repeat {count} would make about "
                                   f"{before + per_copy * count:,} layers, over the limit of "
                                   f"{MAX_LAYERS:,}", stmt.count.span,
                                   "netspec refuses networks this large"))
        return name

    def if_(self, frame: Frame, stmt: ast.IfStmt, top: bool) -> str:
        cond = evaluate(stmt.cond, frame.scope)
        if not isinstance(cond, bool):
            raise error("E-type", f"if needs a boolean condition, got {type_name(cond)} "
                        f"({show_value(cond)})", stmt.cond.span, "compare with == != < > etc.")
        name = self._auto(frame, "if")
        if top:
            self.statement = name
        self.body(frame, stmt.then if cond else stmt.orelse)
        return name

    def _auto(self, frame: Frame, word: str) -> str:
        frame.counters[word] = frame.counters.get(word, 0) + 1
        return f"{word}{frame.counters[word]}"

    # --- values ----------------------------------------------------------------------
    def tensor(self, scope: Scope, name: ast.Name, what: str) -> Tensor:
        value = evaluate(name, scope)
        if not isinstance(value, Tensor):
            raise error("E-type", f"{what} needs a tensor, but '{name.id}' is {type_name(value)}",
                        name.span)
        return value

    def shape_literal(self, frame: Frame, expr: ast.Expr, what: str) -> Shape:
        value = evaluate(expr, frame.scope, symbols=True)
        if not isinstance(value, tuple) or not value:
            raise error("E-type", f"{what} must be a list of dimensions, got {show_value(value)}",
                        expr.span, "e.g. [N, 3, 224, 224]")
        dims = []
        for d in value:
            if isinstance(d, Symbol):
                dims.append(d.name)
            elif is_int(d) and d >= 1:
                dims.append(d)
            else:
                raise error("E-type", f"{what}: dimensions are positive integers or symbols such "
                            f"as N, got {show_value(d)}", expr.span)
        return tuple(dims)

    def checkpoint(self, frame: Frame, expr: ast.Expr, x: Tensor) -> None:
        if x.shape is None:
            raise Poisoned("checkpoint")
        want = self.shape_literal(frame, expr, "checkpoint")
        if want == x.shape:
            return
        if len(want) != len(x.shape):
            detail = f"rank {len(x.shape)}, not {len(want)}"
        else:
            detail = "; ".join(f"dim {i}: {g}, not {w}" for i, (w, g) in
                               enumerate(zip(want, x.shape)) if w != g)
        raise error("E-checkpoint", f"shape checkpoint failed: the statement gives "
                    f"{show_shape(x.shape)}, the checkpoint says {show_shape(want)}", expr.span,
                    f"{detail}; fix the layers above or the checkpoint",
                    label=f"actual {show_shape(x.shape)}")

    def new_tensor(self, shape: Shape, span: Span) -> Tensor:
        if numel(shape) > MAX_ELEMENTS:
            raise _Abort(error("E-limit", f"tensor {show_shape(shape)} has {numel(shape):.3g} "
                               f"elements, over the limit of {MAX_ELEMENTS:.3g} (2^48) per sample",
                               span, "netspec refuses tensors this large"))
        self.shapes.append(shape)
        return Tensor(len(self.shapes) - 1, shape)

    # --- stages ----------------------------------------------------------------------
    def stage(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor | None) -> Tensor:
        if x is None:
            raise error("E-input", f"'{stage.name}' has no input: nothing comes before it",
                        stage.name_span, "declare `input x: [N, C, H, W]` first, or `from name`")
        if x.shape is None:
            raise Poisoned(stage.name)
        if stage.name in self.program.blocks:
            return self.call_block(frame, stage, path, x)
        op = REGISTRY.get(stage.name)
        if op is None:
            known = [*REGISTRY, *self.program.blocks]
            raise error("E-op", f"unknown op or block '{stage.name}'", stage.name_span,
                        did_you_mean(stage.name, known) or "see `docs/language.md` for the ops")
        if op.merge:
            return self.merge(frame, op, stage, path, x)
        if stage.branches is not None:
            raise error("E-arg", f"'{op.name}' takes no branches", stage.span,
                        "only merges (add, concat) take { a | b }")
        attrs, spans = self.op_args(frame, op, stage, stage.args)
        tensors = [v for v in attrs.values() if isinstance(v, Tensor)]
        attrs = {k: v for k, v in attrs.items() if not isinstance(v, Tensor)}
        return self.apply(frame, op, stage, path, attrs, spans, (x, *tensors))

    def op_args(self, frame, op: Op, stage: ast.Stage, args) -> tuple[dict, dict]:
        defaults = self.program.defaults.get(op.name, {})
        formals = [Formal(p.name, defaults.get(p.name, MISSING if p.required else p.default))
                   for p in op.params]
        values, spans = bind(op.name, "op", formals, args, stage.span,
                             lambda e: evaluate(e, frame.scope))
        for p in op.params:
            if p.name in spans:
                try:
                    values[p.name] = check_value(p, values[p.name])
                except OpError as exc:
                    raise error(exc.code, f"{op.name}: {exc.message}", spans[p.name],
                                exc.help) from None
        return values, spans

    def apply(self, frame, op: Op, stage, path, attrs, spans, inputs) -> Tensor:
        if any(t.shape is None for t in inputs):
            raise Poisoned(stage.name)
        shapes = tuple(t.shape for t in inputs)
        try:
            attrs = op.normalize(attrs, shapes)
            out = op.infer(attrs, shapes)
        except OpError as exc:
            span = spans.get(exc.arg, stage.name_span) if exc.arg else stage.span
            if exc.arg and exc.arg not in spans:
                span = stage.name_span
            raise error(exc.code, _prefixed(op.name, exc.message), span, exc.help,
                        notes=[f"input {show_shape(s)}" for s in shapes[:4]]) from None
        if len(self.nodes) >= MAX_LAYERS:
            raise _Abort(error("E-limit", f"the network has more than {MAX_LAYERS:,} layers",
                               stage.span, "netspec refuses networks this large"))
        tensor = self.new_tensor(out, stage.span)
        self.paths.add(path)
        self.nodes.append(Node(path, op.name, freeze(attrs), tuple(t.id for t in inputs),
                               tensor.id, stage.span, frame.chain, self.statement))
        return tensor

    def merge(self, frame: Frame, op: Op, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
        named = [a for a in stage.args if a.name is None]
        keywords = tuple(a for a in stage.args if a.name is not None)
        if stage.branches is not None:
            if named:
                raise error("E-arg", f"{op.name} takes branches or names, not both",
                            named[0].span, f"write {op.name} {{ a | b }} or {op.name}(name)")
            inputs = [self.branch(frame, b, f"{path}.{i}", x) for i, b in
                      enumerate(stage.branches)]
        else:
            if not named:
                raise error("E-arg", f"{op.name} needs branches or named inputs", stage.span,
                            f"write {op.name} {{ a | b }} or {op.name}(name)")
            inputs = [x] + [self.tensor(frame.scope, a.value, op.name)
                            if isinstance(a.value, ast.Name) else self._not_a_name(op, a)
                            for a in named]
        if len(inputs) < 2:
            raise error("E-arg", f"{op.name} needs at least two inputs", stage.span,
                        "add a second branch: `| identity`, or an empty branch for the input")
        attrs, spans = self.op_args(frame, op, stage, keywords)
        return self.apply(frame, op, stage, path, attrs, spans, tuple(inputs))

    def _not_a_name(self, op: Op, arg: ast.Arg) -> Tensor:
        raise error("E-arg", f"{op.name}(...) takes the names of earlier statements", arg.span,
                    "name a statement (`skip = ...`) and write its name here")

    def branch(self, frame: Frame, branch: ast.Branch, path: str, x: Tensor) -> Tensor:
        self.paths.add(path)
        sub = Frame(Scope({}, frame.scope), path, x, frame.chain, frame.active)
        self.body(sub, branch.body)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(path)
        return sub.stream

    def call_block(self, frame: Frame, stage: ast.Stage, path: str, x: Tensor) -> Tensor:
        block = self.program.blocks[stage.name]
        if stage.branches is not None:
            raise error("E-arg", f"block '{block.name}' takes no branches", stage.span)
        if block.name in frame.active:
            cycle = " -> ".join([*frame.active[frame.active.index(block.name):], block.name])
            raise error("E-recursion", f"block '{block.name}' calls itself: {cycle}",
                        stage.name_span, "blocks cannot recurse; use `repeat` for depth")
        if len(frame.active) >= MAX_BLOCK_DEPTH:
            raise _Abort(error("E-limit", f"block calls nest more than {MAX_BLOCK_DEPTH} deep",
                               stage.span, "netspec refuses networks this deep"))
        formals = [Formal(p.name, MISSING if p.default is None else
                          evaluate(p.default, self.program.globals)) for p in block.params]
        values, _ = bind(block.name, "block", formals, stage.args, stage.span,
                         lambda e: evaluate(e, frame.scope))
        site = CallSite(block.name, path, stage.span)
        sub = Frame(Scope({**values, "in": x}, self.program.globals), path, x,
                    (*frame.chain, site), (*frame.active, block.name))
        self.paths.add(path)
        self.body(sub, block.body)
        if sub.stream is None or sub.stream.shape is None:
            raise Poisoned(block.name)
        return sub.stream


def _prefixed(op: str, message: str) -> str:
    return message if message.startswith(op) else f"{op}: {message}"

