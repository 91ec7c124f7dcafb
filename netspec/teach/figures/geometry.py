"""Where the kernel lies for each output cell: the geometry behind the convolution pictures.

Pure integers, no drawing. A picture shows a *canvas*, the grid the kernel slides over,
one axis at a time:

- a convolution or pooling: p padding cells, the i input cells, p padding cells, and for
  pooling in ceil mode the cells past the padded input that the last window overhangs
  (PyTorch ignores them: they are not there);
- a transposed convolution, drawn as Dumoulin & Visin draw it (arXiv:1603.07285, Sec. 4):
  the direct convolution, stride 1, that gives the same output, over the input with s - 1
  zeros inserted between neighbours, d(k - 1) - p zeros of padding around it (k - p - 1
  without dilation) and the output padding a on the far side. A negative padding (p larger
  than d(k - 1)) crops the stretched input instead.

Output position j's window taps the canvas cells start(j) + m d for m < k (d the
dilation); start(j) = j s for a convolution, j for the transposed case.
Assumes a :class:`ConvQuestion` that passed validation. Guarantees: the number of output
positions per axis equals ``question.axis_output(axis)`` (checked on construction), so a
picture has exactly one frame per output cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import prod

from netspec.ops.arith import effective_kernel
from netspec.teach.question import ConvQuestion, QuestionError

# What a canvas cell is.
INPUT = "input"  # a real input value
PADDING = "padding"  # zero padding (minus infinity for max pooling)
ZERO = "zero"  # a zero inserted between input cells (transposed)
OUTPUT_PADDING = "output_padding"  # the transposed case's extra a cells on the far side
BEYOND = "beyond"  # past the padded input: only a ceil-mode pooling window reaches here

MAX_FRAMES = 1024  # one frame per output cell (32x32); LeNet-5 C1 has 784
MAX_SHEET_FRAMES = 144  # a sheet of more than 12 x 12 frames is too small to read
MAX_SIDE = 64  # canvas or output cells per side; beyond, cells shrink below a few pixels


@dataclass(frozen=True)
class AxisGeometry:
    """One axis of the canvas and of the windows over it."""

    kinds: tuple[str, ...]  # per canvas cell
    sources: tuple[int | None, ...]  # the input cell a canvas cell holds; None for zeros
    starts: tuple[int, ...]  # per output position: the canvas cell of its first tap
    taps: int  # k
    step: int  # d: canvas cells from one tap to the next

    @property
    def size(self) -> int:
        return len(self.kinds)

    @property
    def output(self) -> int:
        return len(self.starts)

    @property
    def extent(self) -> int:
        """Canvas cells one window spans, gaps included: d(k - 1) + 1."""
        return effective_kernel(self.taps, self.step)

    def window(self, j: int) -> tuple[int, ...]:
        """The canvas cells output position j's kernel taps."""
        return tuple(self.starts[j] + m * self.step for m in range(self.taps))

    def covered(self, j: int) -> tuple[int, ...]:
        """The input cells (input indices) in output position j's window."""
        return tuple(s for c in self.window(j) if (s := self.sources[c]) is not None)


@dataclass(frozen=True)
class Geometry:
    """The canvas and windows of a 2-D question, rows then columns."""

    question: ConvQuestion
    rows: AxisGeometry
    cols: AxisGeometry

    @property
    def output(self) -> tuple[int, int]:
        return (self.rows.output, self.cols.output)

    @property
    def canvas(self) -> tuple[int, int]:
        return (self.rows.size, self.cols.size)

    def frames(self) -> Iterator[tuple[int, int]]:
        """Output cells in the order the kernel visits them: row by row, left to right."""
        for r in range(self.rows.output):
            for c in range(self.cols.output):
                yield (r, c)

    def window(self, r: int, c: int) -> tuple[tuple[int, int], ...]:
        """The canvas cells (row, col) output cell (r, c)'s kernel taps."""
        return tuple((y, x) for y in self.rows.window(r) for x in self.cols.window(c))

    def covered(self, r: int, c: int) -> frozenset[tuple[int, int]]:
        """The input cells (row, col) that output cell (r, c) reads."""
        return frozenset((y, x) for y in self.rows.covered(r) for x in self.cols.covered(c))

    def kind(self, y: int, x: int) -> str:
        """What canvas cell (y, x) is; a cell is input only where both axes say so."""
        ky, kx = self.rows.kinds[y], self.cols.kinds[x]
        for kind in (BEYOND, OUTPUT_PADDING, PADDING, ZERO):
            if kind in (ky, kx):
                return kind
        return INPUT


