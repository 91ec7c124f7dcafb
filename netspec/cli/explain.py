"""The `netspec explain` subcommand: a spec's layers, or the convolution calculator.

    netspec explain SPEC [LAYER] [--network NAME] [--set NAME=VALUE] [--convention C]
                    [--summary]
    netspec explain conv --input 5 --kernel 3 --stride 2 --padding 1 [...]

Assumes the first positional is the spec, or the word `conv` (when no file of that name
is in the working directory) for the calculator (netspec/teach/explain/calculator.py),
with the options of netspec/teach/question.py. Guarantees `--format text|markdown` for
both, and exit status 0, 1 for an error in the spec, 2 for misuse (an unknown LAYER,
calculator options that ask no valid question, or options of one mode given to the
other). A LAYER that chooses several layers (a block, a statement) ends with where their
cost goes (netspec/teach/explain/cost.py); `--summary` prints only that. A spec that is
not accepted still has the layers before its first error (and those its failing
statement made) explained, its errors after them, exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netspec.cli.common import (
    CONVENTIONS,
    fail,
    misuse,
    network_arguments,
    partial_analyses,
    print_errors,
)
from netspec.errors import CompileError
from netspec.teach.question import QuestionError, add_conv_arguments, question_from

CALCULATOR = "conv"


DESCRIPTION = (
    "Print each layer's output size, parameters, connections, "
    "multiply-adds and receptive field as formulas with the numbers put in. "
    "`netspec explain conv --input 5 --kernel 3 ...` explains one convolution "
    "(Dumoulin & Visin's relationships) instead."
)


def add_arguments(explain: argparse.ArgumentParser) -> None:
    explain.add_argument(
        "spec", help="a .netspec file or zoo name (lenet5); or `conv` for the calculator"
    )
    explain.add_argument(
        "layer", nargs="?", help="a layer path (C1.conv), block (layer2.basic1) or statement (C1)"
    )
    network_arguments(explain, "only this network of the file")
    explain.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="macs",
        help="also show this convention's figure (torchinfo, fvcore); macs and FLOPs always",
    )
    explain.add_argument("--format", choices=("text", "markdown"), default="text")
    explain.add_argument(
        "--summary",
        action="store_true",
        help="for a block or statement, only where its cost goes (not each layer's steps)",
    )
    group = explain.add_argument_group("calculator (netspec explain conv ...)")
    add_conv_arguments(group)


def is_calculator(spec: str) -> bool:
    return spec == CALCULATOR and not Path(spec).exists()


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    if is_calculator(args.spec):
        return _calculator(args, overrides)
    given = [f"--{name.replace('_', '-')}" for name, default in _CALCULATOR_DEFAULTS.items()
             if getattr(args, name) != default]  # fmt: skip
    if given:
        return _misuse(
            f"{', '.join(given)} belong{'s' if len(given) == 1 else ''} to the calculator: "
            f"`netspec explain conv ...` (not a spec such as {args.spec})"
        )
    return _spec(args, overrides)


# The calculator's options as netspec/teach/question.py defaults them: any other value
# asks a question, which a spec's explanation would silently ignore.
_CALCULATOR_DEFAULTS = {
    "input": None, "kernel": None, "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1),
    "transposed": False, "output_padding": (0, 0), "pool": None, "ceil_mode": False,
}  # fmt: skip


def _misuse(message: str) -> int:
    return misuse(message, "explain")


def _calculator(args: argparse.Namespace, overrides: dict) -> int:
    if args.layer is not None or args.network or overrides or args.summary or args.input_shapes:
        return _misuse(
            "the calculator takes options only, no LAYER, --network, --set, --input-shape "
            "or --summary"
        )
    try:
        question = question_from(args)
    except QuestionError as exc:
        return _misuse(str(exc))
    from netspec.teach.explain.calculator import explain_question
    from netspec.teach.explain.render import to_markdown, to_text

    blocks = explain_question(question)
    sys.stdout.write(to_markdown(blocks) if args.format == "markdown" else to_text(blocks))
    return 0


def _at_hint(args: argparse.Namespace, overrides: dict, analysis):
    """A network with symbolic sizes is explained with numbers at the size its formulas
    were traced at (each formula is shown beside them); any other as it is."""
    sizes = analysis.graph.sizes
    if sizes is None:
        return analysis
    from netspec.api import check, load

    graph = analysis.graph
    shapes = {
        name: [getattr(d, "hint", d) for d in graph.shape(t)] for name, t in graph.inputs
    }  # the named sizes at the hint, N kept
    [numeric] = check(load(args.spec), graph.name, overrides, input_shapes=shapes)
    return numeric


LONGEST_FORMULA = 240  # characters of a formula shown whole


def formula_block(analysis, index: int):
    """The formulas of one layer's figures in the input's symbolic sizes."""
    from netspec.teach.explain.render import Block
    from netspec.values import show_shape

    layer, sizes = analysis.layers[index], analysis.graph.sizes
    every = " = ".join(sizes.names)

    def shown(figure: object) -> str:
        text = str(figure)
        if len(text) <= LONGEST_FORMULA:
            return text
        return f"a formula of {len(figure.expr.terms)} terms (check --format json writes it)"

    lines = (
        f"output shape   {show_shape(layer.output_shape)}",
        f"parameters     {shown(layer.counts.params)}",
        f"connections    {shown(layer.connections)}",
        f"multiply-adds  {shown(layer.cost.macs)}",
        f"FLOPs          {shown(layer.cost.flops)}",
        f"(the numbers above are at {every} = {sizes.hint}; these formulas hold wherever the "
        "network decides as there: netspec check shows where)",
    )
    return Block(f"{layer.path} in {', '.join(sizes.names)}", lines, ())


def _spec(args: argparse.Namespace, overrides: dict) -> int:
    from netspec.api import check, load

    failure = None
    try:
        analyses = check(load(args.spec), args.network, overrides, input_shapes=args.input_shapes)
    except CompileError as exc:
        # the layers before the first error can still be explained (the exercises ask it)
        failure, analyses = exc, [a for a, _ in partial_analyses(exc)]
        if not analyses:
            print_errors(exc, "table", args.spec)
            return 1
    from netspec.teach.explain.network import UnknownLayer, choose, explain_network
    from netspec.teach.explain.render import layer_block, to_markdown, to_text

    try:
        chosen = choose(analyses, args.layer)
    except UnknownLayer as exc:
        if failure is None:
            return _misuse(str(exc))
        print_errors(failure, "table", args.spec)
        return fail(f"{exc} (only the layers before its first error are known)", "explain")
    from netspec.teach.explain.cost import cost_block

    blocks = []
    for analysis, indices in chosen:
        symbolic, analysis = analysis, _at_hint(args, overrides, analysis)
        summary = cost_block(analysis, indices, args.layer) if args.layer else None
        if not (args.summary and summary):
            explained = explain_network(analysis, indices, args.convention)
            for i, e in zip(indices, explained, strict=True):
                blocks.append(layer_block(e))
                if symbolic is not analysis:
                    blocks.append(formula_block(symbolic, i))
        blocks += [summary] if summary else []
    sys.stdout.write(to_markdown(blocks) if args.format == "markdown" else to_text(blocks))
    if failure is None:
        return 0
    sys.stdout.flush()  # the explanation above the errors, where both go to one terminal
    print_errors(failure, "table", args.spec)
    return 1
