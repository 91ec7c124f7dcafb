"""A lower bound on the layers a block call or a repeat's copy makes, so that a network
far over MAX_LAYERS is refused before it is elaborated, and only then (used by
:mod:`netspec.elaborate.blocks` and :mod:`netspec.elaborate.control`).

Assumes the program's blocks and the evaluator of :mod:`netspec.elaborate.evaluate`.
What cannot be known without elaborating is poisoned
(:data:`~netspec.elaborate.frame.POISON`): a block's input below the call, a tensor a
statement makes, a name a repeat or an undecided `if` may rebind, an expression that
fails; reading a poisoned value makes a count unknown. Guarantees
:meth:`LayerFloor.block` is at most the number of layers the call makes when it
elaborates without error (:meth:`LayerFloor.copy`: than any copy of the repeat makes):
an op counts one, a merge one plus its branches, a block call
its body, `repeat` its count times its body (nothing when the count is unknown), `if`
its branch (the smaller when the condition is unknown). Memoized per block, arguments
and input shape, so a tree of 4 calls x 12 levels is bounded in milliseconds rather
than elaborated to its MAX_LAYERS-th layer; at most 4 x MAX_LAYERS statements are visited per
network (what is past them counts nothing).
"""

from __future__ import annotations

from netspec.elaborate.binding import MISSING, Formal, Lazy, bind
from netspec.elaborate.evaluate import Scope, evaluate
from netspec.elaborate.frame import POISON
from netspec.elaborate.program import Program
from netspec.errors import CompileError
from netspec.limits import MAX_BLOCK_DEPTH, MAX_LAYERS, MAX_REPEAT
from netspec.ops import REGISTRY
from netspec.syntax import ast
from netspec.values import Tensor, is_int

CAP = MAX_LAYERS * MAX_REPEAT  # far over the limit; keeps the numbers small


