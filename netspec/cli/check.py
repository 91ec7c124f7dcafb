"""`netspec check SPEC`: every layer's shape, parameters, connections, cost, receptive
field and memory, as a table, JSON, CSV or Markdown, with budgets.

Assumes the spec is a file or a zoo name. Guarantees exit status 0 when the spec checks
and every --max budget holds, 1 on errors in the spec (rendered on stderr; on stdout the
report up to the first error, its statement marked as the last row, or with --format
json the error document of REPORT.md holding that report as `partial`), also 1 on any
warning with --warnings error (-q hides them), 2 on misuse of the command line, 3 when
a budget is exceeded (a line per broken budget on stderr).
Imports only the chosen format's module, never torch, onnx or pydantic.
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal, InvalidOperation

from netspec.cli.common import console, partial_analyses, print_errors, spec_arguments
from netspec.errors import CompileError, render

DESCRIPTION = (
    "Check a .netspec file statically and report every layer's output "
    "shape, parameters, connections, cost, receptive field and memory."
)
FORMATS = ("table", "json", "csv", "markdown")
DTYPES = ("float32", "float16", "bfloat16", "int8")  # netspec.analysis.memory
COLUMNS = ("shape", "params", "connections", "cost", "share", "rf", "memory")  # report.figures
EXIT_BUDGET = 3
WARNINGS = ("show", "error", "hide")


def add_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("spec", help="a .netspec file, or the name of a zoo spec (lenet5, resnet50)")
    spec_arguments(check)
    check.add_argument(
        "--depth", type=int, default=0, help="table rows: 0 = statements, N = N levels of blocks"
    )
    check.add_argument("--format", choices=FORMATS, default="table")
    check.add_argument("--dtype", choices=DTYPES, default="float32", help="for memory figures")
    check.add_argument(
        "--batch",
        type=_positive,
        default=1,
        help="samples per batch for memory figures, where the batch dim is symbolic (default 1)",
    )
    check.add_argument(
        "--context",
        type=_positive,
        default=None,
        metavar="N",
        help="positions of a decoder's key/value cache, for that figure only "
        "(default: the input's sequence length)",
    )
    check.add_argument(
        "--columns",
        type=_columns,
        default=COLUMNS,
        help=f"table columns, comma-separated, from {','.join(COLUMNS)}",
    )
    check.add_argument(
        "--wide",
        action="store_true",
        help="table: every column, however wide the terminal (default: those that fit)",
    )
    check.add_argument(
        "--top", type=_count, default=0, metavar="K", help="list the K heaviest layers"
    )
    check.add_argument(
        "--max-params", type=_amount, metavar="X", help="exit 3 if parameters exceed X (25M)"
    )
    check.add_argument(
        "--max-macs", type=_amount, metavar="Y", help="exit 3 if multiply-adds exceed Y (4.1G)"
    )
    warned = check.add_mutually_exclusive_group()
    warned.add_argument(
        "--warnings",
        choices=WARNINGS,
        default="show",
        help="show warnings (default), treat them as errors (exit 1), or hide them",
    )
    warned.add_argument(
        "-q", "--quiet", dest="warnings", action="store_const", const="hide", help="hide warnings"
    )


def _columns(text: str) -> tuple[str, ...]:
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in chosen if c not in COLUMNS]
    if unknown or not chosen:
        shown = ", ".join(unknown) or "(none given)"
        raise argparse.ArgumentTypeError(f"unknown column {shown}; choose from {','.join(COLUMNS)}")
    return chosen


_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def _amount(text: str) -> int:
    """`25557032`, `25_557_032`, `25.6M`, `4.1G`, `3e9`: a count."""
    clean = text.strip().replace("_", "").replace(",", "")
    scale = _SUFFIX.get(clean[-1:].lower(), 1)
    number = clean[:-1] if scale != 1 else clean
    try:
        value = Decimal(number) * scale  # exact: 4.1G is 4,100,000,000, not 4,099,999,999
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        message = f"expected a count such as 25M or 4.1G, got '{text}'"
        raise argparse.ArgumentTypeError(message)
    return int(value)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return value


def _count(text: str) -> int:
    return 0 if text.strip() == "0" else _positive(text)


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    from netspec.api import check, load

    try:
        source = load(args.spec)
        checked = check(source, args.network, overrides, input_shapes=args.input_shapes)
    except CompileError as exc:
        return _not_accepted(args, exc)
    if args.warnings == "hide":
        checked = [a._replace(warnings=()) for a in checked]
    _context_note(args, checked)
    options = _options(args)
    if args.format == "json":
        from netspec.report.json_report import to_json

        print(to_json(checked, source.name, options))
    else:
        _print_report(args.format, checked, options, {})
    return _warned(args, checked) or _budgets(args, checked)


def _context_note(args: argparse.Namespace, checked) -> None:
    """--context sets a decoder's key/value cache: say so where nothing has one."""
    from netspec.analysis.memory import cache_elements

    if args.context and all(cache_elements(a.graph, None) is None for a in checked):
        print(
            "netspec check: note: --context sets the key/value cache of causal attention, "
            "and no network here has any: it changes nothing",
            file=sys.stderr,
        )


