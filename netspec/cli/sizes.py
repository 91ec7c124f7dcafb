"""`netspec sizes SPEC`: the exact set of input sizes a network accepts.

    netspec sizes SPEC [--input NAME] [--axis H] [--near 224] [--exact]
                       [--ignore-checkpoints] [--up-to N] [--network NAME] [--set NAME=VALUE]

Assumes a spec whose input (the first, or `--input`) has spatial axes. Guarantees the
accepted sizes of every size from 1 to 2^53, exactly (netspec/analysis/accepted.py: a
few symbolic elaborations, each standing for a whole region of sizes), written
compactly (`227-230`, `32-262144 step 32`) with the smallest, the period and residues,
the sizes nearest to `--near` and the refused sizes grouped by the first problem each
meets. `--up-to N` instead elaborates every size from 1 to N one by one (the brute
force the exact answer is tested against); where the exact analysis cannot finish (a
network whose structure is computed from its size), that is what it falls back to, and
it says so. Exit status 0 when some size is accepted, 1 when none is or the spec does
not check at its declared size, 2 for misuse.
"""

from __future__ import annotations

import argparse
import sys
from bisect import bisect_left

from netspec.analysis.accepted import named_axes, refused_graph, varied_axes
from netspec.cli.common import misuse, network_arguments, print_errors
from netspec.errors import CompileError

DESCRIPTION = (
    "List the input sizes the network accepts (every layer positive, every merge and "
    "checkpoint agreeing; with --exact also no input row left unread), exactly, for "
    "every size: a few symbolic elaborations each stand for a whole region of sizes."
)
LIMIT = 4096  # sizes to judge at most one by one (--up-to): each is a whole elaboration
FALLBACK = 512  # the range judged one by one when the exact analysis cannot finish


def add_arguments(sizes: argparse.ArgumentParser) -> None:
    sizes.add_argument("spec", help="a .netspec file or zoo name")
    network_arguments(sizes, "the network, if the file has several")
    sizes.add_argument("--input", dest="input_name", help="the input to vary (default: the first)")
    sizes.add_argument(
        "--axis",
        help="vary one spatial axis (H, W, L, D...), the others as declared (default: all, "
        "a square input)",
    )
    sizes.add_argument(
        "--up-to",
        type=int,
        help=f"elaborate every size from 1 to this one by one instead (at most {LIMIT})",
    )
    sizes.add_argument("--near", type=int, help="also name the accepted sizes nearest to this")
    sizes.add_argument(
        "--exact", action="store_true", help="also refuse sizes that leave input rows unread"
    )
    sizes.add_argument(
        "--ignore-checkpoints",
        action="store_true",
        help="judge the layers alone, without the -> checkpoints (what the built model runs at)",
    )


def run_command(args: argparse.Namespace, overrides: dict[str, object]) -> int:
    from netspec.api import load, one_network, parse

    if args.up_to is not None and not 1 <= args.up_to <= LIMIT:
        return misuse(f"--up-to must be between 1 and {LIMIT:,}", "sizes")
    if args.input_shapes:
        return misuse("--input-shape does not go with sizes: it varies the input itself", "sizes")
    try:
        source = load(args.spec)
        graph = one_network(source, args.network, overrides).graph
    except CompileError as exc:
        graph = refused_graph(exc, args.network)
        if graph is None:
            print_errors(exc, "table", args.spec)
            return 1
        # refused at its declared size: which sizes would do is the question then
        first = exc.diagnostics[0]
        print(
            f"netspec sizes: {graph.name} is refused at its declared size ({first.code} at line "
            f"{first.span.line if first.span else '?'}); the sizes it accepts:",
            file=sys.stderr,
        )
    name = args.input_name or graph.inputs[0][0]
    inputs = dict(graph.inputs)
    if name not in inputs:
        return misuse(
            f"no input '{name}' in {graph.name}; its inputs: {', '.join(inputs)}", "sizes"
        )
    declared = graph.shape(inputs[name])
    axes = varied_axes(declared, args.axis)
    if isinstance(axes, str):
        return misuse(axes, "sizes")
    args.axis_labels = named_axes(declared)  # named axes are shown by their names
    declared = tuple(getattr(d, "hint", d) for d in declared)  # the others at their numbers
    module = parse(source)
    job = (module, graph.name, name, declared, axes, overrides)
    if args.up_to is None:
        from netspec.cli.sizes_exact import exact_report

        text, accepted = exact_report(job, args)
        if text is not None:
            sys.stdout.write(text)
            return 0 if accepted else 1
        args.up_to = FALLBACK
    from netspec.analysis.sizes import sweep

    verdicts = sweep(
        *job[:5], range(1, args.up_to + 1), overrides, args.exact, not args.ignore_checkpoints
    )
    sys.stdout.write(_report(graph.name, name, declared, axes, verdicts, args))
    return 0 if any(not v.reason for v in verdicts) else 1


def _report(network, name, declared, axes, verdicts, args) -> str:
    from netspec.analysis.sizes import progressions
    from netspec.cli.sizes_exact import heading

    head, _ = heading(network, name, declared, axes, args.axis_labels)
    lines = [f"{head}, s from 1 to {args.up_to}"]
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
