"""The statements of a body: chains, input, param, let, from, output, and where repeat and
if go.

Assumes a :class:`~netspec.elaborate.state.NetworkState`, given to :class:`Statements`,
which hands chains' stages to :class:`~netspec.elaborate.stages.Stages` and repeat and
if to :class:`~netspec.elaborate.control.Control`, passing both its own
:meth:`Statements.body` to elaborate nested bodies. Guarantees statements are
elaborated in order, the stream (the implicit current tensor) replaced by each; a
statement's error is collected into the state's diagnostics and poisons its result and
stream, and anything that reads a poisoned value is skipped without a second error; a
top-level statement that leaves a stream becomes a report row. Limits abort at once
(:class:`~netspec.elaborate.frame.Abort`).
"""

from __future__ import annotations

from netspec.elaborate.control import Control
from netspec.elaborate.dtypes import input_dtype
from netspec.elaborate.evaluate import Poisoned, evaluate
from netspec.elaborate.frame import POISON, Frame, first_line, named_tensor
from netspec.elaborate.naming import join, stage_paths
from netspec.elaborate.outputs import learned_tensor, several_outputs
from netspec.elaborate.shapes import (
    check_checkpoint,
    given_shape,
    learned_init,
    learned_shape,
    shape_literal,
    symbol_sizes,
)
from netspec.elaborate.stages import Stages
from netspec.elaborate.state import NetworkState
from netspec.errors import CompileError, error
from netspec.ir import Statement
from netspec.source import Span
from netspec.symbolic import SIZES
from netspec.syntax import ast
from netspec.values import Shape


class Statements:
    """Elaborates bodies, statement by statement, into the shared state."""

    def __init__(self, state: NetworkState):
        self.state = state
        self.stages = Stages(state, self.body)
        self.control = Control(state, self.body)

    def body(self, frame: Frame, stmts: tuple[ast.Stmt, ...], top: bool) -> None:
        """Elaborate statements in order; `top` ones become report rows."""
        state = self.state
        for stmt in stmts:
            state.step(frame, stmt.span)
            first = len(state.nodes)
            try:
                name = self.statement(frame, stmt, top)
            except (CompileError, Poisoned) as exc:
                _fail(state, frame, stmt, exc)
                continue
            # a param's row shows the learned tensor; the stream passes it by
            made = frame.scope.bindings[name] if isinstance(stmt, ast.ParamStmt) else frame.stream
            if top and name is not None and made is not None:
                state.statements.append(
                    Statement(name, stmt.span, first, len(state.nodes), made.id, _body(stmt))
                )

    def statement(self, frame: Frame, stmt: ast.Stmt, top: bool) -> str | None:
        """Elaborate one statement; returns its name when it is a report row's."""
        if isinstance(stmt, ast.ChainStmt):
            return self.chain(frame, stmt, top)
        if isinstance(stmt, ast.ParamStmt):
            return self.param(frame, stmt, top)
        if isinstance(stmt, ast.InputStmt):
            self.input(frame, stmt)
        elif isinstance(stmt, ast.LetStmt):
            _let(frame, stmt)
        elif isinstance(stmt, ast.RepeatStmt):
            return self.control.repeat(frame, stmt, top)
        elif isinstance(stmt, ast.IfStmt):
            return self.control.if_(frame, stmt, top)
        elif isinstance(stmt, ast.FromStmt):
            name = ast.Name(stmt.name, _last_word(stmt.span, stmt.name))
            frame.stream = named_tensor(frame.scope, name, "from")
        elif isinstance(stmt, ast.OutputStmt):
            self.output(frame, stmt)
        return None

    def chain(self, frame: Frame, stmt: ast.ChainStmt, top: bool) -> str:
        """`[name =] stage stage ... [-> shape]`: each stage takes the one before's output."""
        paths = stage_paths(frame, stmt, self.state.paths)
        name = ", ".join(n.id for n in stmt.names) or stmt.name or paths[0]
        if top:
            self.state.statement = name
        if stmt.name is not None:
            _claim(frame, stmt.name, stmt.name_span or stmt.span)
        for target in stmt.names[1:]:
            _claim(frame, target.id, target.span)
        parts: list = []
        x, poisoned, problems = frame.stream, None, []
        for stage, path in zip(stmt.stages, paths, strict=False):
            # a stage after a failed one is still checked for its own mistakes (an
            # unknown op, a misspelt argument): its input is poisoned, not its text. After
            # an unknown name the rest may be a misread statement (`form a`): stop there.
            try:
                if stmt.names and stage is stmt.stages[-1]:  # `a, b = chunk(2)`
                    parts = several_outputs(self.stages, frame, stage, _part_paths(frame, stmt), x)
                    x = parts[0]
                    continue
                x = self.stages.stage(frame, stage, path, x)
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
        if stmt.checkpoint is not None and self.state.checkpoints:
            check_checkpoint(frame.scope, stmt.checkpoint, x)
        frame.stream = x
        if stmt.name is not None:
            frame.scope.bindings[stmt.name] = x
        for target, tensor in zip(stmt.names, parts, strict=False):
            frame.scope.bindings[target.id] = tensor
        return name

    def param(self, frame: Frame, stmt: ast.ParamStmt, top: bool) -> str:
        """`param name: [dims] = init`: a learned tensor, bound to `name`; the stream
        passes it by."""
        _claim(frame, stmt.name, stmt.span)
        if top:
            self.state.statement = stmt.name
        shape = learned_shape(frame.scope, stmt.dims)
        init = 0.0 if stmt.init is None else learned_init(frame.scope, stmt.init)
        path = join(frame.prefix, stmt.name + frame.suffix)
        tensor = learned_tensor(self.state, frame, path, shape, init, stmt)
        frame.scope.bindings[stmt.name] = tensor
        return stmt.name

    def input(self, frame: Frame, stmt: ast.InputStmt) -> None:
        """`input x: [dims]` declares a network input; the first one starts the stream."""
        if not frame.top:
            raise error(
                "E-input",
                "inputs are declared at the top level of a network",
                stmt.span,
                "a block's input is `in`; pass other tensors as block arguments",
            )
        _claim(frame, stmt.name, stmt.span)
        shape = shape_literal(frame.scope, stmt.dims, "input shape")
        if stmt.name in self.state.given:
            declared = shape
            shape = given_shape(stmt.name, shape, self.state.given[stmt.name], stmt.dims.span)
            # a symbol the spec declared (N) is now the size given: `-> [N, 10]`, a later
            # `input y: [N, 10]` and `reshape([N, -1])` read it
            frame.scope.bindings.update(symbol_sizes(stmt.name, declared, shape, stmt.dims.span))
        shape = _sized(frame, shape)
        dtype = input_dtype(stmt)
        tensor = self.state.new_tensor(shape, stmt.dims.span, frame)
        if dtype != "float32":
            self.state.dtypes[tensor.id] = dtype
        self.state.inputs.append((stmt.name, tensor.id))
        frame.scope.bindings[stmt.name] = tensor
        if frame.stream is None:
            frame.stream = tensor

    def output(self, frame: Frame, stmt: ast.OutputStmt) -> None:
        """`output a, b` declares the network's outputs by name."""
        if not frame.top:
            raise error(
                "E-input",
                "outputs are declared at the top level of a network",
                first_line(stmt.span),
                "a block's output is its final stream",
            )
        outputs = self.state.outputs
        for name in stmt.names:
            tensor = named_tensor(frame.scope, name, "output")
            if any(name.id == other for other, _ in outputs):
                raise error(
                    "E-dup",
                    f"'{name.id}' is declared an output twice",
                    name.span,
                    "list each output once",
                )
            outputs.append((name.id, tensor.id))


