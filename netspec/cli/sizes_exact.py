"""`netspec sizes` without `--up-to`: the exact answer, for every size from 1 to 2^53.

Assumes the job `netspec.cli.sizes` prepared (module, network, input, declared shape,
axes, overrides). Guarantees the report's text, or None when the exact analysis cannot
finish (the caller then judges a range one by one and says why). The refused sizes'
messages are those of one concrete elaboration at the refused size nearest an accepted
one, so that their numbers are the telling ones (224 for AlexNet, not 11).
"""

from __future__ import annotations

import argparse
import sys

from netspec.analysis.accepted import Answer, accepted_sizes
from netspec.analysis.sizes import sweep
from netspec.ops.arith import axis_names
from netspec.report.accepted import describe, nearest, pattern
from netspec.symbolic.sets import SizeSet
from netspec.values import show_shape


def heading(network: str, name: str, declared, axes, labels=None) -> tuple[str, str]:
    """`input image [N, 3, s, s] (H = W = s)` and the name of s in the formulas; axes
    the spec names (`labels`: name -> axis) go by their names."""
    named = {i: n for n, i in (labels or {}).items()}
    names = axis_names(len(declared) - 2)
    varied = [named.get(a) or names[a - 2] for a in axes]
    shape = show_shape(tuple("s" if i in axes else d for i, d in enumerate(declared)))
    square = f" ({' = '.join(varied)} = s)" if len(varied) > 1 else f" ({varied[0]} = s)"
    return f"{network}: input {name} {shape}{square}", varied[0] if len(varied) == 1 else "s"


def exact_report(job: tuple, args: argparse.Namespace) -> tuple[str | None, bool]:
    module, network, name, declared, axes, overrides = job
    head, symbol = heading(network, name, declared, axes, args.axis_labels)
    answer = accepted_sizes(
        module, network, name, declared, axes, symbol, overrides, args.exact,
        not args.ignore_checkpoints,
    )  # fmt: skip
    if not answer.complete:
        print(
            f"netspec sizes: not exact for {network}: {answer.why}; judging 1 to 512 one by one",
            file=sys.stderr,
        )
        return None, False
    lines = [f"{head}, every size s from 1 to 2^53"]
    lines += _accepted_lines(answer.accepted, args.near)
    lines += _refused_lines(job, answer, args)
    lines.append(
        f"(exact: {len(answer.regions)} symbolic elaborations, each standing for a whole "
        "region of sizes, cover every size)"
    )
    return "\n".join(lines) + "\n", not answer.accepted.is_empty()


def _accepted_lines(accepted: SizeSet, near: int | None) -> list[str]:
    if accepted.is_empty():
        return ["accepted: none"]
    n = accepted.count()
    many = "sizes without end" if n is None else f"{n:,} size" + ("s" if n != 1 else "")
    lines = [f"accepted: {describe(accepted)} ({many})", f"smallest: {accepted.smallest()}"]
    found = pattern(accepted)
    if found is not None:
        period, residues, piece = found
        rs = ", ".join(map(str, residues))
        first, last = piece.lo, piece.hi
        if last - first >= period:  # the stretch's first and last members
            first = next(s for s in range(first, first + period) if piece.has(s))
            last = next(s for s in range(last, last - period, -1) if piece.has(s))
        lines.append(f"period: {period} (s mod {period} in {{{rs}}} from {first} to {last})")
        others = SizeSet(tuple(p for p in accepted.pieces if p is not piece))
        if not others.is_empty():
            lines.append(f"exceptions: {describe(others)}")
    else:
        lines.append("period: none (the accepted sizes are ranges)")
    if near is not None:
        lines.append(f"nearest to {near}: {', '.join(map(str, nearest(accepted, near)))}")
    return lines


def _refused_lines(job: tuple, answer: Answer, args: argparse.Namespace) -> list[str]:
    groups: dict[str, SizeSet] = {}
    for region in answer.regions:
        if region.reason:
            groups[region.reason] = groups.get(region.reason, SizeSet()) | region.sizes
    lines: list[str] = []
    if args.near is not None and args.near not in answer.accepted:
        v = _judge(job, args, args.near)
        lines.append(f"{v.size} is refused: {v.reason}: {v.message}")
    lines.append("refused:" if groups else "refused: none")
    anchor = answer.accepted.smallest() or 1
    for reason, sizes in groups.items():
        v = _judge(job, args, sizes.nearest(anchor, 1)[0])
        lines.append(f"  {describe(sizes)}: {reason}")
        lines.append(f"      at {v.size}: {v.message}")
    return lines


def _judge(job: tuple, args: argparse.Namespace, size: int):
    module, network, name, declared, axes, overrides = job
    [verdict] = sweep(
        module, network, name, declared, axes, range(size, size + 1), overrides, args.exact,
        not args.ignore_checkpoints,
    )  # fmt: skip
    return verdict