def _warned(args: argparse.Namespace, checked) -> int:
    """With --warnings error, exit 1 (after the report, which shows them) on any warning."""
    count = sum(len(a.warnings) for a in checked)
    if args.warnings != "error" or not count:
        return 0
    plural = "s" if count > 1 else ""
    line = f"netspec: {count} warning{plural}, treated as errors (--warnings error)"
    print(line, file=sys.stderr)
    return 1


def _options(args: argparse.Namespace):
    from netspec.report.figures import Options

    o = Options(args.convention, args.dtype, args.batch, args.columns, args.top, args.depth)
    o = o._replace(context=args.context)
    return o if args.wide else o._replace(width=0)  # 0: the console's, see _print_tables


def _not_accepted(args: argparse.Namespace, exc: CompileError) -> int:
    """The report up to the first error on stdout, then the errors on stderr; exit 1.
    With --format json, the error document with that report as its `partial`."""
    partial = partial_analyses(exc)
    if args.format == "json":
        from netspec.report.json_report import errors_json, partial_json

        print_errors(exc, "table", args.spec)
        print(errors_json(exc.diagnostics, args.spec, partial_json(partial, _options(args))))
        return 1
    failed = {a.name: name for a, name in partial if name}
    _print_report(args.format, [a for a, _ in partial], _options(args), failed)
    sys.stdout.flush()  # the report above its errors, where both go to one terminal
    print_errors(exc, "table", args.spec)
    return 1


def _print_report(fmt: str, checked, options, failed: dict[str, str]) -> None:
    """Table, CSV or Markdown; `failed` maps a network that stopped to the statement of
    its first error, the last of its rows."""
    if fmt == "table":
        _print_tables(checked, options, failed)
        return
    from netspec.report import tabular

    write = tabular.to_csv if fmt == "csv" else tabular.to_markdown
    sys.stdout.write(write(checked, options))
    if fmt == "markdown":
        for network, statement in failed.items():
            sys.stdout.write(f"\n{_stopped(network, statement)}\n")
    for analysis in checked:
        for warning in analysis.warnings:
            print(render(warning) + "\n", file=sys.stderr)


def _stopped(network: str, statement: str) -> str:
    return (
        f"{network} is not accepted: the report stops at '{statement}', where its first "
        "error is (on standard error)"
    )


def _print_tables(checked, options, failed: dict[str, str]) -> None:
    from netspec.report.figures import figures
    from netspec.report.table import table

    out = console()
    if options.width == 0:  # the default: fit the terminal, a pipe COLUMNS or 160
        out.width = _piped_width() or out.width
        options = options._replace(width=out.width)
    for analysis in checked:
        stopped = failed.get(analysis.name, "")
        out.print(table(figures(analysis, options), stopped), crop=False)
        if stopped:
            out.print(_stopped(analysis.name, stopped), highlight=False)


def _piped_width() -> int | None:
    """COLUMNS where standard output is not a terminal (a terminal's own width wins)."""
    text = os.environ.get("COLUMNS", "")
    return int(text) if text.isdigit() and int(text) > 0 and not sys.stdout.isatty() else None


def _budgets(args: argparse.Namespace, checked) -> int:
    """Exit 3, with a line per exceeded budget on stderr, when a --max limit is broken."""
    broken = []
    for a in checked:
        for what, limit, value in (
            ("parameters", args.max_params, a.totals.params),
            ("multiply-adds", args.max_macs, a.totals.macs),
        ):
            if limit is not None and value > limit:
                broken.append(
                    f"netspec: budget exceeded: {a.name} has {value:,} {what}, "
                    f"over the limit of {limit:,} by {value - limit:,}"
                )
    for line in broken:
        print(line, file=sys.stderr)
    return EXIT_BUDGET if broken else 0
