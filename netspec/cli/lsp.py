"""`netspec lsp`: the language server over stdio, for editors (docs/editors.md).

Assumes the lsp extra (pygls, lsprotocol) for everything past the argument parsing,
imported lazily so that `netspec --help` never needs it. Guarantees stdout carries the
protocol alone: the server's messages; anything else goes to stderr.
"""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = (
    "Run the language server over stdin and stdout, as an editor starts it: diagnostics "
    "as you type, each statement's shape as an inlay hint, hover, completion, go to "
    "definition, references, rename, formatting, symbols (docs/editors.md). Needs the lsp "
    "extra: pip install 'netspec[lsp]'."
)


def add_arguments(lsp: argparse.ArgumentParser) -> None:
    lsp.add_argument(
        "--stdio",
        action="store_true",
        help="talk over stdin and stdout (the default; editors pass it)",
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    try:
        from netspec.lsp.server import serve
    except ImportError:
        print(
            "netspec lsp: error: needs the lsp extra: pip install 'netspec[lsp]'",
            file=sys.stderr,
        )
        return 2
    serve()
    return 0
