"""`netspec sizes SPEC`: the input sizes a network accepts, over a range.

    netspec sizes SPEC [--input NAME] [--axis H] [--up-to 512] [--near 224] [--exact]
                       [--network NAME] [--set NAME=VALUE]

Assumes a spec whose input (the first, or `--input`) has spatial axes. Guarantees the
accepted sizes of the range written compactly (`227-230`, `32-512 step 32`), the
smallest, those nearest to `--near`, and the refused sizes grouped by the first problem
each meets (its code, line and message), from netspec/analysis/sizes.py; exit status 0
when some size is accepted, 1 when none is or the spec does not check at its declared
size, 2 for misuse.
"""

from __future__ import annotations

import argparse
import sys
from bisect import bisect_left

from netspec.cli.common import misuse, network_arguments, print_errors
from netspec.errors import CompileError

DESCRIPTION = (
    "List the input sizes the network accepts over a range (every layer positive, every "
    "merge and checkpoint agreeing; with --exact also no input row left unread): each size "
    "is elaborated and judged, so the answer is exact over the range."
)
LIMIT = 4096  # sizes to judge at most: each is a whole elaboration


def add_arguments(sizes: argparse.ArgumentParser) -> None:
    sizes.add_argument("spec", help="a .netspec file or zoo name")
    network_arguments(sizes, "the network, if the file has several")
    sizes.add_argument("--input", dest="input_name", help="the input to vary (default: the first)")
    sizes.add_argument(
        "--axis",
        help="vary one spatial axis (H, W, L, D...), the others as declared (default: all, "
        "a square input)",
    )
    sizes.add_argument("--up-to", type=int, default=512, help="the largest size (default 512)")
    sizes.add_argument("--near", type=int, help="also name the accepted sizes nearest to this")
    sizes.add_argument(
        "--exact", action="store_true", help="also refuse sizes that leave input rows unread"
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    from netspec.api import load, one_network, parse

    if not 1 <= args.up_to <= LIMIT:
        return misuse(f"--up-to must be between 1 and {LIMIT:,}", "sizes")
    if args.input_shapes:
        return misuse("--input-shape does not go with sizes: it varies the input itself", "sizes")
    try:
        source = load(args.spec)
        analysis = one_network(source, args.network, overrides)
    except CompileError as exc:
        print_errors(exc, "table", args.spec)
        return 1
    graph = analysis.graph
    name = args.input_name or graph.inputs[0][0]
    inputs = dict(graph.inputs)
    if name not in inputs:
        return misuse(
            f"no input '{name}' in {graph.name}; its inputs: {', '.join(inputs)}", "sizes"
        )
    declared = graph.shape(inputs[name])
    axes = _axes(declared, args.axis)
    if isinstance(axes, str):
        return misuse(axes, "sizes")
    from netspec.analysis.sizes import sweep

    verdicts = sweep(
        parse(source), graph.name, name, declared, axes, range(1, args.up_to + 1),
        overrides, args.exact,
    )  # fmt: skip
    sys.stdout.write(_report(graph.name, name, declared, axes, verdicts, args))
    return 0 if any(not v.reason for v in verdicts) else 1


def _axes(shape, axis: str | None) -> tuple[int, ...] | str:
    """The spatial axes to vary, or why `--axis` names none."""
    from netspec.ops.arith import axis_names
    from netspec.values import show_shape

    spatial = len(shape) - 2
    if spatial < 1:
        return f"the input {show_shape(shape)} has no spatial axis to vary"
    names = axis_names(spatial)
    if axis is None:
        return tuple(range(2, len(shape)))
    if axis.upper() not in names:
        return f"--axis {axis}: the input's spatial axes are {', '.join(names)}"
    return (2 + names.index(axis.upper()),)


def _report(network, name, declared, axes, verdicts, args) -> str:
    from netspec.analysis.sizes import progressions
    from netspec.ops.arith import axis_names
    from netspec.values import show_shape

    names = axis_names(len(declared) - 2)
    varied = [names[a - 2] for a in axes]
    shape = show_shape(tuple("s" if i in axes else d for i, d in enumerate(declared)))
    square = f" ({' = '.join(varied)} = s)" if len(varied) > 1 else f" ({varied[0]} = s)"
    lines = [f"{network}: input {name} {shape}{square}, s from 1 to {args.up_to}"]
    accepted = [v.size for v in verdicts if not v.reason]
    if accepted:
        count = f"{len(accepted):,} size" + ("s" if len(accepted) > 1 else "")
        lines.append(f"accepted: {_runs(progressions(accepted))} ({count})")
        lines.append(f"smallest: {accepted[0]}")
        if args.near is not None:
            best = min(abs(s - args.near) for s in accepted)
            near = [s for s in accepted if abs(s - args.near) == best]
            lines.append(f"nearest to {args.near}: {', '.join(map(str, near))}")
    else:
        lines.append("accepted: none in this range")
    asked = next((v for v in verdicts if v.size == args.near and v.reason), None)
    if asked is not None:  # why the size asked about is refused
        lines.append(f"{asked.size} is refused: {asked.reason}: {asked.message}")
    lines.append("refused:" if len(accepted) < len(verdicts) else "refused: none")
    for reason, group in _grouped(verdicts):
        sizes = [v.size for v in group]
        shown = _nearest(group, accepted)
        lines.append(f"  {_runs(progressions(sizes))}: {reason}")
        lines.append(f"      at {shown.size}: {shown.message}")
    lines.append(
        f"(each size from 1 to {args.up_to} elaborated and judged: exact over that range; "
        "sizes above it are not analysed)"
    )
    return "\n".join(lines) + "\n"


def _nearest(group: list, accepted: list[int]):
    """The refusal nearest an accepted size (its numbers tell most), else the last."""
    if not accepted:
        return group[-1]

    def distance(v) -> int:
        i = bisect_left(accepted, v.size)
        return min(abs(accepted[j] - v.size) for j in (i - 1, i) if 0 <= j < len(accepted))

    return min(group, key=distance)


def _grouped(verdicts) -> list[tuple[str, list]]:
    """Refused sizes by where they fail, in order of each place's first size."""
    groups: dict[str, list] = {}
    for v in verdicts:
        if v.reason:
            groups.setdefault(v.reason, []).append(v)
    return list(groups.items())


def _runs(runs: list[tuple[int, int, int]]) -> str:
    parts = []
    for first, last, step in runs:
        if first == last:
            parts.append(str(first))
        else:
            parts.append(f"{first}-{last}" + (f" step {step}" if step > 1 else ""))
    return ", ".join(parts)
