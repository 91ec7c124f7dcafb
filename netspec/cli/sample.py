"""`netspec sample CHECKPOINT`: write text with a next-byte network `netspec train` trained.

The network is rebuilt from the spec, network and `--set` values the checkpoint
records (or from `--spec`, where the spec has moved since), its architecture checked
against the checkpoint's, and text is drawn as netspec.training.sample says: the
prompt's UTF-8 bytes, cropped to the spec's context L where longer, placed at the start
of the window (zero bytes after it, which a causal network never reads) where shorter.
The prompt and the new bytes go to stdout (bytes that are not UTF-8 as U+FFFD), one
note on stderr says what was loaded.

Assumes torch (the torch extra) only when the command runs: importing this module
loads neither torch nor numpy. Guarantees exit status 0 with exactly --length new
bytes, 1 for an error in the spec (positioned, as `netspec check` renders it: a
network that does not predict bytes) or any other bad input (one line, no traceback:
no checkpoint, a checkpoint of another architecture, torch missing), 2 for misuse.
"""

from __future__ import annotations

import argparse
import sys

from netspec.cli.common import fail, print_errors

DESCRIPTION = (
    "Write text with a next-byte network trained by `netspec train --data text` (docs/training.md)."
)


def add_arguments(sample: argparse.ArgumentParser) -> None:
    sample.add_argument("checkpoint", help="a checkpoint written by netspec train (.pt)")
    sample.add_argument(
        "--spec", help="the spec to rebuild the network from (default: the one it records)"
    )
    sample.add_argument(
        "--prompt",
        default="",
        help="the text to continue; cropped to its last L bytes where longer than the "
        "spec's context L; where shorter, placed at the window's start with zero bytes "
        "after it (right-padding, which a causal network never reads) (default: a newline)",
    )
    sample.add_argument("--length", type=_whole, default=200, help="new bytes to write (200)")
    sample.add_argument(
        "--temperature",
        type=_temperature,
        default=0.8,
        help="divides the scores: below 1 safer, above 1 wilder, 0 the likeliest byte (0.8)",
    )
    sample.add_argument(
        "--top-k", type=_whole, default=0, metavar="K", help="draw among the K likeliest (0: all)"
    )
    sample.add_argument("--seed", type=_whole, default=0, help="seeds the draws (0)")


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    """Run `netspec sample` for parsed arguments; returns the exit status."""
    from netspec.errors import CompileError
    from netspec.training import TrainingError, require_torch

    try:
        require_torch()
        text, note = _sample(args)
    except CompileError as exc:
        print_errors(exc, "table", args.spec or args.checkpoint)
        return 1
    except TrainingError as exc:
        return fail(str(exc), "sample")
    print(f"netspec sample: note: {note}", file=sys.stderr)
    sys.stdout.write(text + "\n")
    return 0


def _sample(args: argparse.Namespace) -> tuple[str, str]:
    """The prompt and its continuation as text, and the note on what was loaded."""
    from netspec.training import checkpoint
    from netspec.training.corpus import decode
    from netspec.training.sample import check_options, generate, load_model

    check_options(args.length, args.temperature, args.top_k)
    saved = checkpoint.read(args.checkpoint)
    graph = _graph(saved, args.spec)
    module, shape, _ = load_model(graph, args.checkpoint)
    prompt = args.prompt.encode("utf-8")
    new = generate(module, shape, prompt, args.length, args.temperature, args.top_k, args.seed)
    cropped = f", cropped to its last {shape.context}" if len(prompt) > shape.context else ""
    note = (
        f"{graph.name} from {args.checkpoint} (epoch {saved.get('epoch')}); context "
        f"{shape.context} bytes; prompt {len(prompt)} bytes{cropped}; "
        f"temperature {args.temperature:g}, top-k {args.top_k or 'all'}, seed {args.seed}"
    )
    return decode(list(prompt + new)), note


def _graph(saved: dict, spec: str | None):
    """The network the checkpoint records, rebuilt from `spec` or its recorded spec."""
    from netspec.api import one_network
    from netspec.training import TrainingError

    spec = spec or saved.get("spec")
    if not isinstance(spec, str):
        raise TrainingError("the checkpoint records no spec; give it with --spec")
    shapes = saved.get("input_shapes") or {}
    return one_network(
        spec,
        saved.get("network"),
        saved.get("overrides") or {},
        input_shapes={k: tuple(v) for k, v in shapes.items()},
        lowering=True,
    ).graph


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return value


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got '{text}'")
    return value