def geometry(q: ConvQuestion) -> Geometry:
    """The picture's geometry; QuestionError when it would be too large to look at."""
    check_drawable(q)
    return Geometry(q, axis_geometry(q, 0), axis_geometry(q, 1))


def axis_geometry(q: ConvQuestion, axis: int) -> AxisGeometry:
    i, k, s = q.input[axis], q.kernel[axis], q.stride[axis]
    p, d = q.padding[axis], q.dilation[axis]
    if q.transposed:
        built = _transposed(i, k, s, p, q.output_padding[axis], d)
    else:
        built = _direct(i, k, s, p, d, q.axis_output(axis))
    if built.output != q.axis_output(axis):  # a bug here would draw the wrong picture
        raise AssertionError(f"geometry gives {built.output} outputs, PyTorch's rule differs")
    return built


def canvas_size(q: ConvQuestion, axis: int) -> int:
    """Canvas cells along `axis`, without building the canvas (for the size limits)."""
    i, k, s, p, d = (v[axis] for v in (q.input, q.kernel, q.stride, q.padding, q.dilation))
    if q.transposed:
        return (i - 1) * s + 1 + 2 * (d * (k - 1) - p) + q.output_padding[axis]
    return i + 2 * p + _overhang(i, k, s, p, d, q.axis_output(axis))


def check_drawable(q: ConvQuestion, sheet: bool = False) -> None:
    """Refuse, in constant time, a picture with too many frames or cells per side (a
    sheet shows every frame at once, so it takes fewer)."""
    out = q.output_size()
    frames = prod(out)
    most = MAX_SHEET_FRAMES if sheet else MAX_FRAMES
    if frames > most:
        what = "for one sheet (an animation, .svg or .gif, takes 1024)" if sheet else "to watch"
        raise QuestionError(
            f"the output has {out[0]}x{out[1]} = {frames:,} cells, one frame each: more than "
            f"{most} frames is too many {what}; draw a smaller input"
        )
    for axis, name in ((0, "tall"), (1, "wide")):
        side = max(canvas_size(q, axis), out[axis])
        if side > MAX_SIDE:
            raise QuestionError(
                f"the picture would be {side} cells {name}: more than {MAX_SIDE} per side is "
                "too small to read; draw a smaller input"
            )


def _overhang(i: int, k: int, s: int, p: int, d: int, o: int) -> int:
    """Cells the last window reaches past the padded input (ceil-mode pooling only)."""
    return max(0, (o - 1) * s + effective_kernel(k, d) - (i + 2 * p))


def _direct(i: int, k: int, s: int, p: int, d: int, o: int) -> AxisGeometry:
    beyond = _overhang(i, k, s, p, d, o)
    kinds = (PADDING,) * p + (INPUT,) * i + (PADDING,) * p + (BEYOND,) * beyond
    sources = (None,) * p + tuple(range(i)) + (None,) * (p + beyond)
    return AxisGeometry(kinds, sources, tuple(j * s for j in range(o)), k, d)


def _transposed(i: int, k: int, s: int, p: int, a: int, d: int) -> AxisGeometry:
    stretched = (i - 1) * s + 1  # the input with s - 1 zeros between neighbours
    pad = d * (k - 1) - p  # zeros around it (k - p - 1 without dilation); < 0 crops
    kinds: list[str] = []
    sources: list[int | None] = []
    for t in range(-pad, stretched + pad + a):  # positions on the stretched input
        if 0 <= t < stretched:
            real = t % s == 0
            kinds.append(INPUT if real else ZERO)
            sources.append(t // s if real else None)
        else:
            kinds.append(PADDING if t < stretched + max(pad, 0) else OUTPUT_PADDING)
            sources.append(None)
    o = len(kinds) - effective_kernel(k, d) + 1
    return AxisGeometry(tuple(kinds), tuple(sources), tuple(range(o)), k, d)
