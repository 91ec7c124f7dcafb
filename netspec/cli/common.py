"""What the netspec commands share: spec arguments, --set overrides, errors, exits.

Assumes it is imported by the command modules of this package (never by anything
outside it) and imports nothing that a command would not need anyway: no report
format, no backend. Guarantees one wording for each shared message: a spec's errors
rendered as `netspec check` renders them (and, with --format json, the JSON error
document), `netspec: error: ...` or `netspec COMMAND: error: ...` on one line with
exit status 1 (:func:`fail`) or 2 (:func:`misuse`), and one reading of `--set`; and
the analyses of what a failing spec elaborated before its first error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from netspec.errors import CompileError, render
from netspec.limits import MAX_NESTING

if TYPE_CHECKING:
    from netspec.analysis import Analysis
    from netspec.source import Source

EXIT_ERROR = 1  # an error in the spec or in the input, or a file that cannot be written
EXIT_MISUSE = 2  # misuse of the command line

CONVENTIONS = ("macs", "flops", "torchinfo", "fvcore")  # netspec.analysis.conventions


def network_arguments(parser: argparse._ActionsContainer, network_help: str) -> None:
    """`--network NAME` and the repeatable `--set NAME=VALUE` (dest `overrides`)."""
    parser.add_argument("--network", help=network_help)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a network parameter (repeatable): --set classes=10",
    )
    parser.add_argument(
        "--input-shape",
        dest="input_shapes",
        action="append",
        default=[],
        metavar="NAME=[DIMS]",
        help="give an input another shape (repeatable): --input-shape image=[1,3,128,128]",
    )


def spec_arguments(parser: argparse.ArgumentParser) -> None:
    """--network, --set and --convention: how `check` and `diff` read a spec."""
    network_arguments(parser, "only this network of the file")
    parser.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="macs",
        help="how costs are counted (default macs: conv/linear multiply-adds, bias excluded)",
    )


def parse_override(text: str) -> tuple[str, object]:
    """`name=value`, the value read as JSON (numbers, true/false, lists) or else a string."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise ValueError(f"--set expects NAME=VALUE, got '{text}'")
    if _nesting(value) > MAX_NESTING:  # json would recurse once a level: bound it first
        raise ValueError(
            f"--set {name}: lists nested more than {MAX_NESTING} deep "
            "(the limit of netspec/limits.py MAX_NESTING)"
        )
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return name, value
    if isinstance(parsed, list):
        parsed = _tuples(parsed)
    return name, parsed


def _nesting(text: str) -> int:
    """How deep JSON brackets nest in `text`, those inside strings not counted; linear."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif in_string:
            escaped, in_string = char == "\\", char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _tuples(value: object) -> object:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def parse_input_shape(text: str) -> tuple[str, tuple[int | str, ...]]:
    """`name=[1,3,128,128]`: sizes are positive integers or names (N: symbolic)."""
    name, sep, value = text.partition("=")
    value = value.strip()
    if not sep or not name.isidentifier() or not (value.startswith("[") and value.endswith("]")):
        raise ValueError(
            f"--input-shape expects NAME=[DIMS], e.g. image=[1,3,128,128], got '{text}'"
        )
    dims: list[int | str] = []
    for item in (i.strip() for i in value[1:-1].split(",")):
        if item.isdigit() and len(item) <= 17 and int(item) >= 1:
            dims.append(int(item))
        elif item.isidentifier():
            dims.append(item)
        else:
            raise ValueError(
                f"--input-shape {name}: sizes are positive integers or names, got '{item}'"
            )
    return name, tuple(dims)


def parse_input_shapes(texts: list[str]) -> dict[str, tuple[int | str, ...]]:
    """Every `--input-shape` of a command line, later ones winning; ValueError on a bad one."""
    return dict(parse_input_shape(text) for text in texts)


def parse_overrides(texts: list[str]) -> dict[str, object]:
    """Every `--set` of a command line, later ones winning; ValueError on a bad one."""
    return dict(parse_override(text) for text in texts)


def fail(message: str, command: str = "") -> int:
    """`netspec[ COMMAND]: error: MESSAGE` on stderr; returns exit status 1."""
    _say(message, command)
    return EXIT_ERROR


def misuse(message: str, command: str = "") -> int:
    """`netspec[ COMMAND]: error: MESSAGE` on stderr; returns exit status 2."""
    _say(message, command)
    return EXIT_MISUSE


def _say(message: str, command: str) -> None:
    prefix = f"netspec {command}" if command else "netspec"
    print(f"{prefix}: error: {message}", file=sys.stderr)


def print_errors(exc: CompileError, fmt: str, source: str) -> None:
    """A spec's diagnostics on stderr, a count, and with `fmt` json the error document."""
    for diag in exc.diagnostics:
        print(render(diag) + "\n", file=sys.stderr)
    errors = sum(d.severity == "error" for d in exc.diagnostics)
    plural = "s" if errors != 1 else ""
    print(f"netspec: {errors} error{plural}; the spec is not accepted", file=sys.stderr)
    if fmt == "json":
        from netspec.report.json_report import errors_json

        print(errors_json(exc.diagnostics, source))


def partial_analyses(exc: CompileError) -> list[tuple[Analysis, str]]:
    """What a failing spec elaborated before its first error (netspec.api)."""
    from netspec.api import partial_analyses as analysed

    return analysed(exc)


def analyses(
    spec: str, network: str | None, overrides: dict, fmt: str, input_shapes: dict | None = None
) -> tuple[Source, list[Analysis]] | None:
    """A spec (file or zoo name) and its analyses, or None after printing its errors."""
    from netspec.api import check, load

    try:
        source = load(spec)
        return source, check(source, network, overrides, input_shapes=input_shapes)
    except CompileError as exc:
        print_errors(exc, fmt, spec)
        return None


def console():
    """A rich console; a pipe or file gets a wide table rather than rich's 80 columns."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)
