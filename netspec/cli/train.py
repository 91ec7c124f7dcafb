"""`netspec train SPEC`: the command line over :func:`netspec.api.train`.

Assumes torch (and numpy) only when the command runs: importing this module loads
neither. Guarantees exit status 0 when training finished, 1 for an error in the spec
(rendered as `netspec check` renders it) or any other bad input (one line, no traceback:
data that cannot fit, a checkpoint of another architecture, CUDA without CUDA, torch
missing), 2 for misuse of the command line, 130 when interrupted (the checkpoint then
holds the last finished epoch).
"""

from __future__ import annotations

import argparse
import os
import sys

from netspec.cli.common import fail, network_arguments, print_errors
from netspec.training import TrainingError
from netspec.training.options import (
    DEFAULT_LR,
    DEVICES,
    LOSSES,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULES,
    TrainConfig,
    parse_fit,
)

EXIT_INTERRUPTED = 130
DEFAULT = TrainConfig()  # the command line's defaults are the API's


DESCRIPTION = (
    "Build the spec's network in PyTorch and train it, evaluating a "
    "held-out split after every epoch and saving a checkpoint (docs/training.md)."
)


def add_arguments(train: argparse.ArgumentParser) -> None:
    train.add_argument("spec", help="a .netspec file, or the name of a zoo spec (lenet5)")
    network_arguments(train, "the network to train, if the file has several")
    _data_arguments(train)
    _optimizer_arguments(train)
    _step_arguments(train)
    train.add_argument("--seed", type=_whole(0), default=0, help="seeds weights, split, order")
    train.add_argument("--device", choices=DEVICES, default="auto")
    train.add_argument(
        "--checkpoint",
        default="{network}.pt",
        metavar="FILE",
        help="saved after every epoch; {network} is replaced (default {network}.pt)",
    )
    train.add_argument("--resume", metavar="FILE", help="continue from this checkpoint")
    train.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _data_arguments(train: argparse.ArgumentParser) -> None:
    train.add_argument(
        "--data",
        default="digits",
        help="digits (scikit-learn's 8x8 digits), a .npz file with arrays x and y, a folder "
        "of class sub-folders of images (./photos), or text for next-byte prediction: text "
        "(netspec's own docs) or a .txt/.md file",
    )
    train.add_argument(
        "--fit",
        default=DEFAULT.fit,
        type=_fit,
        metavar="HOW",
        help=f"adapt samples to the input: pad, resize, resize:S (resize to S, then pad) "
        f"or none ({DEFAULT.fit}); token ids are used as stored",
    )
    train.add_argument(
        "--val-fraction", type=_fraction, default=0.2, help="held out for evaluation (0.2)"
    )
    train.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="map inputs to mean 0, std 1 (training part's); default on for digits only; "
        "never for token ids",
    )


def _optimizer_arguments(train: argparse.ArgumentParser) -> None:
    train.add_argument("--epochs", type=_whole(1), default=DEFAULT.epochs)
    train.add_argument(
        "--batch-size",
        type=_whole(1),
        default=DEFAULT.batch_size,
        help=f"samples per batch, per process under torchrun ({DEFAULT.batch_size})",
    )
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULT.optimizer)
    rates = ", ".join(f"{name} {lr}" for name, lr in DEFAULT_LR.items())
    train.add_argument("--lr", type=_number(positive=True), help=f"learning rate ({rates})")
    train.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="constant",
        help="learning rate per epoch: constant, or cosine-annealed towards 0",
    )
    train.add_argument("--momentum", type=_number(), default=0.9, help="sgd only (0.9)")
    train.add_argument(
        "--weight-decay", type=_number(), default=0.0, help="L2: adds wd*w to each gradient"
    )
    train.add_argument("--loss", choices=LOSSES, default="cross_entropy")


def _step_arguments(train: argparse.ArgumentParser) -> None:
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=DEFAULT.precision,
        help="autocast the forward pass in bf16 or fp16 (fp16: CUDA only, loss scaled)",
    )
    train.add_argument(
        "--compile", action="store_true", help="torch.compile the module (slow to start)"
    )
    train.add_argument(
        "--accumulate",
        type=_whole(1),
        default=DEFAULT.accumulate,
        metavar="K",
        help="one optimizer step per K batches, their gradients summed (1)",
    )
    train.add_argument(
        "--clip-norm",
        type=_number(positive=True),
        metavar="X",
        help="clip the gradients' total L2 norm to X before each step",
    )
    train.add_argument(
        "--workers",
        type=_whole(0),
        metavar="K",
        help="processes decoding an image folder, for each of its two parts (default "
        "min(4, CPUs); in-memory data: 0)",
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    """Run `netspec train` for parsed arguments; returns the exit status."""
    from netspec.api import train
    from netspec.errors import CompileError

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        momentum=args.momentum,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        loss=args.loss,
        fit=args.fit,
        val_fraction=args.val_fraction,
        standardize=args.standardize,
        seed=args.seed,
        device=args.device,
        network=args.network,
        overrides=overrides,
        input_shapes=args.input_shapes,
        checkpoint=args.checkpoint,
        resume=args.resume,
        quiet=args.quiet,
        precision=args.precision,
        compile=args.compile,
        accumulate=args.accumulate,
        clip_norm=args.clip_norm,
        workers=args.workers,
    )
    try:
        train(args.spec, args.data, config)
    except CompileError as exc:
        if _rank() == 0:  # every process reads the same spec: one report is enough
            print_errors(exc, "table", args.spec)
        return 1
    except TrainingError as exc:
        rank = _rank()  # under torchrun, an error on rank K ends the run too (exit 1)
        return fail(f"rank {rank}: {exc}" if rank else str(exc))
    except KeyboardInterrupt:
        print("netspec: interrupted; the checkpoint holds the last finished epoch", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _rank() -> int:
    """This process's rank under torchrun (0 when alone or unreadable)."""
    text = os.environ.get("RANK", "0")
    return int(text) if text.isdigit() else 0


def _whole(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got '{text}'")
        return value

    return parse


def _number(positive: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not (value > 0 if positive else value >= 0) or value == float("inf"):
            bound = "> 0" if positive else ">= 0"
            raise argparse.ArgumentTypeError(f"expected a number {bound}, got '{text}'")
        return value

    return parse


def _fit(text: str) -> str:
    try:
        parse_fit(text)
    except TrainingError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--fit ")) from None
    return text


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got '{text}'")
    return value
