"""Compile-time control flow: `repeat` and `if` (used by :mod:`netspec.elaborate.statements`).

Assumes a :class:`~netspec.elaborate.state.NetworkState` and a callback that elaborates
a nested body, both given to :class:`Control`. Guarantees a repeat elaborates its body
`count` times (each copy counted against MAX_STEPS, the projected layer count checked
against MAX_LAYERS after the first copy, counting for the other copies what each makes
at least: :mod:`netspec.elaborate.estimate`), its errors reported once per source
position and its copies stopped once two in a row fail identically
(:mod:`netspec.elaborate.copies`); an if elaborates exactly one branch; both return
the statement's automatic name, set as the current statement when at the top.
"""

from __future__ import annotations

from netspec.elaborate.copies import Copies
from netspec.elaborate.estimate import LayerFloor
from netspec.elaborate.evaluate import Scope, evaluate
from netspec.elaborate.frame import Frame, limit
from netspec.elaborate.naming import auto_name
from netspec.elaborate.operators import shown
from netspec.elaborate.state import ElaborateBody, NetworkState
from netspec.errors import error
from netspec.limits import MAX_LAYERS, MAX_REPEAT
from netspec.syntax import ast
from netspec.values import is_int, pinned, type_name


class Control:
    """Elaborates `repeat` and `if` statements into the shared state."""

    def __init__(self, state: NetworkState, body: ElaborateBody):
        self.state = state
        self.body = body
        self.floor = LayerFloor(state.program)

    def repeat(self, frame: Frame, stmt: ast.RepeatStmt, top: bool) -> str:
        """`repeat n [as i] { ... }`: the body n times in the frame's scope."""
        state = self.state
        count = _count(frame, stmt.count)
        name = auto_name(frame, "repeat", state.paths)
        if top:
            state.statement = name
        suffix = frame.suffix
        if stmt.var is not None and stmt.var in frame.bound_by:
            raise error(
                "E-dup",
                f"'{stmt.var}' already names a tensor in this scope",
                stmt.span,
                "give the repeat index another name: repeat n as i { ... }",
                notes=[f"first defined at {frame.bound_by[stmt.var].location}"],
            )
        copies = Copies(state, frame, stmt, count)
        for i in range(count):
            state.step(frame, stmt.span)
            before, first = len(state.nodes), len(state.diags)
            if stmt.var is not None:
                frame.scope.bindings[stmt.var] = i
            frame.suffix = f"{suffix}.{i}"
            try:
                self.body(frame, stmt.body, False)
            finally:
                frame.suffix = suffix
                raised = copies.collect(i, first)
            per_copy = len(state.nodes) - before
            if i == 0 and len(state.nodes) + per_copy * (count - 1) > MAX_LAYERS:
                self._check_size(frame, stmt, count, per_copy)
            if copies.stalled(raised, len(state.diags) - first, per_copy):
                if stmt.var is not None:  # as after the last copy
                    frame.scope.bindings[stmt.var] = count - 1
                break
        return name

    def _check_size(self, frame: Frame, stmt: ast.RepeatStmt, count: int, first: int) -> None:
        """Refuse a repeat whose copies after the `first` layers of the first would take
        the network over MAX_LAYERS; later copies may make fewer (`if i == 0 { ... }`),
        so they count what every copy makes at least."""
        scope = Scope({}, frame.scope)  # the bound rebinds names: not in the real scope
        each = min(first, self.floor.copy(stmt, scope, len(frame.active)))
        total = len(self.state.nodes) + each * (count - 1)
        if total > MAX_LAYERS:
            raise limit(
                f"repeat {count} would make about {total:,} layers, over the limit of "
                f"{MAX_LAYERS:,}",
                stmt.count.span,
                frame,
            )

    def if_(self, frame: Frame, stmt: ast.IfStmt, top: bool) -> str:
        """`if cond { ... } else { ... }`: the branch the condition picks."""
        cond = evaluate(stmt.cond, frame.scope)
        if not isinstance(cond, bool):
            example = f"`if {stmt.cond.span.text()} != 0`" if is_int(cond) else "`if x.c == 64`"
            raise error(
                "E-type",
                f"if needs a boolean condition, got {type_name(cond)} ({shown(stmt.cond, cond)})",
                stmt.cond.span,
                f"compare to get a boolean, e.g. {example}",
            )
        name = auto_name(frame, "if", self.state.paths)
        if top:
            self.state.statement = name
        self.body(frame, stmt.then if cond else stmt.orelse, False)
        return name


def _count(frame: Frame, expr: ast.Expr) -> int:
    """The repeat count: an integer from 0 to MAX_REPEAT."""
    count = pinned(evaluate(expr, frame.scope))  # the copies are structure
    if not is_int(count):
        raise error(
            "E-type",
            f"repeat needs an integer count, got {type_name(count)} ({shown(expr, count)})",
            expr.span,
            "use // for integer division",
        )
    if count < 0:
        raise error(
            "E-value",
            f"repeat needs a count >= 0, got {shown(expr, count)}",
            expr.span,
            "repeat 0 { ... } is allowed and repeats nothing",
        )
    if count > MAX_REPEAT:
        raise limit(f"repeat {count} exceeds the limit of {MAX_REPEAT:,} copies", expr.span, frame)
    return count
