"""AST -> graph IR: consts, defaults, blocks and networks resolved into flat graphs.

Assumes a parsed :class:`netspec.ast.Module`. Guarantees one :class:`netspec.ir.Graph`
per network, every shape inferred and checked, or a CompileError holding every
independent error found (an error poisons only what depends on it). Network
parameters can be overridden (``--set classes=10``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from netspec import ast
from netspec._naming import definition_name_span
from netspec._network import NetworkBuilder
from netspec.errors import (
    MAX_INT,
    MAX_LIST,
    CompileError,
    Diagnostic,
    deep_recursion,
    did_you_mean,
    error,
)
from netspec.evaluate import Scope, evaluate, shown
from netspec.ir import Graph
from netspec.ops import REGISTRY
from netspec.ops.base import OpError, suggest_op
from netspec.ops.kinds import check_value
from netspec.values import show_value


@dataclass
class Program:
    """The module's top-level definitions, resolved and validated."""

    module: ast.Module
    globals: Scope
    blocks: dict[str, ast.BlockDef]
    defaults: dict[str, dict[str, object]]
    networks: dict[str, ast.NetworkDef]


def resolve(module: ast.Module) -> Program:
    """Check and evaluate consts, defaults and names of blocks and networks."""
    diags: list[Diagnostic] = []
    program = Program(module, Scope(), {}, {}, {})
    seen: dict[str, ast.Item] = {}
    for item in module.items:
        try:
            _define(program, item, seen)
        except CompileError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise CompileError(diags)
    if not program.networks:
        raise error(
            "E-network",
            "this file defines no network",
            module.span,
            "add `network Name { input x: [N, 3, 32, 32] ... }`",
        )
    return program


def _define(program: Program, item: ast.Item, seen: dict[str, ast.Item]) -> None:
    name = item.op if isinstance(item, ast.DefaultsDef) else item.name
    if isinstance(item, ast.DefaultsDef):
        program.defaults[item.op] = _defaults(program, item)
        return
    if name == "in":
        raise error(
            "E-dup",
            "'in' is reserved: inside a block it names the block's input",
            definition_name_span(item.span, name),
            "choose another name",
        )
    if name in seen:
        first = definition_name_span(seen[name].span, name)
        raise error(
            "E-dup",
            f"'{name}' is defined twice",
            definition_name_span(item.span, name),
            "rename one of them, or delete the one you do not want",
            notes=[f"first defined at {first.location}"],
        )
    if name in REGISTRY and not isinstance(item, ast.ConstDef):
        kind = "block" if isinstance(item, ast.BlockDef) else "network"
        raise error(
            "E-dup",
            f"'{name}' is the name of a built-in op",
            definition_name_span(item.span, name),
            f"choose another name for the {kind}",
        )
    seen[name] = item
    if isinstance(item, ast.ConstDef):
        program.globals.bindings[name] = evaluate(item.value, program.globals)
    elif isinstance(item, ast.BlockDef):
        _check_params(item.params)
        program.blocks[name] = item
    else:
        _check_params(item.params)
        program.networks[name] = item


def _check_params(params: tuple[ast.Param, ...]) -> None:
    names: set[str] = set()
    for p in params:
        if p.name in names:
            raise error(
                "E-dup",
                f"parameter '{p.name}' is declared twice",
                p.span,
                "remove one of them, or rename it",
            )
        names.add(p.name)


def _defaults(program: Program, item: ast.DefaultsDef) -> dict[str, object]:
    op = REGISTRY.get(item.op)
    if op is None:
        hint = (
            suggest_op(item.op)
            or did_you_mean(item.op, REGISTRY)
            or ("defaults apply to built-in ops, not blocks")
        )
        raise error("E-op", f"unknown op '{item.op}'", item.op_span, hint)
    params = {p.name: p for p in op.params}
    out = dict(program.defaults.get(item.op, {}))
    for arg in item.args:
        if arg.name is None:
            raise error(
                "E-arg",
                "defaults take key=value arguments only",
                arg.span,
                _defaults_example(item.op, op.params),
            )
        if arg.name not in params:
            raise error(
                "E-arg",
                f"{item.op} has no parameter '{arg.name}'",
                arg.span,
                did_you_mean(arg.name, params) or "its parameters: " + ", ".join(params),
            )
        value = evaluate(arg.value, program.globals)
        try:
            out[arg.name] = check_value(params[arg.name], value, shown(arg.value, value))
        except OpError as exc:
            raise error(exc.code, exc.message, arg.value.span, exc.help) from None
    return out


def elaborate(
    module: ast.Module,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
) -> list[Graph]:
    """Elaborate every network of the module (or the one named) into graphs."""
    with deep_recursion():
        program = resolve(module)
        names = [network] if network is not None else list(program.networks)
        if network is not None and network not in program.networks:
            raise _unknown_network(program, network)
        graphs, diags = [], []
        for name in names:
            try:
                graphs.append(_network(program, program.networks[name], overrides or {}))
            except CompileError as exc:
                diags.extend(exc.diagnostics)
        if diags:
            raise CompileError(diags)
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


def _network(program: Program, net: ast.NetworkDef, overrides: Mapping[str, object]) -> Graph:
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
    return NetworkBuilder(program, net, values).build()


def _override(net: ast.NetworkDef, param: ast.Param, value: object) -> object:
    """A --set value, if it is one the language can write (numbers, booleans, strings, lists)."""
    if not _writable(value):
        raise error(
            "E-network",
            f"--set {param.name}: {value!r} is not a netspec value",
            param.span,
            "give an integer, a finite number, true/false, a string or a list of these",
            label=f"parameter of network '{net.name}'",
        )
    return value


def _writable(value: object) -> bool:
    if isinstance(value, tuple):
        return len(value) <= MAX_LIST and all(_writable(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= MAX_INT
    return value is None or isinstance(value, (bool, str))


def _defaults_example(op: str, params) -> str:
    optional = [p for p in params if not p.required]
    if not optional:
        return f"{op} has no parameters with defaults"
    return f"e.g. defaults {op}({optional[0].name}={show_value(optional[0].default)})"