class LayerFloor:
    """Lower bounds on the layers of block calls, memoized for one network."""

    def __init__(self, program: Program):
        self.program = program
        self.memo: dict[tuple, int] = {}
        self.active: list[str] = []  # blocks being bounded (a cycle counts nothing)
        # Statements visited, at most: calls whose arguments differ everywhere in a big
        # tree cannot be memoized; past this the bound is what was counted so far.
        self.budget = 4 * MAX_LAYERS

    def block(self, block: ast.BlockDef, values: dict[str, object], x: Tensor, depth: int) -> int:
        """At most the layers of `block` called with `values` on `x`, `depth` calls deep."""
        if block.name in self.active or depth >= MAX_BLOCK_DEPTH:
            return 0  # the elaboration reports E-recursion or its nesting limit
        try:
            key: tuple | None = (block.name, tuple(values.items()), x.shape)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self.memo:
            return self.memo[key]
        self.active.append(block.name)
        try:
            scope = Scope({**values, "in": x}, self.program.globals)
            count = self.body(block.body, scope, depth)
        finally:
            self.active.pop()
        if key is not None:
            self.memo[key] = count
        return count

    def body(self, stmts: tuple[ast.Stmt, ...], scope: Scope, depth: int) -> int:
        total = 0
        for stmt in stmts:
            if self.budget <= 0:
                break
            self.budget -= 1
            total = min(total + self.statement(stmt, scope, depth), CAP)
        return total

    def statement(self, stmt: ast.Stmt, scope: Scope, depth: int) -> int:
        if isinstance(stmt, ast.ChainStmt):
            count = sum(self.stage(stage, scope, depth) for stage in stmt.stages)
            for name in (stmt.name, *(n.id for n in stmt.names)):
                if name is not None:
                    scope.bindings[name] = POISON
            return count
        if isinstance(stmt, ast.ParamStmt):
            scope.bindings[stmt.name] = POISON
            return 1
        if isinstance(stmt, ast.LetStmt):
            scope.bindings[stmt.name] = self.value(stmt.value, scope)
        elif isinstance(stmt, ast.InputStmt):
            scope.bindings[stmt.name] = POISON
        elif isinstance(stmt, ast.RepeatStmt):
            return self.repeat(stmt, scope, depth)
        elif isinstance(stmt, ast.IfStmt):
            return self.if_(stmt, scope, depth)
        return 0

    def copy(self, stmt: ast.RepeatStmt, scope: Scope, depth: int) -> int:
        """At most the layers of any one copy of a repeat elaborated in `scope` (which
        it changes as the copy would, the names the body binds left unknown)."""
        # Copies start from different values of the names the body binds: bound the
        # body with those unknown, the same bound for every copy.
        _poison(scope, _bound(stmt.body) | ({stmt.var} if stmt.var else set()))
        return self.body(stmt.body, scope, depth)

    def repeat(self, stmt: ast.RepeatStmt, scope: Scope, depth: int) -> int:
        count = self.value(stmt.count, scope)
        each = self.copy(stmt, scope, depth)
        _poison(scope, _bound(stmt.body))  # a repeat 0 left the old values
        if not is_int(count) or not 0 <= count <= MAX_REPEAT:
            return 0
        return min(count * each, CAP)

    def if_(self, stmt: ast.IfStmt, scope: Scope, depth: int) -> int:
        cond = self.value(stmt.cond, scope)
        if isinstance(cond, bool):
            return self.body(stmt.then if cond else stmt.orelse, scope, depth)
        names = _bound(stmt.then) | _bound(stmt.orelse)
        counts = []
        for branch in (stmt.then, stmt.orelse):
            _poison(scope, names)
            counts.append(self.body(branch, scope, depth))
        _poison(scope, names)
        return min(counts)

    def stage(self, stage: ast.Stage, scope: Scope, depth: int) -> int:
        block = self.program.blocks.get(stage.name)
        if block is not None:
            values = self.arguments(block, stage, scope)
            return 0 if values is None else self.block(block, values, POISON, depth + 1)
        op = REGISTRY.get(stage.name)
        if op is None:
            return 0
        if op.merge and stage.branches:
            branches = (self.body(b.body, Scope({}, scope), depth) for b in stage.branches)
            return min(1 + sum(branches), CAP)
        return 1

    def arguments(
        self, block: ast.BlockDef, stage: ast.Stage, scope: Scope
    ) -> dict[str, object] | None:
        """The call's arguments, poisoned where unknown; None when they do not bind."""
        globals_ = self.program.globals

        def default(expr: ast.Expr) -> Lazy:
            return Lazy(lambda bound: self.value(expr, Scope({**bound, "in": POISON}, globals_)))

        formals = [
            Formal(p.name, MISSING if p.default is None else default(p.default))
            for p in block.params
        ]
        try:
            values, _ = bind(
                block.name,
                "block",
                formals,
                stage.args,
                stage.span,
                lambda _, e: self.value(e, scope),
            )
        except CompileError:
            return None
        return values

    def value(self, expr: ast.Expr, scope: Scope) -> object:
        """The value of `expr`, or POISON when it reads an unknown or fails."""
        try:
            return evaluate(expr, scope)
        except Exception:  # any failure only makes the bound smaller
            return POISON


def _poison(scope: Scope, names: set[str]) -> None:
    for name in names:
        scope.bindings[name] = POISON


def _bound(body: tuple[ast.Stmt, ...]) -> set[str]:
    """Names a body binds in its scope, in its repeat and if bodies too."""
    names: set[str] = set()
    for stmt in body:
        name = getattr(stmt, "name", None)  # let, input, param, a named chain; from none
        if isinstance(name, str) and not isinstance(stmt, ast.FromStmt):
            names.add(name)
        if isinstance(stmt, ast.ChainStmt):
            names.update(n.id for n in stmt.names)
        if isinstance(stmt, ast.RepeatStmt):
            names |= _bound(stmt.body) | ({stmt.var} if stmt.var else set())
        elif isinstance(stmt, ast.IfStmt):
            names |= _bound(stmt.then) | _bound(stmt.orelse)
    return names
