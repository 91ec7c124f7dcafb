"""Command-line arguments every netspec command that reads a spec shares.

Kept apart from :mod:`netspec.cli.main` so that the subcommands defined elsewhere
(`build`, `train`) can use them without importing the CLI module that imports them.
"""

from __future__ import annotations

import argparse


def network_arguments(parser: argparse.ArgumentParser, network_help: str) -> None:
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
