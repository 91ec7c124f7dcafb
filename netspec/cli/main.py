"""The command line: `netspec check | diff | build | train | export | predict | explain | draw`.

Exit status: 0 when the spec checks and every --max budget holds, 1 on errors in the
spec, 2 on misuse of the command line, 3 when a budget is exceeded. Errors go to
stderr, rendered with file, line, column, caret and hint; never a traceback. Only the
chosen output format's module is imported, and never torch or onnx.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation

from netspec.cli.build import add_parser as _build_parser
from netspec.cli.build import run_command as _build
from netspec.cli.common import network_arguments
from netspec.cli.draw import add_parser as _draw_parser
from netspec.cli.draw import run_command as _draw
from netspec.cli.explain import add_parser as _explain_parser
from netspec.cli.explain import run_command as _explain
from netspec.cli.export import add_parser as _export_parser
from netspec.cli.export import run_command as _export
from netspec.cli.predict import add_parser as _predict_parser
from netspec.cli.predict import run_command as _predict
from netspec.cli.train import add_parser as _train_parser
from netspec.cli.train import run_command as _train
from netspec.errors import CompileError, render

FORMATS = ("table", "json", "csv", "markdown")
CONVENTIONS = ("macs", "flops", "torchinfo", "fvcore")  # netspec.analysis.conventions
DTYPES = ("float32", "float16", "bfloat16", "int8")  # netspec.analysis.memory
COLUMNS = ("shape", "params", "connections", "cost", "share", "rf", "memory")
EXIT_BUDGET = 3


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    network_arguments(parser, "only this network of the file")
    parser.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="macs",
        help="how costs are counted (default macs: conv/linear multiply-adds, bias excluded)",
    )


def _check_parser(sub) -> None:
    check = sub.add_parser(
        "check",
        help="check a spec and report shapes, parameters, costs, receptive fields, memory",
        description="Check a .netspec file statically and report every layer's output "
        "shape, parameters, connections, cost, receptive field and memory.",
    )
    check.add_argument("spec", help="a .netspec file, or the name of a zoo spec (lenet5, resnet50)")
    _spec_arguments(check)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netspec", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _check_parser(sub)
    diff = sub.add_parser(
        "diff",
        help="compare two specs statement by statement",
        description="Per-statement and total differences of parameters, cost and "
        "activation memory between two specs (or one spec with two parameter sets).",
    )
    diff.add_argument("a", help="the first spec (file or zoo name)")
    diff.add_argument("b", help="the second spec")
    _spec_arguments(diff)
    for side in ("a", "b"):
        diff.add_argument(
            f"--set-{side}",
            dest=f"overrides_{side}",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"override a parameter of {side.upper()} only",
        )
    diff.add_argument("--format", choices=("table", "json"), default="table")
    _build_parser(sub)
    _train_parser(sub)
    _export_parser(sub)
    _predict_parser(sub)
    _explain_parser(sub)
    _draw_parser(sub)
    return parser


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


def _version() -> str:
    from netspec._version import __version__

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
        overrides = dict(parse_override(text) for text in getattr(args, "overrides", []))
        if args.command == "diff":
            sides = [
                {**overrides, **dict(map(parse_override, getattr(args, f"overrides_{s}")))}
                for s in "ab"
            ]
    except ValueError as exc:
        print(f"netspec: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "diff":
        return _diff(args, *sides)
    if args.command == "build":
        return _build(args, overrides)
    if args.command == "export":
        return _export(args, overrides)
    if args.command == "predict":
        return _predict(args, overrides)
    if args.command == "train":
        return _train(args, overrides)
    if args.command == "draw":
        return _draw(args, overrides)
    if args.command == "explain":
        return _explain(args, overrides)
    return _check(args, overrides)


def _analyses(spec: str, network: str | None, overrides: dict, fmt: str):
    """Analyses of a spec, or None after printing its errors."""
    from netspec.api import check, load

    try:
        source = load(spec)
        return source, check(source, network, overrides)
    except CompileError as exc:
        print_errors(exc, fmt, spec)
        return None


def _check(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    loaded = _analyses(args.spec, args.network, overrides, args.format)
    if loaded is None:
        return 1
    source, analyses = loaded
    from netspec.report import formats as report

    options = report.Options(
        args.convention, args.dtype, args.batch, args.columns, args.top, args.depth
    )
    if args.format == "json":
        print(report.to_json(analyses, source.name, options))
    elif args.format == "csv":
        sys.stdout.write(report.to_csv(analyses, options))
    elif args.format == "markdown":
        sys.stdout.write(report.to_markdown(analyses, options))
    else:
        _print_tables(analyses, options)
    if args.format in ("csv", "markdown"):
        for analysis in analyses:
            for warning in analysis.warnings:
                print(render(warning) + "\n", file=sys.stderr)
    return _budgets(args, analyses)


def _print_tables(analyses, options) -> None:
    from rich.console import Console

    from netspec.report import formats as report
    from netspec.report import table as report_table

    # A pipe or file gets a wide table rather than rich's default of 80 columns.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    for analysis in analyses:
        console.print(report_table.table(report.figures(analysis, options)))


def _budgets(args: argparse.Namespace, analyses) -> int:
    """Exit 3, with a line per exceeded budget on stderr, when a --max limit is broken."""
    broken = []
    for a in analyses:
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


def _diff(args: argparse.Namespace, overrides_a: dict, overrides_b: dict) -> int:
    a = _analyses(args.a, args.network, overrides_a, args.format)
    b = _analyses(args.b, args.network, overrides_b, args.format)
    if a is None or b is None:
        return 1
    from netspec.report import diff

    pairs = diff.pair_networks(a[1], b[1])
    if args.format == "json":
        print(json.dumps(diff.to_json(pairs, args.convention)))
    else:
        from rich.console import Console

        console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
        for pair in pairs:
            console.print(diff.table(pair, args.convention))
    return 0


def print_errors(exc: CompileError, fmt: str, source: str) -> None:
    for diag in exc.diagnostics:
        print(render(diag) + "\n", file=sys.stderr)
    errors = sum(d.severity == "error" for d in exc.diagnostics)
    plural = "s" if errors != 1 else ""
    print(f"netspec: {errors} error{plural}; the spec is not accepted", file=sys.stderr)
    if fmt == "json":
        from netspec._version import __version__

        doc = {
            "schema_version": 1,
            "netspec_version": __version__,
            "source": source,
            "errors": [d.to_json() for d in exc.diagnostics],
        }
        print(json.dumps(doc))
