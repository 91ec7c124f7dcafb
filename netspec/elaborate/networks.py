"""AST -> graph IR: every network of a module elaborated into a flat graph.

Assumes a parsed :class:`netspec.syntax.ast.Module`. Guarantees one
:class:`netspec.ir.Graph` per network, every shape inferred and checked, or a
CompileError holding every independent error found (an error poisons only what depends
on it) and, as its `partial`, each network as far as it got: whole, or up to and
including the top-level statement of its first error. Network parameters can be
overridden (``--set classes=10``), and so can inputs' shapes (``--input-shape
image=[1,3,128,128]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from netspec.elaborate.evaluate import Scope, evaluate
from netspec.elaborate.naming import definition_name_span
from netspec.elaborate.network import build_network
from netspec.elaborate.program import Program, resolve
from netspec.errors import CompileError, Partial, error
from netspec.ir import Graph
from netspec.limits import MAX_INT, MAX_LIST, MAX_NESTING, deep_recursion
from netspec.suggest import did_you_mean
from netspec.syntax import ast


def elaborate(
    module: ast.Module,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
    input_shapes: Mapping[str, object] | None = None,
    checkpoints: bool = True,
) -> list[Graph]:
    """Elaborate every network of the module (or the one named) into graphs; an input
    named in `input_shapes` takes that shape instead of its declared one. Without
    `checkpoints`, the `->` checkpoints are not checked (what the layers alone accept)."""
    with deep_recursion():
        program = resolve(module)
        names = [network] if network is not None else list(program.networks)
        if network is not None and network not in program.networks:
            raise _unknown_network(program, network)
        given = dict(input_shapes or {})
        _known_inputs(program, names, given)
        graphs, diags, partial = [], [], []
        for name in names:
            try:
                net = program.networks[name]
                graphs.append(_network(program, net, overrides or {}, given, checkpoints))
                partial.append(Partial(graphs[-1]))
            except CompileError as exc:
                diags.extend(exc.diagnostics)
                partial.extend(exc.partial)
        if diags:
            raise CompileError(diags, partial)
        return graphs


def _unknown_network(program: Program, network: str) -> CompileError:
    """--network names no network: point at the closest one the file defines."""
    names = list(program.networks)
    close = did_you_mean(network, names)
    best = next((n for n in names if f"'{n}'" in close), names[0])
    span = definition_name_span(program.networks[best].span, best)
    source = program.module.span.source.name
    return error(
        "E-network",
        f"no network named '{network}' in {source}",
        span,
        close or "networks here: " + ", ".join(names),
        label="did you mean this one?" if close else "a network of this file",
    )


def _known_inputs(program: Program, names: list[str], given: Mapping[str, object]) -> None:
    """--input-shape names an input of a network elaborated here, or E-input."""
    inputs = {
        stmt.name: name
        for name in names
        for stmt in program.networks[name].body
        if isinstance(stmt, ast.InputStmt)
    }
    for key in given:
        if key not in inputs:
            net = program.networks[names[0]]
            hint = did_you_mean(key, list(inputs)) or "its inputs: " + ", ".join(inputs)
            raise error(
                "E-input",
                f"--input-shape names '{key}', which is no input of {', '.join(names)}",
                definition_name_span(net.span, net.name),
                hint,
                label="the network whose inputs can be given",
            )


def _network(
    program: Program,
    net: ast.NetworkDef,
    overrides: Mapping[str, object],
    given: Mapping[str, object],
    checkpoints: bool = True,
) -> Graph:
    known = {p.name for p in net.params}
    for key in overrides:
        if key not in known:
            hint = did_you_mean(key, known) or (
                "its parameters: " + ", ".join(sorted(known)) if known else "it has no parameters"
            )
            raise error(
                "E-network",
                f"network '{net.name}' has no parameter '{key}'",
                definition_name_span(net.span, net.name),
                hint,
                label="set with --set",
            )
    values: dict[str, object] = {}
    for p in net.params:
        if p.name in overrides:
            values[p.name] = _override(net, p, overrides[p.name])
        elif p.default is not None:
            values[p.name] = evaluate(p.default, Scope(values, program.globals))
        else:
            raise error(
                "E-arg",
                f"network parameter '{p.name}' has no default",
                p.span,
                f"give it one ({p.name}=...) or pass --set {p.name}=VALUE",
            )
    return build_network(program, net, values, given, checkpoints)


def _override(net: ast.NetworkDef, param: ast.Param, value: object) -> object:
    """A --set value, if it is one the language can write (numbers, booleans, strings, lists)."""
    if _too_deep(value, MAX_NESTING):  # before _writable and repr, which recurse a level each
        raise error(
            "E-network",
            f"--set {param.name}: lists nested more than {MAX_NESTING} deep",
            param.span,
            f"the language's brackets nest at most {MAX_NESTING} deep (MAX_NESTING)",
            label=f"parameter of network '{net.name}'",
        )
    if not _writable(value):
        raise error(
            "E-network",
            f"--set {param.name}: {value!r} is not a netspec value",
            param.span,
            "give an integer, a finite number, true/false, a string or a list of these",
            label=f"parameter of network '{net.name}'",
        )
    return value


def _too_deep(value: object, limit: int) -> bool:
    """Whether tuples nest more than `limit` deep in `value`; a loop, not recursion."""
    level = [value]
    for _ in range(limit + 1):
        level = [v for x in level if isinstance(x, tuple) for v in x]
        if not level:
            return False
    return True


def _writable(value: object) -> bool:
    if isinstance(value, tuple):
        return len(value) <= MAX_LIST and all(_writable(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= MAX_INT
    return value is None or isinstance(value, (bool, str))
