"""The steps the sliding-window ops share: conv, partial_conv, conv_transpose
(explain/conv.py), maxpool, avgpool and subsample (explain/pool.py).

Per spatial axis the output size is PyTorch's o = floor((i + p_before + p_after -
d(k-1) - 1)/s) + 1 (ceil in pooling's ceil mode, with PyTorch's rule that no window may
start in the end padding), or o' = s(i' - 1) + a + d(k-1) + 1 - 2p for a transposed
convolution. Where floor division leaves input rows unread the step says which, with
the function the W-floor warning uses (arith.dropped_rows). Links per axis are the
(output, tap) pairs on real input, by arith.window_pairs as the ops count them.
The receptive-field window is the dilated kernel: extent d(k-1) + 1, stride s, padding
p_before (for a transposed convolution stride 1/s).

Assumes normalised attributes (per-axis kernel, stride, dilation, (before, after)
padding). Guarantees sections whose values are netspec.ops.arith's. Functions take the
op as `self`. Nothing here imports an op family.
"""

from __future__ import annotations

from fractions import Fraction

from netspec.ops import arith
from netspec.ops.arith import axis_names
from netspec.ops.base import Window
from netspec.ops.explain.steps import DOT, Section, Step, n, per_axis
from netspec.values import Shape, show_shape

OUTPUT_RULE = "o = floor((i + p_before + p_after - d(k-1) - 1)/s) + 1 per spatial axis"
CEIL_RULE = "o = ceil((i + p_before + p_after - d(k-1) - 1)/s) + 1 per spatial axis (ceil mode)"
TRANSPOSED_RULE = "o' = s(i' - 1) + a + d(k-1) + 1 - 2p per spatial axis (a: output_padding)"
WINDOW_RULE = "a window per axis: extent k_eff = d(k-1) + 1, stride s, padding p_before"


def pads_text(pad: tuple[int, int]) -> str:
    """`2·1` for symmetric padding, `0 + 1` for (before, after)."""
    return f"2{DOT}{pad[0]}" if pad[0] == pad[1] else f"{pad[0]} + {pad[1]}"


def axis_step(axis: str, i: int, k: int, s: int, pad, d: int, ceil_mode: bool = False) -> Step:
    """One axis of a convolution or pooling: the formula with numbers, the size, and a
    note on the rows floor division leaves unread (or the window ceil mode adds or drops)."""
    span = i + pad[0] + pad[1] - d * (k - 1) - 1
    inner = f"{i} + {pads_text(pad)} - {d}{DOT}({k}-1) - 1"
    if s == 1:
        return Step(axis, f"({inner})/1 + 1", n(span + 1))
    if ceil_mode:
        o, note = ceil_size(i, k, s, pad, d, span)
        return Step(axis, f"ceil(({inner})/{s}) + 1 = ceil({span}/{s}) + 1", n(o), note)
    o = span // s + 1
    note = floor_note(axis, i, k, s, pad, d, o)
    return Step(axis, f"floor(({inner})/{s}) + 1 = floor({span}/{s}) + 1", n(o), note)


def floor_note(axis: str, i: int, k: int, s: int, pad, d: int, o: int) -> str:
    """Which input rows no window reaches, if any (the rows W-floor warns about), or
    that floor division only left out padding."""
    unit = "column" if axis == "W" else "row"
    ek = arith.effective_kernel(k, d)
    gaps = f"windows {ek} wide and {s} apart skip {unit}s between them" if ek < s else ""
    lost = arith.dropped_rows(i, k, s, pad, d, o)
    if not lost:
        unread = (i + pad[0] + pad[1] - ek) % s
        if not unread:
            return gaps
        plural = "s" if unread > 1 else ""
        read = gaps or f"every input {unit} is read"
        return f"floor leaves out the last {unread} padded position{plural}, padding only; {read}"
    rows = f"{unit} {i - 1}" if lost == 1 else f"{unit}s {i - lost}-{i - 1}"
    last = f"the last {lost} input {unit}{'s' if lost > 1 else ''} ({rows} of 0-{i - 1})"
    if gaps:
        return f"{gaps}; {last} unread too"
    return f"floor drops {last}: no window reaches {'it' if lost == 1 else 'them'}"


