"""`netspec diff A B`: two specs (or one with two parameter sets) statement by statement.

Assumes A and B are files or zoo names; `--set` applies to both, `--set-a`/`--set-b`
to one (and win over `--set`). Guarantees per-statement and total differences of
parameters, cost and activations as a table, or as the JSON document of
:mod:`netspec.report.diff`; exit status 0, 1 when either spec has errors (each
rendered; with --format json an error document per failing spec), 2 on misuse.
"""

from __future__ import annotations

import argparse
import json

from netspec.cli.common import (
    analyses,
    console,
    misuse,
    parse_input_shapes,
    parse_overrides,
    spec_arguments,
)

DESCRIPTION = (
    "Per-statement and total differences of parameters, cost and "
    "activation memory between two specs (or one spec with two parameter sets)."
)


def add_arguments(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("a", help="the first spec (file or zoo name)")
    diff.add_argument("b", help="the second spec")
    spec_arguments(diff)
    for side in ("a", "b"):
        diff.add_argument(
            f"--set-{side}",
            dest=f"overrides_{side}",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"override a parameter of {side.upper()} only",
        )
    diff.add_argument(
        "--input-shape-b",
        dest="input_shapes_b",
        action="append",
        default=[],
        metavar="NAME=[DIMS]",
        help="give an input of B another shape (B only; --input-shape is both sides)",
    )
    diff.add_argument("--format", choices=("table", "json"), default="table")


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    try:
        sides = [{**overrides, **parse_overrides(getattr(args, f"overrides_{s}"))} for s in "ab"]
        shapes_b = {**args.input_shapes, **parse_input_shapes(args.input_shapes_b)}
    except ValueError as exc:
        return misuse(str(exc))
    a = analyses(args.a, args.network, sides[0], args.format, args.input_shapes)
    b = analyses(args.b, args.network, sides[1], args.format, shapes_b)
    if a is None or b is None:
        return 1
    from netspec.report import diff

    pairs = diff.pair_networks(a[1], b[1])
    if args.format == "json":
        print(json.dumps(diff.to_json(pairs, args.convention)))
    else:
        out = console()
        for pair in pairs:
            out.print(diff.table(pair, args.convention))
    return 0
