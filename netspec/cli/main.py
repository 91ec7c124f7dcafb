"""The command line: one module per command, imported only when it runs; this module
holds the dispatch table (:data:`COMMANDS`) and :func:`main`.

Exit status: 0 when the command did what it was asked, 1 on errors in the spec or its
inputs, 2 on misuse of the command line, 3 when a `check` budget is exceeded (each
command's module says more). Errors go to stderr, rendered with file, line, column,
caret and hint; never a traceback.

Assumes each module named in :data:`COMMANDS` has ``DESCRIPTION``,
``add_arguments(parser)`` and ``run_command(args, overrides) -> int``. Guarantees that
only the module of the command being run is imported: the command is read from argv
before the parser is built, the others get a subparser with their one-line help from
the table (enough for `netspec --help` and for argparse's errors), so `netspec check`
loads none of the modules of train, export, predict, build, explain or draw.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from types import ModuleType
from typing import NamedTuple

from netspec.cli.common import misuse, parse_input_shapes, parse_overrides


class Command(NamedTuple):
    """A command's module (imported only when it runs) and its line in `netspec --help`."""

    module: str
    help: str


# In the order of `netspec --help`: reading a spec, its machine-readable contract, the
# bundled specs, then lowering, training and running it, then teaching.
COMMANDS: dict[str, Command] = {
    "check": Command(
        "netspec.cli.check",
        "check a spec and report shapes, parameters, costs, receptive fields, memory",
    ),
    "diff": Command("netspec.cli.diff", "compare two specs statement by statement"),
    "fmt": Command("netspec.cli.fmt", "rewrite .netspec files in the canonical layout"),
    "sizes": Command("netspec.cli.sizes", "list the input sizes a network accepts, over a range"),
    "schema": Command("netspec.cli.schema", "print the JSON Schema of the --format json reports"),
    "zoo": Command("netspec.cli.zoo", "list the bundled specs: parameters, multiply-adds, source"),
    "import": Command("netspec.cli.import_", "read an ONNX model into a spec and its weights"),
    "build": Command(
        "netspec.cli.build", "write the network as standalone PyTorch source (a .py file)"
    ),
    "train": Command("netspec.cli.train", "train a spec's network on a dataset (needs torch)"),
    "export": Command(
        "netspec.cli.export", "write the network as an ONNX model (needs the onnx extra)"
    ),
    "predict": Command(
        "netspec.cli.predict", "run an exported ONNX model on an input file (needs the onnx extra)"
    ),
    "sample": Command(
        "netspec.cli.sample", "write text with a trained next-byte network (needs torch)"
    ),
    "explain": Command(
        "netspec.cli.explain",
        "explain a layer's figures step by step, or a convolution's arithmetic",
    ),
    "draw": Command(
        "netspec.cli.draw",
        "draw a convolution's arithmetic, a receptive field or the network (SVG, GIF, PNG)",
    ),
    "serve": Command(
        "netspec.cli.serve", "the playground: edit a spec in the browser (needs the serve extra)"
    ),
    "lsp": Command("netspec.cli.lsp", "the language server for editors (needs the lsp extra)"),
}

DESCRIPTION = f"The command line: `netspec {' | '.join(COMMANDS)}`."


def chosen_command(argv: list[str]) -> str | None:
    """The word argparse will take as the command: the first positional of `argv`.

    The top-level parser has only flags (-h, --version), so by argparse's rules that is
    the first word after '--', or before it the first that does not start with '-', is
    '-' alone, looks like a negative number or holds a space.
    """
    for i, word in enumerate(argv):
        if word == "--":
            return argv[i + 1] if i + 1 < len(argv) else None
        if not word.startswith("-") or word == "-" or _NEGATIVE.match(word) or " " in word:
            return word
    return None


_NEGATIVE = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's _negative_number_matcher


def parser(command: str | None) -> argparse.ArgumentParser:
    """The top-level parser, with `command`'s arguments (if it is one) and no others'."""
    top = argparse.ArgumentParser(prog="netspec", description=DESCRIPTION)
    top.add_argument("--version", action="version", version=_version())
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, entry in COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=entry.help)
            continue
        module = _module(name)
        module.add_arguments(sub.add_parser(name, help=entry.help, description=module.DESCRIPTION))
    return top


def _module(command: str) -> ModuleType:
    # __import__ rather than importlib.import_module: `python -X importtime` sees it.
    return __import__(COMMANDS[command].module, fromlist=["run_command"])


def _version() -> str:
    from netspec._version import __version__

    return f"netspec {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = chosen_command(argv)
    top = parser(chosen)
    args, rest = top.parse_known_args(argv)
    if args.command != chosen:  # not expected: argparse read another word as the command
        top = parser(args.command)
        args, rest = top.parse_known_args(argv)
    if rest:  # as parse_args would say it
        top.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        overrides = parse_overrides(getattr(args, "overrides", []))
        if hasattr(args, "input_shapes"):  # the commands that read a spec
            args.input_shapes = parse_input_shapes(args.input_shapes)
    except ValueError as exc:
        return misuse(str(exc))
    try:
        code = _module(args.command).run_command(args, overrides)
        if not sys.stdout.closed:  # the language server closes it as it exits
            sys.stdout.flush()  # a pipe's last buffer fails here, not at exit
    except BrokenPipeError:  # `| head` read what it wanted: not an error
        _quiet_stdout()
        return 0
    return code


def _quiet_stdout() -> None:
    """stdout to /dev/null, so that the interpreter's flush at exit does not fail again
    on the closed pipe (Python's documented way, signal module)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