def ceil_size(i: int, k: int, s: int, pad, d: int, span: int) -> tuple[int, str]:
    """Ceil mode's size and what it did: kept a window past the input, or dropped one
    that would start in the end padding (PyTorch's rule)."""
    o = -(-span // s) + 1
    start = (o - 1) * s  # where the last window starts, in padded coordinates
    if start >= i + pad[0]:
        return o - 1, (
            f"the last window would start at padded position {start}, beyond the input and "
            f"its left padding ({i} + {pad[0]}): PyTorch drops it, {o} - 1 = {o - 1}"
        )
    if span % s == 0:
        return o, ""
    first = start - pad[0]
    end = first + arith.effective_kernel(k, d) - 1
    return o, (
        f"ceil keeps a last window past the end: it covers input positions {first}-{end}, "
        f"{i - first} of them real"
    )


def transposed_step(axis: str, i: int, k: int, s: int, p: int, a: int, d: int) -> Step:
    o = s * (i - 1) + a + d * (k - 1) + 1 - 2 * p
    formula = f"{s}{DOT}({i} - 1) + {a} + {d}{DOT}({k}-1) + 1 - 2{DOT}{p}"
    return Step(axis, formula, n(o))


def window_shape(self, a, x: Shape, out_channels: int) -> Section:
    """Output size per axis, the channels, and the output shape."""
    names = axis_names(len(x) - 2)
    transposed = getattr(self, "transposed", False)
    ceil_mode = a.get("ceil_mode", False)
    extras = a.get("output_padding", (0,) * len(names))
    steps, sizes = [], []
    for axis, i, k, s, pad, d, extra in zip(
        names, x[2:], a["kernel"], a["stride"], a["padding"], a["dilation"], extras, strict=True
    ):
        if transposed:
            step = transposed_step(axis, i, k, s, pad[0], extra, d)
        else:
            step = axis_step(axis, i, k, s, pad, d, ceil_mode)
        steps.append(step)
        sizes.append(int(step.result.replace(",", "")))
    channels = Step("C", "out" if out_channels != x[1] or "out" in a else "kept", n(out_channels))
    shape = (x[0], out_channels, *sizes)
    steps += [channels, Step("output", "", show_shape(shape))]
    rule = TRANSPOSED_RULE if transposed else CEIL_RULE if ceil_mode else OUTPUT_RULE
    return Section(rule, tuple(steps), shape)


def axis_links(self, a, x: Shape, out: Shape) -> tuple[list[int], list[Step], bool]:
    """Per axis the (output, tap) pairs on real input (for a transposed convolution the
    (input, tap) pairs inside the output), their steps, and whether none was lost."""
    transposed = getattr(self, "transposed", False)
    pairs, steps, whole = [], [], True
    for axis, i, o, k, s, pad, d in zip(
        axis_names(len(x) - 2), x[2:], out[2:], a["kernel"], a["stride"], a["padding"],
        a["dilation"], strict=True,
    ):  # fmt: skip
        walk, dst = (i, o) if transposed else (o, i)
        links = arith.window_pairs(walk, dst, k, s, d, pad[0])
        lost = walk * k - links
        whole = whole and not lost
        where = "outside the output" if transposed else "on padding"
        formula = f"{walk} {'inputs' if transposed else 'outputs'}{DOT}{k} taps"
        steps.append(
            Step(f"{axis} links", formula + (f" - {lost} {where}" if lost else ""), n(links))
        )
        pairs.append(links)
    return pairs, steps, whole


def window_section(self, a) -> Section:
    """The op's receptive-field rule per axis (Op.receptive), with its numbers."""
    names = axis_names(len(a["kernel"]))
    axes = list(zip(a["kernel"], a["stride"], a["padding"], a["dilation"], strict=True))
    if getattr(self, "transposed", False):
        return _transposed_window(names, axes)
    windows = tuple(
        Window(Fraction(d * (k - 1) + 1), Fraction(s), Fraction(pad[0])) for k, s, pad, d in axes
    )

    def step(label: str, axis) -> Step:
        k, s, pad, d = axis
        note = f"stride {s}, padding {pad[0]}"
        return Step(f"{label}: k_eff", f"{d}{DOT}({k}-1) + 1", n(d * (k - 1) + 1), note)

    return Section(WINDOW_RULE, tuple(per_axis(names, axes, step)), windows)


def _transposed_window(names, axes) -> Section:
    windows = []
    for k, s, pad, d in axes:
        span = Fraction(d * (k - 1), s)
        windows.append(Window(span + 1, Fraction(1, s), span - Fraction(pad[0], s)))

    def step(label: str, axis) -> Step:
        k, s, pad, d = axis
        w = windows[axes.index(axis)]
        note = f"stride 1/{s}, padding {d}{DOT}({k}-1)/{s} - {pad[0]}/{s} = {n(w.padding)}"
        return Step(f"{label}: extent", f"{d}{DOT}({k}-1)/{s} + 1", n(w.extent), note)

    rule = (
        "output y receives input x when y = x·s - p + t·d for a tap t < k: a window of extent "
        "d(k-1)/s + 1 input positions, stride 1/s, padding d(k-1)/s - p/s"
    )
    return Section(rule, tuple(per_axis(names, axes, step)), tuple(windows))
