"""`netspec build SPEC -o model.py`: write the network as standalone PyTorch source.

Assumes nothing of torch: the source is written from the graph IR. Guarantees the file
is written whole or not at all (a temporary file renamed over the target), and exit
status 0 when written, 1 for an error in the spec (rendered as `netspec check` renders
it) or a file that cannot be written, 2 for misuse of the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netspec.cli.common import fail, network_arguments, print_errors
from netspec.errors import CompileError
from netspec.files import write_whole

DESCRIPTION = (
    "Write readable, standalone PyTorch source for a spec's network: a "
    "class per network and per block, submodules named by the spec's paths, comments "
    "pointing back to the spec's lines. The file imports only torch."
)


def add_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument("spec", help="a .netspec file, or the name of a zoo spec (resnet18)")
    build.add_argument("-o", "--output", metavar="FILE", help="the .py file (default: stdout)")
    network_arguments(build, "the network to build, if the file has several")


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    from netspec.api import load, one_network
    from netspec.backends.torch.source import class_name, torch_source

    try:
        spec = load(args.spec)
        analysis = one_network(
            spec, args.network, overrides, input_shapes=args.input_shapes, lowering=True
        )
        source = torch_source(analysis.graph)
    except CompileError as exc:
        print_errors(exc, "table", args.spec)
        return 1
    if args.output is None:
        sys.stdout.write(source)
        return 0
    try:
        write_whole(Path(args.output), source)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    totals = analysis.totals
    print(
        f"wrote {args.output}: class {class_name(source)}, "
        f"{totals.params:,} parameters ({totals.trainable_params:,} trainable)",
        file=sys.stderr,
    )
    return 0
