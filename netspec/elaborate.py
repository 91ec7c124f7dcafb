"""AST -> graph IR: consts, defaults, blocks and networks resolved into flat graphs.

Assumes a parsed :class:`netspec.ast.Module`. Guarantees one :class:`netspec.ir.Graph`
per network, every shape inferred and checked, or a CompileError holding every
independent error found (an error poisons only what depends on it). Network
parameters can be overridden (``--set classes=10``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from netspec import ast
from netspec._network import NetworkBuilder
from netspec.errors import CompileError, Diagnostic, did_you_mean, error
from netspec.evaluate import Scope, evaluate
from netspec.ir import Graph
from netspec.ops import REGISTRY
from netspec.ops.base import OpError, check_value


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
        raise error("E-network", "this file defines no network", module.span,
                    "add `network Name { input x: [N, 3, 32, 32] ... }`")
    return program


def _define(program: Program, item: ast.Item, seen: dict[str, ast.Item]) -> None:
    name = item.op if isinstance(item, ast.DefaultsDef) else item.name
    if isinstance(item, ast.DefaultsDef):
        program.defaults[item.op] = _defaults(program, item)
        return
    if name in seen:
        raise error("E-dup", f"'{name}' is defined twice", item.span, "rename one of them",
                    notes=[f"first defined at {seen[name].span.location}"])
    if name in REGISTRY and not isinstance(item, ast.ConstDef):
        raise error("E-dup", f"'{name}' is the name of a built-in op", item.span,
                    "choose another name for the block")
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
            raise error("E-dup", f"parameter '{p.name}' is declared twice", p.span)
        names.add(p.name)


def _defaults(program: Program, item: ast.DefaultsDef) -> dict[str, object]:
    op = REGISTRY.get(item.op)
    if op is None:
        hint = did_you_mean(item.op, REGISTRY) or "defaults apply to built-in ops"
        raise error("E-op", f"unknown op '{item.op}'", item.op_span, hint)
    params = {p.name: p for p in op.params}
    out = dict(program.defaults.get(item.op, {}))
    for arg in item.args:
        if arg.name is None:
            raise error("E-arg", "defaults take key=value arguments only", arg.span,
                        f"e.g. defaults {item.op}({op.params[-1].name if op.params else 'x'}=...)")
        if arg.name not in params:
            raise error("E-arg", f"{item.op} has no parameter '{arg.name}'", arg.span,
                        did_you_mean(arg.name, params))
        value = evaluate(arg.value, program.globals)
        try:
            out[arg.name] = check_value(params[arg.name], value)
        except OpError as exc:
            raise error(exc.code, exc.message, arg.value.span, exc.help) from None
    return out


def elaborate(
    module: ast.Module,
    network: str | None = None,
    overrides: Mapping[str, object] | None = None,
) -> list[Graph]:
    """Elaborate every network of the module (or the one named) into graphs."""
    program = resolve(module)
    names = list(program.networks)
    if network is not None:
        if network not in program.networks:
            raise error("E-network", f"no network named '{network}' in {module.span.source.name}",
                        None, did_you_mean(network, names) or "networks here: " + ", ".join(names))
        names = [network]
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20_000))
    try:
        graphs, diags = [], []
        for name in names:
            try:
                graphs.append(_network(program, program.networks[name], overrides or {}))
            except CompileError as exc:
                diags.extend(exc.diagnostics)
        if diags:
            raise CompileError(diags)
        return graphs
    finally:
        sys.setrecursionlimit(old_limit)


def _network(program: Program, net: ast.NetworkDef, overrides: Mapping[str, object]) -> Graph:
    known = {p.name for p in net.params}
    for key in overrides:
        if key not in known:
            hint = did_you_mean(key, known) or (
                "its parameters: " + ", ".join(sorted(known)) if known else "it has no parameters"
            )
            raise error("E-network", f"network '{net.name}' has no parameter '{key}'", net.span,
                        hint)
    values: dict[str, object] = {}
    for p in net.params:
        if p.name in overrides:
            values[p.name] = overrides[p.name]
        elif p.default is not None:
            values[p.name] = evaluate(p.default, Scope(values, program.globals))
        else:
            raise error("E-arg", f"network parameter '{p.name}' has no default", p.span,
                        f"give it one ({p.name}=...) or pass --set {p.name}=VALUE")
    return NetworkBuilder(program, net, values).build()
