"""The command line: `netspec check SPEC`.

Exit status: 0 when the spec checks (and any --max budget holds), 1 on errors in the
spec, 2 on misuse of the command line. Errors go to stderr, rendered with file, line,
column, caret and hint; never a traceback. Only the chosen output format's module is
imported, and never torch or onnx.
"""

from __future__ import annotations

import argparse
import json
import sys

from netspec.errors import CompileError, render

FORMATS = ("table", "json", "csv", "markdown")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netspec", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser(
        "check",
        help="check a spec and report shapes, parameters, connections",
        description="Check a .netspec file statically and report every "
        "layer's output shape, parameters and connections.",
    )
    check.add_argument("spec", help="a .netspec file, or the name of a zoo spec (lenet5, resnet50)")
    check.add_argument("--network", help="check only this network of the file")
    check.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a network parameter (repeatable): --set classes=10",
    )
    check.add_argument(
        "--depth",
        type=int,
        default=0,
        help="table rows: 0 = statements, N = N levels of blocks below them",
    )
    check.add_argument("--format", choices=FORMATS, default="table")
    return parser


def _version() -> str:
    from netspec import __version__

    return f"netspec {__version__}"


def parse_override(text: str) -> tuple[str, object]:
    """`name=value`, the value read as JSON (numbers, true/false, lists) or else a string."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise ValueError(f"--set expects NAME=VALUE, got '{text}'")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return name, value
    if isinstance(parsed, list):
        parsed = _tuples(parsed)
    return name, parsed


def _tuples(value: object) -> object:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = dict(parse_override(text) for text in args.overrides)
    except ValueError as exc:
        print(f"netspec: error: {exc}", file=sys.stderr)
        return 2
    return _check(args, overrides)


def _check(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    from netspec.api import check, load

    try:
        source = load(args.spec)
        analyses = check(source, args.network, overrides)
    except CompileError as exc:
        _print_errors(exc, args.format, args.spec)
        return 1
    from netspec import report

    if args.format == "json":
        print(report.to_json(analyses, source.name))
    elif args.format == "csv":
        sys.stdout.write(report.to_csv(analyses))
    elif args.format == "markdown":
        sys.stdout.write(report.to_markdown(analyses))
    else:
        from rich.console import Console

        # A pipe or file gets a wide table rather than rich's default of 80 columns.
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
        for analysis in analyses:
            console.print(report.table(analysis, args.depth))
    if args.format in ("csv", "markdown"):
        for analysis in analyses:
            for warning in analysis.warnings:
                print(render(warning) + "\n", file=sys.stderr)
    return 0


def _print_errors(exc: CompileError, fmt: str, source: str) -> None:
    for diag in exc.diagnostics:
        print(render(diag) + "\n", file=sys.stderr)
    errors = sum(d.severity == "error" for d in exc.diagnostics)
    plural = "s" if errors != 1 else ""
    print(f"netspec: {errors} error{plural}; the spec is not accepted", file=sys.stderr)
    if fmt == "json":
        from netspec import __version__

        doc = {
            "schema_version": 1,
            "netspec_version": __version__,
            "source": source,
            "errors": [d.to_json() for d in exc.diagnostics],
        }
        print(json.dumps(doc))
