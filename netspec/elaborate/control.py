"""Compile-time control flow: `repeat` and `if` (the part of NetworkBuilder that
expands bodies; used only by :mod:`netspec.elaborate.network`).

Assumes the host class provides the builder state (`nodes`, `paths`, `steps`,
`statement`) and `body`, `limit`. Guarantees a repeat elaborates its body `count` times
(each copy counted against MAX_STEPS, the projected layer count checked against
MAX_LAYERS after the first copy) and an if elaborates exactly one branch.
"""

from __future__ import annotations

from netspec.elaborate.evaluate import evaluate, shown
from netspec.elaborate.frame import Frame, first_line
from netspec.elaborate.naming import auto_name
from netspec.errors import error
from netspec.limits import MAX_LAYERS, MAX_REPEAT, MAX_STEPS
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import is_int, type_name


class ControlBuilder:
    def _step(self, frame: Frame, span: Span) -> None:
        """Count one statement or repeat copy against MAX_STEPS (empty bodies count too)."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.limit(
                f"more than {MAX_STEPS:,} statements to elaborate (repeats multiply them)",
                first_line(span),
                frame,
                "reduce the repeat counts; netspec refuses networks this large",
            )

    def repeat(self, frame: Frame, stmt: ast.RepeatStmt, top: bool) -> str:
        count = self._count(frame, stmt.count)
        name = self._auto(frame, "repeat")
        if top:
            self.statement = name
        suffix = frame.suffix
        if stmt.var is not None and stmt.var in frame.bound_by:
            raise error(
                "E-dup",
                f"'{stmt.var}' already names a tensor in this scope",
                stmt.span,
                "give the repeat index another name: repeat n as i { ... }",
                notes=[f"first defined at {frame.bound_by[stmt.var].location}"],
            )
        for i in range(count):
            self._step(frame, stmt.span)
            before = len(self.nodes)
            if stmt.var is not None:
                frame.scope.bindings[stmt.var] = i
            frame.suffix = f"{suffix}.{i}"
            try:
                self.body(frame, stmt.body, top=False)
            finally:
                frame.suffix = suffix
            per_copy = len(self.nodes) - before
            if i == 0 and len(self.nodes) + per_copy * (count - 1) > MAX_LAYERS:
                raise self.limit(
                    f"repeat {count} would make about "
                    f"{before + per_copy * count:,} layers, over the limit of "
                    f"{MAX_LAYERS:,}",
                    stmt.count.span,
                    frame,
                )
        return name

    def _count(self, frame: Frame, expr: ast.Expr) -> int:
        count = evaluate(expr, frame.scope)
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
            raise self.limit(
                f"repeat {count} exceeds the limit of {MAX_REPEAT:,} copies", expr.span, frame
            )
        return count

    def if_(self, frame: Frame, stmt: ast.IfStmt, top: bool) -> str:
        cond = evaluate(stmt.cond, frame.scope)
        if not isinstance(cond, bool):
            example = f"`if {stmt.cond.span.text()} != 0`" if is_int(cond) else "`if x.c == 64`"
            raise error(
                "E-type",
                f"if needs a boolean condition, got {type_name(cond)} ({shown(stmt.cond, cond)})",
                stmt.cond.span,
                f"compare to get a boolean, e.g. {example}",
            )
        name = self._auto(frame, "if")
        if top:
            self.statement = name
        self.body(frame, stmt.then if cond else stmt.orelse, top=False)
        return name

    def _auto(self, frame: Frame, word: str) -> str:
        return auto_name(frame, word, self.paths)
