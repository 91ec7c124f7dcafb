"""A module's top-level definitions: consts, defaults, blocks and networks, resolved.

Assumes a parsed :class:`netspec.syntax.ast.Module`. Guarantees a :class:`Program` whose
consts are evaluated, whose defaults name real op parameters with valid values, and
whose block and network names are unique and not op names; or a CompileError with
every such error of the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from netspec.elaborate.evaluate import Scope, evaluate
from netspec.elaborate.naming import definition_name_span
from netspec.elaborate.operators import shown
from netspec.errors import CompileError, Diagnostic, error
from netspec.ops import REGISTRY
from netspec.ops.base import OpError, suggest_op
from netspec.ops.kinds import check_value
from netspec.suggest import did_you_mean
from netspec.syntax import ast
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


def _defaults_example(op: str, params) -> str:
    optional = [p for p in params if not p.required]
    if not optional:
        return f"{op} has no parameters with defaults"
    return f"e.g. defaults {op}({optional[0].name}={show_value(optional[0].default)})"
