"""One network body -> one Graph (used by :mod:`netspec.elaborate.networks`).

Assumes a resolved :class:`~netspec.elaborate.program.Program`, one of its networks
and that network's parameter values. Guarantees :func:`build_network` returns the
network's :class:`~netspec.ir.Graph`, or raises a CompileError with every statement
error in source order (a limit, E-limit with the block call chain, stops at once and
comes after the errors found before it). It creates the network's
:class:`~netspec.elaborate.state.NetworkState`, elaborates the body with
:class:`~netspec.elaborate.statements.Statements` (which hands stages to ``stages``,
block calls to ``blocks``, repeat and if to ``control``) and freezes the state into
the graph, naming the default output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from netspec.elaborate.evaluate import Scope
from netspec.elaborate.frame import Abort, Frame
from netspec.elaborate.layout import indent_warnings
from netspec.elaborate.naming import definition_name_span, statement_names
from netspec.elaborate.program import Program
from netspec.elaborate.state import Mark, NetworkState
from netspec.elaborate.statements import Statements
from netspec.errors import CompileError, Partial, error
from netspec.ir import BlockCall, Graph, Node, Statement, freeze
from netspec.limits import MAX_BLOCK_DEPTH
from netspec.source import Span
from netspec.syntax import ast
from netspec.values import Tensor


def build_network(
    program: Program,
    net: ast.NetworkDef,
    parameters: dict[str, object],
    given: Mapping[str, object] | None = None,
    checkpoints: bool = True,
) -> Graph:
    """Elaborate the body of `net` with its parameters bound to `parameters` and the
    inputs named in `given` of the shapes given."""
    state = NetworkState(program, net, parameters, given=dict(given or {}))
    state.checkpoints = checkpoints
    scope = Scope(parameters, program.globals)
    frame = Frame(scope, "", None, top=True, reserved=statement_names(net.body))
    statements = Statements(state)
    try:
        statements.body(frame, net.body, frame.top)
    except Abort as abort:
        # a limit stops mid-statement: its layers so far are not worth analysing
        partial = _partial(state, state.clean)
        raise CompileError([*state.diags, *abort.exc.diagnostics], partial) from None
    except RecursionError:
        raise error(
            "E-limit",
            "the network nests too deeply to elaborate",
            definition_name_span(net.span, net.name),
            f"block calls may nest at most {MAX_BLOCK_DEPTH} deep; flatten the "
            "nesting of merges, repeats and ifs inside blocks",
        ) from None
    if not state.diags and not state.inputs:
        state.diags.append(
            error(
                "E-input",
                f"network '{net.name}' declares no input",
                definition_name_span(net.span, net.name),
                "add `input x: [N, 3, 224, 224]` first",
            ).diagnostics[0]
        )
    if state.diags:
        raise CompileError(state.diags, _partial(state, state.after))
    return _graph(state, frame)


def _graph(state: NetworkState, frame: Frame) -> Graph:
    """The finished state, frozen."""
    return Graph(
        state.net.name,
        freeze(state.parameters),
        tuple(state.inputs),
        tuple(_outputs(state, frame)),
        tuple(state.shapes),
        tuple(state.nodes),
        tuple(state.statements),
        state.net.span,
        tuple(state.calls),
        tuple(_layout_warnings(state)),
        dtypes=freeze(state.dtypes),
    )


def _layout_warnings(state: NetworkState) -> list:
    """W-indent in the network's body and the blocks it called, each block once."""
    called = dict.fromkeys(c.block for c in state.calls)
    blocks = [state.program.blocks[b].body for b in called if b in state.program.blocks]
    return indent_warnings([state.net.body, *blocks])


def _partial(state: NetworkState, end: Mark | None) -> list[Partial]:
    """The network as far as its first error: the top-level statements before the one
    that failed, then that one as a row with the layers it made up to `end` (the state
    when the next statement began; None: when elaboration ended). [] before any input."""
    clean = state.clean
    if clean is None or clean.inputs == 0:
        return []
    calls = state.calls[: len(state.calls) if end is None else end.calls]
    made = _in_finished_calls(
        state.nodes[clean.nodes : len(state.nodes) if end is None else end.nodes], calls
    )
    nodes = clean.nodes + len(made)
    stream = made[-1].output if made else clean.stream.id if clean.stream else None
    if stream is None:  # not expected: an input starts the stream
        return []
    stmt = next(s for s in state.net.body if (s.span.line, s.span.column) == clean.where)
    names = ", ".join(n.id for n in getattr(stmt, "names", ()))  # `a, b = chunk(2)`
    failed = made[0].statement if made else names or _first_word(stmt.span)
    chain = isinstance(stmt, ast.ChainStmt)
    body = stmt.stages[0].span.until(stmt.stages[-1].span) if chain else stmt.span
    row = Statement(failed, stmt.span, clean.nodes, nodes, stream, body)
    graph = Graph(
        state.net.name,
        freeze(state.parameters),
        tuple(state.inputs[: clean.inputs]),
        ((failed, stream),),
        tuple(state.shapes[: len(state.shapes) if end is None else end.shapes]),
        tuple(state.nodes[:nodes]),
        (*state.statements[: clean.statements], row),
        state.net.span,
        tuple(calls),
        dtypes=freeze(state.dtypes),
    )
    return [Partial(graph, failed)]


def _in_finished_calls(made: list[Node], calls: list[BlockCall]) -> list[Node]:
    """The layers of `made` up to the first inside a block call that never finished: a
    call is known (and can be reported and drawn) only once it has returned."""
    finished = {c.path for c in calls}
    for index, node in enumerate(made):
        if any(site.path not in finished for site in node.chain):
            return made[:index]
    return made


def _first_word(span: Span) -> str:
    """The name of a failed statement that made no layer: its first word as written."""
    found = re.match(r"\w+", span.source.line(span.line)[span.column - 1 :])
    return found[0] if found else "statement"


def _outputs(state: NetworkState, frame: Frame) -> list[tuple[str, int]]:
    """The declared outputs, else the final stream."""
    if state.outputs:
        return state.outputs
    if frame.stream is None:
        return []
    return [(_name_of(state, frame, frame.stream), frame.stream.id)]


def _name_of(state: NetworkState, frame: Frame, tensor: Tensor) -> str:
    """The default output's name: the statement or binding that made it, else 'output'."""
    for statement in reversed(state.statements):
        if statement.output == tensor.id:
            return statement.name
    for name, value in frame.scope.bindings.items():
        if isinstance(value, Tensor) and value.id == tensor.id:
            return name
    return "output"
