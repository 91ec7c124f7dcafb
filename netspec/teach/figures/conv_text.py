"""The words on the convolution pictures: title, formula with the numbers, captions, legend.

The formulas are PyTorch's (netspec.ops.arith), written as Dumoulin & Visin write them
(arXiv:1603.07285): o = floor((i + 2p - k^) / s) + 1 with k^ = d(k - 1) + 1, and
o' = s(i' - 1) + a + k^ - 2p for the transposed case. Every number shown is computed
from the question, and the value after "=" is the geometry's own output size.
"""

from __future__ import annotations

from netspec.ops.arith import dropped_rows, effective_kernel
from netspec.teach.figures import geometry as cg
from netspec.teach.figures.scene import GLUE


def _size(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


def _one(pair: tuple[int, int]) -> str:
    """`3` when both axes agree, else `3×2`."""
    return str(pair[0]) if pair[0] == pair[1] else _size(pair)


def title_lines(g: cg.Geometry) -> list[str]:
    q = g.question
    what = (
        f"{q.pool} pooling" if q.pool
        else "transposed convolution" if q.transposed
        else "convolution"
    )  # fmt: skip
    parts = [f"{what} {_size(q.kernel)}", f"stride {_one(q.stride)}"]
    if any(q.padding):
        parts.append(f"padding {_one(q.padding)}")
    if q.dilation != (1, 1):
        parts.append(f"dilation {_one(q.dilation)}")
    if any(q.output_padding):
        parts.append(f"output padding {_one(q.output_padding)}")
    if q.ceil_mode:
        parts.append("ceil mode")
    # Phrases are glued so that a wrapped title breaks between them, never inside one.
    phrases = [p + "," for p in parts[:-1]] + [parts[-1]]
    phrases += [f"on a {_size(q.input)} input", f"→ {_size(g.output)} output"]
    title = " ".join(_glue(p) for p in phrases)
    axes = [(None, 0)] if q.square else [("rows", 0), ("cols", 1)]
    lines = [title]
    for name, axis in axes:
        prefix = f"{name}: " if name else ""
        lines.append(prefix + _formula(g, axis))
        if q.transposed:
            lines.append(prefix + _stretch(g, axis))
        elif dropped := _dropped(g, axis):
            lines.append(prefix + "the division rounds down: " + _unread(dropped, name))
    return lines


def _glue(text: str) -> str:
    """`text` as one phrase: its spaces are not places to break a line."""
    return text.replace(" ", GLUE)


def _unread(n: int, axis: str | None) -> str:
    """`the last input row is never read`, `the last 2 input rows and columns are ...`."""
    if n == 1:
        what = {None: "row and column are", "rows": "row is", "cols": "column is"}[axis]
        return f"the last input {what} never read"
    what = {None: "rows and columns", "rows": "rows", "cols": "columns"}[axis]
    return f"the last {n} input {what} are never read"


def _dropped(g: cg.Geometry, axis: int) -> int:
    """Real input cells at the end that no window reaches."""
    q = g.question
    i, k, s, p, d = (v[axis] for v in (q.input, q.kernel, q.stride, q.padding, q.dilation))
    return dropped_rows(i, k, s, (p, p), d, g.output[axis])


def _formula(g: cg.Geometry, axis: int) -> str:
    q = g.question
    i, k, s = q.input[axis], q.kernel[axis], q.stride[axis]
    p, d, o = q.padding[axis], q.dilation[axis], g.output[axis]
    kk = effective_kernel(k, d)
    khat = _equation("k̂", "d(k − 1) + 1", f"{kk};") + " " if d != 1 else ""
    kname = "k̂" if d != 1 else "k"
    if q.transposed:
        a = q.output_padding[axis]
        return khat + _equation("o′", f"s(i′ − 1) + a + {kname} − 2p",
                         f"{s}·({i} − 1) + {a} + {kk} − 2·{p}", str(o))  # fmt: skip
    left, right = ("⌈", "⌉") if q.ceil_mode else ("⌊", "⌋")
    text = khat + _equation("o", f"{left}(i + 2p − {kname}) / s{right} + 1",
                     f"{left}({i} + 2·{p} − {kk}) / {s}{right} + 1", str(o))  # fmt: skip
    if q.ceil_mode and -(-(i + 2 * p - kk) // s) + 1 != o:
        text += " (PyTorch drops a last window that would start in the padding)"
    return text


def _equation(*sides: str) -> str:
    """`a = b = c`, broken only after an `=` when it wraps."""
    return " = ".join(_glue(side) for side in sides)


def _stretch(g: cg.Geometry, axis: int) -> str:
    q = g.question
    k, s, p, d = q.kernel[axis], q.stride[axis], q.padding[axis], q.dilation[axis]
    pad = effective_kernel(k, d) - p - 1
    kname = "k̂" if d != 1 else "k"
    text = (
        "drawn as a stride-1 convolution over the input with "
        + _glue(f"s − 1 = {s - 1} zero{'' if s == 2 else 's'} between cells")
        + " and "
        + _glue(f"{kname} − p − 1 = {pad} padding")
    )
    if q.output_padding[axis]:
        text += f" (+ a = {q.output_padding[axis]} on the far side)"
    if pad < 0:
        text += f": p > {kname} − 1 crops {-pad} cells instead"
    return text


def caption(g: cg.Geometry, r: int, c: int) -> str:
    """`output (0, 1) reads input rows 0–1, cols 1–3`: the real input cells in the window."""
    rows, cols = g.rows.covered(r), g.cols.covered(c)
    head = f"output ({r}, {c}) "
    if not rows or not cols:
        what = "inserted zeros and padding" if g.question.transposed else "padding"
        return head + f"sees only {what}"
    return head + f"reads input rows {_span(rows)}, cols {_span(cols)}"


def _span(values: tuple[int, ...]) -> str:
    if list(values) == list(range(values[0], values[-1] + 1)):
        return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"
    return ", ".join(map(str, values))


def legend_items(g: cg.Geometry, style: dict, tap: dict, output: tuple[str, str, str]):
    """(fill, stroke, dashed, label) for each kind of cell the picture has."""
    q = g.question
    kinds = set(g.rows.kinds) | set(g.cols.kinds)
    pad_name = "padding (−∞ for max)" if q.pool == "max" else "zero padding"
    names = {
        cg.INPUT: "input",
        cg.PADDING: pad_name,
        cg.ZERO: "inserted zeros",
        cg.OUTPUT_PADDING: "output padding a",
        cg.BEYOND: "past the input (ignored)",
    }
    items = [(*style[k], names[k]) for k in names if k in kinds]
    taps = "kernel taps" if not q.pool else "window"
    items.append((tap[cg.INPUT], None, False, taps))
    items += _other_taps(g, tap, names, taps)
    items.append((output[0], output[1], False, "output"))
    items.append((output[2], None, False, "cell being computed"))
    return items


def _other_taps(g: cg.Geometry, tap: dict, names: dict, taps: str):
    """A swatch for each colour the taps take off the input (grey on padding, on zeros),
    naming the kinds of cell that colour marks; only kinds some window reaches."""
    rows = {y for r in range(g.rows.output) for y in g.rows.window(r)}
    cols = {x for c in range(g.cols.output) for x in g.cols.window(c)}
    reached = {g.kind(y, x) for y in rows for x in cols} - {cg.INPUT}
    by_colour: dict[str, list[str]] = {}
    for kind in names:  # the legend's order
        if kind in reached:
            where = names[kind] if kind == cg.BEYOND else "on " + names[kind]
            by_colour.setdefault(tap[kind], []).append(where)
    return [(colour, None, False, f"{taps} {' or '.join(kinds)}".replace(" or on ", " or "))
            for colour, kinds in by_colour.items()]  # fmt: skip
