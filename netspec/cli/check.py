"""`netspec check SPEC`: every layer's shape, parameters, connections, cost, receptive
field and memory, as a table, JSON, CSV or Markdown, with budgets.

Assumes the spec is a file or a zoo name. Guarantees exit status 0 when the spec checks
and every --max budget holds, 1 on errors in the spec (rendered on stderr; with --format
json the error document of REPORT.md on stdout too), 2 on misuse of the command line, 3
when a budget is exceeded (a line per broken budget on stderr). Imports only the chosen
format's module, never torch, onnx or pydantic.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

from netspec.cli.common import analyses, console, spec_arguments
from netspec.errors import render

DESCRIPTION = (
    "Check a .netspec file statically and report every layer's output "
    "shape, parameters, connections, cost, receptive field and memory."
)
FORMATS = ("table", "json", "csv", "markdown")
DTYPES = ("float32", "float16", "bfloat16", "int8")  # netspec.analysis.memory
COLUMNS = ("shape", "params", "connections", "cost", "share", "rf", "memory")  # report.figures
EXIT_BUDGET = 3


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
        "--columns",
        type=_columns,
        default=COLUMNS,
        help=f"table columns, comma-separated, from {','.join(COLUMNS)}",
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
    loaded = analyses(args.spec, args.network, overrides, args.format)
    if loaded is None:
        return 1
    source, checked = loaded
    from netspec.report.figures import Options

    options = Options(args.convention, args.dtype, args.batch, args.columns, args.top, args.depth)
    if args.format == "json":
        from netspec.report.json_report import to_json

        print(to_json(checked, source.name, options))
    elif args.format in ("csv", "markdown"):
        from netspec.report import tabular

        write = tabular.to_csv if args.format == "csv" else tabular.to_markdown
        sys.stdout.write(write(checked, options))
        for analysis in checked:
            for warning in analysis.warnings:
                print(render(warning) + "\n", file=sys.stderr)
    else:
        _print_tables(checked, options)
    return _budgets(args, checked)


def _print_tables(checked, options) -> None:
    from netspec.report.figures import figures
    from netspec.report.table import table

    out = console()
    for analysis in checked:
        out.print(table(figures(analysis, options)))


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