def _part_paths(frame: Frame, stmt: ast.ChainStmt) -> list[str]:
    """`a, b = chunk(2)`: each part's path is its name, in the statement's scope."""
    return [join(frame.prefix, n.id + frame.suffix) for n in stmt.names]


def _fail(state: NetworkState, frame: Frame, stmt: ast.Stmt, exc: Exception) -> None:
    """Collect a statement's error; poison its stream and the name it would bind."""
    if isinstance(exc, CompileError):
        state.diags.extend(d if d.chain else d.with_chain(frame.chain) for d in exc.diagnostics)
    if isinstance(stmt, (ast.ChainStmt, ast.RepeatStmt, ast.IfStmt, ast.FromStmt)):
        frame.stream = POISON
    elif isinstance(stmt, ast.InputStmt) and frame.stream is None:
        frame.stream = POISON  # the stream would have started here
    name = getattr(stmt, "name", None)
    if isinstance(name, str):
        frame.scope.bindings[name] = POISON
    for target in getattr(stmt, "names", ()):
        frame.scope.bindings[target.id] = POISON


def _let(frame: Frame, stmt: ast.LetStmt) -> None:
    """`let name = value` binds a compile-time value in this scope."""
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


def _claim(frame: Frame, name: str, span: Span) -> None:
    """Bind `name` to the statement at `span` in this scope, unless another has it."""
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


def _last_word(span: Span, word: str) -> Span:
    """The span of `word` when it ends `span` on one line (`from name`); else `span`."""
    if span.line != span.end_line or not span.text().endswith(word):
        return span
    return Span(span.source, span.line, span.end_column - len(word), span.line, span.end_column)


def _body(stmt: ast.Stmt) -> Span:
    """The part of a statement a report row shows: a chain's stages, else all of it."""
    if isinstance(stmt, ast.ChainStmt):
        return stmt.stages[0].span.until(stmt.stages[-1].span)
    return stmt.span


def _sized(frame: Frame, shape: Shape) -> Shape:
    """The named sizes past the batch axis as netspec.elaborate.symbolic wants them while
    it elaborates (a traced size, bound to its name so `-> [N, 64, H, W]` reads it)."""
    sized = SIZES.get()
    if sized is None:
        return shape
    dims = []
    for i, d in enumerate(shape):
        if i >= 1 and isinstance(d, str):
            d = sized(d)
            if not isinstance(d, str):
                frame.scope.bindings[shape[i]] = d
        dims.append(d)
    return tuple(dims)
