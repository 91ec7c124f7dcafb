"""Elaboration of one network body into a Graph (used by :mod:`netspec.elaborate.networks`).

The stream is the implicit current tensor; each statement consumes and replaces it.
Statement errors are collected: the failing statement's result is poisoned, and
anything that reads a poisoned value is skipped without a second error. Limits
(layers, block depth, tensor size, statements elaborated) abort at once with E-limit,
carrying the block call chain. Stages (ops, merges, block calls) are in
:mod:`netspec.elaborate.stages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netspec.elaborate.control import ControlBuilder
from netspec.elaborate.evaluate import Poisoned, Scope, evaluate
from netspec.elaborate.frame import POISON, Abort, Frame, first_line
from netspec.elaborate.naming import definition_name_span, stage_paths, statement_names
from netspec.elaborate.shapes import check_checkpoint, shape_literal
from netspec.elaborate.stages import StageBuilder
from netspec.errors import CompileError, Diagnostic, error
from netspec.ir import BlockCall, Graph, Node, Statement, freeze
from netspec.limits import MAX_BLOCK_DEPTH, MAX_ELEMENTS
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import Shape, Tensor, numel, show_shape, type_name

if TYPE_CHECKING:
    from netspec.elaborate.program import Program


class NetworkBuilder(StageBuilder, ControlBuilder):
    """Elaborates one network: statements here, stages in StageBuilder, repeat and if in
    ControlBuilder."""

    def __init__(self, program: Program, net: ast.NetworkDef, parameters: dict[str, object]):
        self.program, self.net, self.parameters = program, net, parameters
        self.shapes: list[Shape] = []
        self.nodes: list[Node] = []  # appended by StageBuilder.apply
        self.diags: list[Diagnostic] = []
        self.paths: set[str] = set()
        self.inputs: list[tuple[str, int]] = []
        self.outputs: list[tuple[str, int]] = []
        self.statements: list[Statement] = []
        self.calls: list[BlockCall] = []  # appended by StageBuilder.call_block
        self.statement = ""
        self.steps = 0

    # --- driver ----------------------------------------------------------------------
    def build(self) -> Graph:
        scope = Scope(self.parameters, self.program.globals)
        frame = Frame(scope, "", None, top=True, reserved=statement_names(self.net.body))
        try:
            self.body(frame, self.net.body)
        except Abort as abort:
            raise CompileError([*self.diags, *abort.exc.diagnostics]) from None
        except RecursionError:
            raise error(
                "E-limit",
                "the network nests too deeply to elaborate",
                definition_name_span(self.net.span, self.net.name),
                f"block calls may nest at most {MAX_BLOCK_DEPTH} deep; flatten the "
                "nesting of merges, repeats and ifs inside blocks",
            ) from None
        if not self.diags and not self.inputs:
            self.diags.append(
                error(
                    "E-input",
                    f"network '{self.net.name}' declares no input",
                    definition_name_span(self.net.span, self.net.name),
                    "add `input x: [N, 3, 224, 224]` first",
                ).diagnostics[0]
            )
        if self.diags:
            raise CompileError(self.diags)
        return Graph(
            self.net.name,
            freeze(self.parameters),
            tuple(self.inputs),
            tuple(self._outputs(frame)),
            tuple(self.shapes),
            tuple(self.nodes),
            tuple(self.statements),
            self.net.span,
            tuple(self.calls),
        )

    def _outputs(self, frame: Frame) -> list[tuple[str, int]]:
        if self.outputs:
            return self.outputs
        if frame.stream is None:
            return []
        return [(self._name_of(frame, frame.stream), frame.stream.id)]

    def _name_of(self, frame: Frame, tensor: Tensor) -> str:
        """The default output's name: the statement or binding that made it, else 'output'."""
        for statement in reversed(self.statements):
            if statement.output == tensor.id:
                return statement.name
        for name, value in frame.scope.bindings.items():
            if isinstance(value, Tensor) and value.id == tensor.id:
                return name
        return "output"

    def body(self, frame: Frame, stmts: tuple[ast.Stmt, ...], top: bool | None = None) -> None:
        """Elaborate statements in order; `top` ones (default: the frame's) become report rows."""
        top = frame.top if top is None else top
        for stmt in stmts:
            self._step(frame, stmt.span)
            first = len(self.nodes)
            try:
                name = self.statement_(frame, stmt, top)
            except (CompileError, Poisoned) as exc:
                self._fail(frame, stmt, exc)
                continue
            if top and name is not None and frame.stream is not None:
                self.statements.append(
                    Statement(name, stmt.span, first, len(self.nodes), frame.stream.id, _body(stmt))
                )

    def _fail(self, frame: Frame, stmt: ast.Stmt, exc: Exception) -> None:
        if isinstance(exc, CompileError):
            self.diags.extend(d if d.chain else d.with_chain(frame.chain) for d in exc.diagnostics)
        if isinstance(stmt, (ast.ChainStmt, ast.RepeatStmt, ast.IfStmt, ast.FromStmt)):
            frame.stream = POISON
        elif isinstance(stmt, ast.InputStmt) and frame.stream is None:
            frame.stream = POISON  # the stream would have started here
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
            self._let(frame, stmt)
        elif isinstance(stmt, ast.RepeatStmt):
            return self.repeat(frame, stmt, top)
        elif isinstance(stmt, ast.IfStmt):
            return self.if_(frame, stmt, top)
        elif isinstance(stmt, ast.FromStmt):
            name = ast.Name(stmt.name, _last_word(stmt.span, stmt.name))
            frame.stream = self.tensor(frame.scope, name, "from")
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
        x, poisoned, problems = frame.stream, None, []
        for stage, path in zip(stmt.stages, paths, strict=False):
            # a stage after a failed one is still checked for its own mistakes (an
            # unknown op, a misspelt argument): its input is poisoned, not its text. After
            # an unknown name the rest may be a misread statement (`form a`): stop there.
            try:
                x = self.stage(frame, stage, path, x)
            except Poisoned as exc:
                poisoned, x = poisoned or exc, POISON
            except CompileError as exc:
                problems.extend(exc.diagnostics)
                x = POISON
                if any(d.code == "E-op" for d in exc.diagnostics):
                    break
        if problems:
            raise CompileError(problems)
        if poisoned is not None:
            raise poisoned
        if stmt.checkpoint is not None:
            check_checkpoint(frame.scope, stmt.checkpoint, x)
        frame.stream = x
        if stmt.name is not None:
            frame.scope.bindings[stmt.name] = x
        return name

    def _let(self, frame: Frame, stmt: ast.LetStmt) -> None:
        first = frame.bound_by.get(stmt.name)
        if first is not None:
            raise error(
                "E-dup",
                f"'{stmt.name}' already names a tensor in this scope",
                stmt.span,
                "give the value another name",
                notes=[f"first defined at {first.location}"],
            )
        frame.scope.bindings[stmt.name] = evaluate(stmt.value, frame.scope)

    def _claim(self, frame: Frame, name: str, span: Span) -> None:
        first = frame.bound_by.get(name)
        if first is not None and first != span:
            raise error(
                "E-dup",
                f"'{name}' is already defined in this scope",
                span,
                "give this statement another name",
                notes=[f"first defined at {first.location}"],
            )
        frame.bound_by[name] = span

    def input(self, frame: Frame, stmt: ast.InputStmt) -> None:
        if not frame.top:
            raise error(
                "E-input",
                "inputs are declared at the top level of a network",
                stmt.span,
                "a block's input is `in`; pass other tensors as block arguments",
            )
        self._claim(frame, stmt.name, stmt.span)
        shape = shape_literal(frame.scope, stmt.dims, "input shape")
        tensor = self.new_tensor(shape, stmt.dims.span, frame)
        self.inputs.append((stmt.name, tensor.id))
        frame.scope.bindings[stmt.name] = tensor
        if frame.stream is None:
            frame.stream = tensor

    def output(self, frame: Frame, stmt: ast.OutputStmt) -> None:
        if not frame.top:
            raise error(
                "E-input",
                "outputs are declared at the top level of a network",
                first_line(stmt.span),
                "a block's output is its final stream",
            )
        for name in stmt.names:
            tensor = self.tensor(frame.scope, name, "output")
            if any(name.id == other for other, _ in self.outputs):
                raise error(
                    "E-dup",
                    f"'{name.id}' is declared an output twice",
                    name.span,
                    "list each output once",
                )
            self.outputs.append((name.id, tensor.id))

    # --- values ----------------------------------------------------------------------
    def tensor(self, scope: Scope, name: ast.Name, what: str) -> Tensor:
        value = evaluate(name, scope)
        if not isinstance(value, Tensor):
            raise error(
                "E-type",
                f"{what} needs a tensor, but '{name.id}' is {type_name(value)}",
                name.span,
                "name an input or a statement (`skip = ...`) and use that name",
            )
        return value

    def new_tensor(self, shape: Shape, span: Span, frame: Frame | None = None) -> Tensor:
        if numel(shape) > MAX_ELEMENTS:
            raise self.limit(
                f"tensor {show_shape(shape)} has {_magnitude(numel(shape))} elements per "
                f"sample, over the limit of {_magnitude(MAX_ELEMENTS)}",
                span,
                frame,
            )
        self.shapes.append(shape)
        return Tensor(len(self.shapes) - 1, shape)

    def limit(
        self,
        message: str,
        span: Span,
        frame: Frame | None,
        hint: str = "netspec refuses networks this large",
    ) -> Abort:
        """An E-limit diagnostic that stops this network at once."""
        chain = frame.chain if frame is not None else ()
        return Abort(error("E-limit", message, span, hint, chain=chain))


def _last_word(span: Span, word: str) -> Span:
    """The span of `word` when it ends `span` on one line (`from name`); else `span`."""
    if span.line != span.end_line or not span.text().endswith(word):
        return span
    return Span(span.source, span.line, span.end_column - len(word), span.line, span.end_column)


def _magnitude(n: int) -> str:
    """A huge count in a few digits (1e+15); exact ints too big for a float stay exact."""
    return f"{n:.3g}" if n < 10**300 else f"about 10^{len(str(n)) - 1}"


def _body(stmt: ast.Stmt) -> Span:
    """The part of a statement a report row shows: a chain's stages, else all of it."""
    if isinstance(stmt, ast.ChainStmt):
        return stmt.stages[0].span.until(stmt.stages[-1].span)
    return stmt.span
