"""`netspec draw`: pictures of convolution arithmetic, of a receptive field, of a network.

    netspec draw conv --input 5 --kernel 3 --stride 2 --padding 1 -o conv.svg [--frames]
    netspec draw SPEC --receptive-field LAYER [--unit ROW,COL] -o rf.svg
    netspec draw SPEC -o net.svg [--depth N]

Assumes the word `conv` (when no file of that name is in the working directory) asks for
one convolution, with the options of netspec/teach/question.py: `.svg` an animation,
`.gif` the same as a GIF, `.png` or `--frames` a sheet of all frames. With a spec,
`--receptive-field` draws one unit's field over the input (.svg or .png); otherwise the
network diagram (netspec.teach.diagram.render: .svg, or .png/.pdf painted by Pillow).
An animation's frames last --delay, or 700 ms shortened so that the loop is under a
minute. Guarantees files written whole or not at all, and exit status 0 when written, 1
for an error in the spec, a field the analysis does not know, a missing Pillow or a file
that cannot be written, 2 for misuse of the command line (options of one form given to
another, options that ask no valid or no drawable question, an unknown layer). A spec
that is not accepted writes no file (LANGUAGE.md: any error means no output files); its
errors say where `netspec explain` can still show the layers before the first one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netspec.cli.common import fail, misuse, network_arguments, print_errors
from netspec.errors import CompileError
from netspec.files import write_whole
from netspec.teach.question import Pair, QuestionError, add_conv_arguments, question_from

CONV = "conv"


DESCRIPTION = (
    "Draw pictures to learn from: `netspec draw conv --input 5 --kernel 3 "
    "-o conv.svg` animates a convolution as Dumoulin & Visin draw it; `netspec draw "
    "SPEC --receptive-field LAYER -o rf.svg` shows what one unit of LAYER sees of the "
    "input; `netspec draw SPEC -o net.svg` draws the network (docs/pictures.md)."
)


def add_arguments(draw: argparse.ArgumentParser) -> None:
    draw.add_argument("target", help="`conv`, or a .netspec file or zoo name (lenet5)")
    draw.add_argument(
        "-o", "--output", metavar="FILE", required=True,
        help="the picture: .svg, .gif (conv), .png (conv sheet, receptive field, diagram) "
        "or .pdf (diagram)",
    )  # fmt: skip
    conv = draw.add_argument_group("convolution (netspec draw conv ...)")
    add_conv_arguments(conv)
    conv.add_argument("--frames", action="store_true", help="a sheet of all frames (.svg, .png)")
    conv.add_argument(
        "--delay", type=_delay, metavar="MS",
        help="milliseconds per frame of an animation (default 700, shorter for many frames "
        "so that the loop lasts under a minute)",
    )  # fmt: skip
    spec = draw.add_argument_group("a spec (netspec draw SPEC ...)")
    network_arguments(spec, "the network to draw, if the file has several")
    spec.add_argument(
        "--receptive-field", metavar="LAYER",
        help="draw the receptive field of LAYER (a path such as C3.conv, or a statement)",
    )  # fmt: skip
    spec.add_argument("--unit", type=_unit, metavar="ROW,COL", help="which unit (default: centre)")
    spec.add_argument(
        "--depth", type=int, metavar="N", help="network diagram: levels of blocks to open"
    )


def _delay(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 20 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"expected milliseconds from 20 to 10000, got '{text}'")
    return value


def _unit(text: str) -> Pair:
    try:
        row, col = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROW,COL such as 3,3, got '{text}'") from None
    return (row, col)


def is_conv(target: str) -> bool:
    return target == CONV and not Path(target).exists()


def run_command(args: argparse.Namespace, overrides: dict) -> int:
    if is_conv(args.target):
        return _conv(args, overrides)
    given = _conv_options_given(args)
    if given:
        return _misuse(f"{given} belongs to `netspec draw conv ...`, not to a spec")
    return _spec(args, overrides)


def _conv_options_given(args: argparse.Namespace) -> str:
    defaults = {
        "input": None, "kernel": None, "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1),
        "transposed": False, "output_padding": (0, 0), "pool": None, "ceil_mode": False,
        "frames": False, "delay": None,
    }  # fmt: skip
    for name, default in defaults.items():
        if getattr(args, name) != default:
            return "--" + name.replace("_", "-")
    return ""


def _conv(args: argparse.Namespace, overrides: dict) -> int:
    for name in ("receptive_field", "unit", "depth", "network"):
        if getattr(args, name) is not None:
            return _misuse(f"--{name.replace('_', '-')} is for a spec, not for `draw conv`")
    if args.input_shapes:
        return _misuse("--input-shape is for a spec, not for `draw conv` (its size is --input)")
    if overrides:
        return _misuse("--set is for a spec, not for `draw conv`")
    suffix = Path(args.output).suffix.lower()
    if suffix not in (".svg", ".gif", ".png"):
        return _misuse(f"{args.output}: write .svg (animated), .gif, or .png (sheet of frames)")
    if args.frames and suffix == ".gif":
        return _misuse("a sheet of frames (--frames) is .svg or .png; a .gif is the animation")
    from netspec.teach.figures import geometry as cg

    sheet = args.frames or suffix == ".png"
    try:
        question = question_from(args)
        cg.check_drawable(question, sheet=sheet)
        geometry = cg.geometry(question)
    except QuestionError as exc:
        return _misuse(str(exc))
    from netspec.teach.figures.conv import FRAME_MS, frame_delay
    from netspec.teach.figures.raster import ImagesMissing

    try:
        data = _conv_picture(geometry, suffix, sheet, args.delay)
    except ImagesMissing as exc:
        return _fail(str(exc))
    rows, cols = geometry.output
    what = "a sheet of" if sheet else "an animation of"
    said = f"{what} {rows * cols} frames, one per output cell"
    if not sheet and args.delay is None and (ms := frame_delay(rows * cols)) != FRAME_MS:
        said += f", {ms} ms each: a loop of {rows * cols * ms / 1000:g} s (--delay MS to choose)"
    return _write(args.output, data, said)


def _conv_picture(geometry, suffix: str, sheet: bool, asked: int | None) -> str | bytes:
    from netspec.teach.figures import conv as conv_figure
    from netspec.teach.figures import raster, scene

    if sheet:
        still = conv_figure.sheet_scene(geometry)
        columns = conv_figure.sheet_columns(geometry, still)
        if suffix == ".png":
            return raster.to_sheet_png(still, columns)
        return scene.to_sheet_svg(still, columns)
    moving = conv_figure.animation_scene(geometry)
    delay = conv_figure.frame_delay(len(moving.frames), asked)
    if suffix == ".gif":
        return raster.to_gif(moving, delay)
    return scene.to_animated_svg(moving, delay / 1000)


def _spec(args: argparse.Namespace, overrides: dict) -> int:
    suffix = Path(args.output).suffix.lower()
    field = args.receptive_field is not None
    if not field and args.unit is not None:
        return _misuse("--unit chooses a unit of --receptive-field LAYER")
    if field and args.depth is not None:
        return _misuse("--depth is for the network diagram, not for --receptive-field")
    allowed = (".svg", ".png") if field else (".svg", ".png", ".pdf")
    if suffix not in allowed:
        return _misuse(f"{args.output}: write " + ", ".join(allowed[:-1]) + " or " + allowed[-1])
    from netspec.api import load, one_network

    try:
        spec = load(args.target)
        analysis = one_network(
            spec, args.network, overrides, input_shapes=args.input_shapes, lowering=True
        )
    except CompileError as exc:
        # No picture of a spec that is not accepted: the language contract promises no
        # output files on any error. explain, which writes to stdout, shows those layers.
        print_errors(exc, "table", args.target)
        if exc.partial:
            print(
                f"netspec: nothing drawn; `netspec explain {args.target} LAYER` explains "
                "the layers before the first error",
                file=sys.stderr,
            )
        return 1
    if field:
        return _receptive_field(args, analysis, suffix)
    return _diagram(args, analysis, suffix)


def _receptive_field(args: argparse.Namespace, analysis, suffix: str) -> int:
    from netspec.teach.figures.raster import ImagesMissing, to_png
    from netspec.teach.figures.receptive import ChoiceError, FigureError, field_view, show
    from netspec.teach.figures.receptive_scene import receptive_scene
    from netspec.teach.figures.scene import to_svg

    try:
        view = field_view(analysis, args.receptive_field, args.unit)
    except ChoiceError as exc:
        return _misuse(str(exc))
    except FigureError as exc:
        return _fail(str(exc))
    picture = receptive_scene(view)
    try:
        data = to_png(picture, scale=2) if suffix == ".png" else to_svg(picture)
    except ImagesMissing as exc:
        return _fail(str(exc))
    f = view.field
    numbers = ", ".join(
        f"{name} = {'x'.join(dict.fromkeys(show(v) for v in values))}"
        for name, values in (("r", f.size), ("S", f.stride), ("P", f.padding))
    )
    unit = "every unit" if view.output_size is None else f"unit {view.unit}"
    return _write(args.output, data, f"the receptive field of {view.layer.path}, {unit}: {numbers}")


def _diagram(args: argparse.Namespace, analysis, suffix: str) -> int:
    from netspec.teach.diagram.render import draw_network, network_svg
    from netspec.teach.figures.raster import ImagesMissing

    depth = args.depth or 0
    try:
        if suffix == ".svg":
            data: str | bytes = network_svg(analysis, depth=depth)
        else:  # painted from the same layout by Pillow: no SVG renderer needed
            from netspec.teach.figures.canvas import PilCanvas

            data = draw_network(analysis, depth, PilCanvas).encode(suffix[1:].upper())
    except ValueError as exc:  # DiagramError: too many boxes at this depth
        return _misuse(str(exc))
    except ImagesMissing as exc:
        return _fail(str(exc))
    return _write(args.output, data, f"the diagram of {analysis.name}")


def _write(path: str, data: str | bytes, what: str) -> int:
    try:
        write_whole(Path(path), data)
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror or exc}")
    print(f"wrote {path}: {what}", file=sys.stderr)
    return 0


def _misuse(message: str) -> int:
    return misuse(message, "draw")


def _fail(message: str) -> int:
    return fail(message, "draw")
