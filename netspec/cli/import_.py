"""`netspec import MODEL.onnx -o SPEC.netspec`: an ONNX model as a spec and its weights;
`netspec import --torch package.module:factory --shape 1,3,224,224 -o SPEC.netspec`: a
PyTorch module, traced (netspec/frontends/torch_module.py), the same way.

Writes the spec (netspec/frontends/emit.py; repeated structure as blocks and repeats,
netspec/frontends/blocks.py, unless `--flat`) and a `.safetensors` file of the weights
keyed by the spec's paths (netspec/frontends/weights_out.py; by default beside the spec,
`model.netspec` -> `model.safetensors`), which `netspec export SPEC --weights FILE`
reads. A model with nodes netspec cannot express is refused with every such node listed,
one a line (`error[E-import]`); `--partial` imports it up to the first of them.

Assumes the onnx extra (numpy, onnx); without it, one line says how to install it.
Guarantees nothing half-written: the spec is checked before anything is written, each
file goes to a temporary name and is renamed when whole, the spec after its weights.
Exit status 0 when written, 1 for a model that cannot be imported or a file that cannot
be written, 2 for misuse of the command line.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from netspec.cli.common import fail, misuse, print_errors
from netspec.errors import CompileError

DESCRIPTION = (
    "Read an ONNX model into a spec that netspec checks, with its weights in a "
    ".safetensors file named by the spec's paths (for netspec export --weights)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="the .onnx file (or --torch)")
    parser.add_argument(
        "--torch",
        metavar="PACKAGE.MODULE:FACTORY",
        help="a PyTorch module instead: FACTORY() (or the module itself) is traced",
    )
    parser.add_argument(
        "--shape",
        metavar="DIMS",
        action="append",
        help="with --torch, an input's shape, batch first (repeatable): --shape 1,3,224,224",
    )
    parser.add_argument("-o", "--output", metavar="SPEC", required=True, help="the .netspec file")
    parser.add_argument(
        "--weights-out",
        metavar="FILE",
        help="the weights (default: beside the spec, SPEC with the suffix .safetensors)",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="import the model up to its first node netspec cannot express",
    )
    parser.add_argument("--name", help="the network's name (default: from the model)")
    parser.add_argument(
        "--flat",
        action="store_true",
        help="write every layer out: no blocks or repeats for repeated structure",
    )
    parser.add_argument(
        "--checkpoints",
        action="store_true",
        help="end each named statement with its shape (-> [N, 64, 56, 56])",
    )


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    if args.name is not None and not args.name.isidentifier():
        return misuse(f"argument --name: '{args.name}' is not an identifier", "import")
    missing = [m for m in ("numpy", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        return fail(f"import needs {missing[0]} (pip install 'netspec[onnx]')", "import")
    if (args.model is None) == (args.torch is None):
        return misuse("give an .onnx file or --torch PACKAGE.MODULE:FACTORY, one of them", "import")
    shapes = _shapes(args)
    if isinstance(shapes, str):
        return misuse(shapes, "import")
    from netspec.frontends.imported import NotImportable

    source = args.model or args.torch
    try:
        imported = _read(args, shapes)
    except NotImportable as exc:
        return _refused(source, exc)
    except (OSError, ValueError) as exc:
        return fail(f"{source}: {exc}", "import")
    if args.name:
        imported = imported._replace(name=args.name)
    spec = Path(args.output)
    weights = Path(args.weights_out) if args.weights_out else spec.with_suffix(".safetensors")
    return _write(imported, spec, weights, args.checkpoints, not args.flat)


def _shapes(args: argparse.Namespace) -> list[tuple[int, ...]] | str:
    """--torch's input shapes, or what is wrong with them."""
    if args.torch is None:
        return "--shape goes with --torch" if args.shape else []
    if not args.shape:
        return "--torch needs the input's shape: --shape 1,3,224,224"
    shapes = []
    for text in args.shape:
        dims = text.strip("[]() ").split(",")
        if not all(d.strip().isdigit() and int(d) > 0 for d in dims):
            return f"--shape {text}: sizes are positive integers, batch first: 1,3,224,224"
        shapes.append(tuple(int(d) for d in dims))
    return shapes


def _read(args: argparse.Namespace, shapes: list[tuple[int, ...]]):
    if args.torch is None:
        from netspec.frontends.onnx import read_onnx

        return read_onnx(args.model, partial=args.partial)
    if importlib.util.find_spec("torch") is None:
        raise ValueError("--torch needs torch (pip install 'netspec[torch]')")
    from netspec.frontends.torch_module import module_from, read_module

    return read_module(module_from(args.torch), shapes, args.torch, partial=args.partial)


def _refused(model: str, exc) -> int:
    for p in exc.problems:
        print(f"error[E-import]: {p.node} ({p.op_type}): {p.why}", file=sys.stderr)
    count = len(exc.problems)
    print(
        f"netspec import: {count} node{'s' if count != 1 else ''} of {model} cannot be "
        "imported; nothing written\n  = help: --partial imports the model up to the first "
        "of them",
        file=sys.stderr,
    )
    return 1


def _write(imported, spec: Path, weights: Path, checkpoints: bool, blocks: bool = True) -> int:
    from netspec.api import check
    from netspec.frontends.emit import spec_text
    from netspec.frontends.weights_out import weights_by_key, write_safetensors
    from netspec.source import Source

    try:
        text = spec_text(imported, checkpoints=checkpoints, blocks=blocks)
        [analysis] = check(Source(str(spec), text))
    except CompileError as exc:  # the importer wrote a spec netspec refuses: a bug
        print_errors(exc, "table", str(spec))
        return fail("the imported spec does not check (a bug of netspec import)", "import")
    keyed = weights_by_key(imported, analysis.graph)
    staged = spec.with_name(f".{spec.name}.partial")
    try:
        staged.write_text(text, encoding="utf-8")
        meta = {"format": "pt", "network": analysis.graph.name, "source": imported.source}
        write_safetensors(weights, keyed, meta)
        os.replace(staged, spec)
    except OSError as exc:
        return fail(f"cannot write {exc.filename}: {exc.strerror}", "import")
    finally:
        staged.unlink(missing_ok=True)
    _summary(imported, analysis, spec, weights)
    return 0


def _summary(imported, analysis, spec: Path, weights: Path) -> None:
    graph = analysis.graph
    print(
        f"{imported.source}: {len(imported.stages)} stages -> {len(graph.statements)} "
        f"statements, {analysis.totals.params:,} parameters"
    )
    for note in imported.notes:
        print(f"  note: {note}")
    print(f"wrote {spec} and {weights}")
