"""The shared state of one network's elaboration, as one explicit, typed object.

Assumes a resolved :class:`~netspec.elaborate.program.Program`, the network's
definition and its parameter values. Guarantees one :class:`NetworkState` per network
holding everything its elaboration accumulates (tensor shapes, layers, diagnostics,
paths in use, inputs, outputs, report rows, block calls, the current top-level
statement's name, the statement count, and :class:`Mark` s of how far it had got when
the first error came), with the operations that keep it within the limits:
:meth:`NetworkState.new_tensor` (MAX_ELEMENTS) and :meth:`NetworkState.step`
(MAX_STEPS), both raising :class:`~netspec.elaborate.frame.Abort`; ``step`` also asks
:data:`STOP`, where a caller set it, whether to give up (:class:`Cancelled`: the
language server's newer keystroke). The parts that fill
it (``statements``, ``stages``, ``blocks``, ``control``) receive it explicitly, with an
:data:`ElaborateBody` callback where they elaborate a nested body.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NamedTuple

from netspec.elaborate.frame import Frame, first_line, limit
from netspec.elaborate.program import Program
from netspec.errors import Diagnostic
from netspec.ir import BlockCall, Node, Statement
from netspec.limits import MAX_ELEMENTS, MAX_STEPS
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import Shape, Tensor, numel, show_shape

# Asked before each statement: True gives up the elaboration (raises Cancelled). A
# context variable, so that one thread's request never stops another's.
STOP: ContextVar[Callable[[], bool] | None] = ContextVar("netspec_stop", default=None)


class Cancelled(Exception):
    """The elaboration was given up because STOP said so; nothing of it is kept."""


class Mark(NamedTuple):
    """How much of the state existed when a top-level statement began, and its stream."""

    nodes: int
    statements: int
    shapes: int
    calls: int
    inputs: int
    outputs: int
    stream: Tensor | None
    where: tuple[int, int]  # the statement's line and column


# Elaborate statements in a frame, in order; `top` ones become report rows.
ElaborateBody = Callable[[Frame, tuple[ast.Stmt, ...], bool], None]


@dataclass(eq=False)
class NetworkState:
    """Everything the elaboration of one network has produced so far."""

    program: Program
    net: ast.NetworkDef
    parameters: dict[str, object]
    shapes: list[Shape] = field(default_factory=list)  # indexed by tensor id
    nodes: list[Node] = field(default_factory=list)  # the layers, in order
    diags: list[Diagnostic] = field(default_factory=list)  # collected statement errors
    paths: set[str] = field(default_factory=set)  # layer and scope paths in use
    inputs: list[tuple[str, int]] = field(default_factory=list)
    outputs: list[tuple[str, int]] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)  # top-level report rows
    calls: list[BlockCall] = field(default_factory=list)  # in the order they finished
    learned: set[int] = field(default_factory=set)  # tensor ids of `param`s
    dtypes: dict[int, str] = field(default_factory=dict)  # tensor id -> int64 / bool
    given: dict[str, object] = field(default_factory=dict)  # --input-shape, by input name
    checkpoints: bool = True  # check the `->` checkpoints (netspec sizes may turn them off)
    statement: str = ""  # name of the top-level statement being elaborated
    steps: int = 0  # statements and repeat copies elaborated, against MAX_STEPS
    # The partial report of a failing network: the state when the last top-level
    # statement before the first error began (`clean`), and when the next one began
    # (`after`; None while the failing statement is the last that ran).
    clean: Mark | None = None
    after: Mark | None = None
    tops: frozenset[tuple[int, int]] = frozenset()  # where the top-level statements begin

    def __post_init__(self) -> None:
        self.tops = frozenset((s.span.line, s.span.column) for s in self.net.body)

    def new_tensor(self, shape: Shape, span: Span, frame: Frame | None = None) -> Tensor:
        """A new tensor of `shape`, unless it is over MAX_ELEMENTS per sample."""
        if numel(shape) > MAX_ELEMENTS:
            raise limit(
                f"tensor {show_shape(shape)} has {_magnitude(numel(shape))} elements per "
                f"sample, over the limit of {_magnitude(MAX_ELEMENTS)}",
                span,
                frame,
            )
        self.shapes.append(shape)
        return Tensor(len(self.shapes) - 1, shape)

    def step(self, frame: Frame, span: Span) -> None:
        """Count one statement or repeat copy against MAX_STEPS (empty bodies count too)."""
        self.steps += 1
        stop = STOP.get()
        if stop is not None and stop():
            raise Cancelled
        if (span.line, span.column) in self.tops and self.after is None:
            self._mark(frame, span)
        if self.steps > MAX_STEPS:
            raise limit(
                f"more than {MAX_STEPS:,} statements to elaborate (repeats multiply them)",
                first_line(span),
                frame,
                "reduce the repeat counts; netspec refuses networks this large",
            )

    def _mark(self, frame: Frame, span: Span) -> None:
        mark = Mark(
            len(self.nodes),
            len(self.statements),
            len(self.shapes),
            len(self.calls),
            len(self.inputs),
            len(self.outputs),
            frame.stream,
            (span.line, span.column),
        )
        if not self.diags:
            self.clean = mark
        else:
            self.after = mark


def _magnitude(n: int) -> str:
    """A huge count in a few digits (1e+15); exact ints too big for a float stay exact."""
    return f"{n:.3g}" if n < 10**300 else f"about 10^{len(str(n)) - 1}"
