"""`netspec export SPEC -o model.onnx`: the network as an ONNX model for inference.

Assumes onnx (the onnx extra), not torch: the graph is built from the IR with
onnx.helper, with trained weights from `--weights` (netspec/backends/onnx/weights.py) or
a seeded initialisation. Guarantees a model that passes `onnx.checker` (full_check),
streamed to the file whole or not at all (netspec/backends/onnx/write.py), its weights
in a side file `FILE.data` (ONNX external data) with `--external-data` or when the model
would pass protobuf's 2 GiB, with `--dynamic-sizes` the input's spatial axes as
dim_params and the accepted sizes in its metadata (netspec/backends/onnx/dynamic.py),
and exit status 0 when written, 1 for an error in the spec or in the weights (or a layer
whose lowering is fixed to one input size, with --dynamic-sizes), a model too large for
the memory, or a file that cannot be written, 2 for misuse of the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netspec.cli.common import fail, misuse, network_arguments, print_errors
from netspec.errors import CompileError

DEFAULT_OPSET = 21


DESCRIPTION = (
    "Write the spec's network as an ONNX model for inference (batch norm "
    "with running statistics, dropout off): node and initializer names are the spec's "
    "paths, each node's doc string names its spec line (docs/onnx.md)."
)


def add_arguments(export: argparse.ArgumentParser) -> None:
    export.add_argument("spec", help="a .netspec file, or the name of a zoo spec (lenet5)")
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="the .onnx file")
    network_arguments(export, "the network to export, if the file has several")
    export.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default 21)")
    export.add_argument(
        "--batch", type=int, metavar="N", help="a fixed batch size (default: dynamic, named N)"
    )
    export.add_argument(
        "--weights",
        metavar="FILE",
        help="trained weights: a netspec checkpoint or state_dict (.pt), .npz or .safetensors",
    )
    export.add_argument("--seed", type=int, default=0, help="initial weights without --weights")
    export.add_argument(
        "--functions",
        action="store_true",
        help="each block call as one node of an ONNX local function (the block's layers "
        "inside, its weights bound at the call; calls alike share one function)",
    )
    export.add_argument(
        "--dynamic-sizes",
        action="store_true",
        help="the input's spatial axes as dim_params (H, W), the sizes the network accepts "
        "in the model's metadata (netspec.accepted_sizes), checked by netspec predict",
    )
    export.add_argument(
        "--external-data",
        action="store_true",
        help="the weights in a side file FILE.data (ONNX external data; automatic for a "
        "model over 2 GiB, which one protobuf file cannot hold)",
    )


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    from netspec.api import load, one_network

    try:
        problem = _opset_problem(args.opset)
    except ImportError as exc:
        return fail(f"export needs {exc.name} (pip install 'netspec[onnx]')")
    if problem:
        return misuse(f"argument --opset: {problem}", "export")
    try:
        spec = load(args.spec)
        analysis = one_network(
            spec, args.network, overrides, input_shapes=args.input_shapes, lowering=True
        )
    except CompileError as exc:
        print_errors(exc, "table", args.spec)
        return 1
    try:
        model = _model(args, analysis.graph, spec, overrides)
    except CompileError as exc:
        if all(d.span is None for d in exc.diagnostics):  # the weights do not fit the spec
            return fail("; ".join(_sentence(d) for d in exc.diagnostics))
        print_errors(exc, "table", args.spec)  # a name the lowering refuses, at its line
        return 1
    except ImportError as exc:
        return fail(f"export needs {exc.name} (pip install 'netspec[onnx]')")
    except MemoryError:  # the seeded or given weights, as float32 arrays
        return fail(_too_large(analysis.totals.params))
    except (ValueError, OSError) as exc:  # WeightsError, bad opset, missing weights
        return fail(str(exc))
    except Exception as exc:  # a lowering that fails on a checked spec is a bug of netspec's
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return fail(f"internal error, please report: building the ONNX model: {first}")
    problem = _check(model)
    if problem:
        return fail(problem)
    try:
        side = model.write(Path(args.output), args.external_data)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    wrote = f"{args.output} and its weights {side}" if side else args.output
    print(
        f"wrote {wrote}: {analysis.graph.name}, opset {args.opset}, "
        f"{len(model.skeleton.graph.node)} nodes, {analysis.totals.params:,} parameters"
        + (f", {len(model.skeleton.functions)} functions" if args.functions else ""),
        file=sys.stderr,
    )
    return 0


def _model(args: argparse.Namespace, graph, spec, overrides: dict):
    from netspec.backends.onnx.to_onnx import model_for
    from netspec.backends.onnx.weights import WeightsError

    dynamic = None
    if args.dynamic_sizes:  # the accepted sizes and the samples the lowering is checked at
        from netspec.api import parse
        from netspec.backends.onnx.dynamic import plan
        from netspec.report.accepted import describe

        dynamic = plan(parse(spec), graph, overrides, describe)
    try:
        model = model_for(
            graph, args.weights or None, opset=args.opset, batch=args.batch, seed=args.seed,
            functions=args.functions, dynamic=dynamic,
        )  # fmt: skip
    except WeightsError as exc:
        raise ValueError(str(exc)) from None
    return model


def _check(model) -> str:
    """Why onnx.checker refuses the model, as the line to show, or "" when it passes."""
    try:
        model.check()
    except MemoryError:
        return "not enough memory to check the ONNX model"
    except ValueError as exc:  # the graph over protobuf's 2 GiB (write.py says so)
        return str(exc)
    except Exception as exc:  # onnx.checker rejecting the model is a bug of netspec's
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return f"internal error, please report: the ONNX model fails onnx.checker: {first}"
    return ""


def _too_large(params: int) -> str:
    gigabytes = params * 4 / 1e9
    return (
        f"not enough memory for the model's weights: {params:,} parameters take "
        f"{gigabytes:.1f} GB as float32 (export needs them in memory once)"
    )


def _opset_problem(opset: int) -> str:
    """Why netspec cannot write `opset`, or "" when it can (the sentence --opset shows)."""
    from netspec.backends.onnx.to_onnx import opset_problem

    problem = opset_problem(opset)
    return f"{problem}, not {opset}" if problem else ""


def _sentence(diagnostic) -> str:
    hints = "".join(f" ({h})" for h in diagnostic.help)
    return f"{diagnostic.message}{hints}"
